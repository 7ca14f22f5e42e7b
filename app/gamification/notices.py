"""How gamification's in-app notices read, in the reader's language (imported at app start
by the package, so the kinds are registered before any notice is written or shown).

A badge notice stores both names of the badge: a notice written by the award job reads in
the language of whoever opens it, and still reads right if the badge is renamed later.
Badge, level and challenge notices are e-mailed too (``email_category``), as the person's
e-mail preferences allow."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import gettext as _

from app.gamification.levels import level_name
from app.notifications.kinds import notice_kind


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


@notice_kind("gamification.badge", email_category="badges")
def badge_notice(params: dict) -> str:
    name = params.get(f"name_{_language()}") or params.get("name_en") or ""
    return _("You earned the badge %(emoji)s %(name)s.", emoji=params.get("emoji", "🏅"),
             name=name)


@notice_kind("gamification.level", email_category="badges")
def level_notice(params: dict) -> str:
    number = int(params.get("level", 1))
    return _("You reached level %(number)d: %(name)s.", number=number, name=level_name(number))


@notice_kind("gamification.challenge_started", email_category="challenges")
def challenge_started_notice(params: dict) -> str:
    """Written once per person of the audience when a challenge starts
    (``challenges.announce_started``)."""
    text = _("The challenge “%(title)s” has started: take part!", title=params.get("title", ""))
    if params.get("reward"):
        text += " " + _("Reward: %(reward)s", reward=params["reward"])
    return text
