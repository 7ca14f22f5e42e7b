"""The registry of notice kinds: each feature registers how its notices read.

A renderer receives the notice's params and returns the text, translated in the current
(the reader's) locale, so a notice written by a job reads in the language of whoever opens
it::

    @notice_kind("gamification.badge")
    def _badge(params):
        return _("You earned the badge %(name)s.", name=params["name_" + locale()])

A kind that also goes out by e-mail names its preference category
(``app.notifications.preferences.CATEGORIES``): ``notify()`` then queues an e-mail with the
same text when the person's preferences allow it::

    @notice_kind("gamification.level", email_category="badges")
"""

from __future__ import annotations

from collections.abc import Callable

Renderer = Callable[[dict], str]

KINDS: dict[str, Renderer] = {}
#: the kinds that are also e-mailed: kind → preference category
EMAIL_CATEGORIES: dict[str, str] = {}


def notice_kind(kind: str, *, email_category: str | None = None):
    def register(fn: Renderer) -> Renderer:
        if kind in KINDS and KINDS[kind] is not fn:
            raise ValueError(f"notice kind {kind!r} is registered twice")
        KINDS[kind] = fn
        if email_category is not None:
            EMAIL_CATEGORIES[kind] = email_category
        return fn

    return register


def email_category(kind: str) -> str | None:
    """The preference category of a kind that is e-mailed too; None: bell only."""
    return EMAIL_CATEGORIES.get(kind)


def render_notice(kind: str, params: dict) -> str:
    renderer = KINDS.get(kind)
    if renderer is None:  # a kind whose feature was removed: say something rather than fail
        return params.get("text", kind)
    return renderer(params)
