"""Badges: declarative criteria (``BadgeCriterion``), awarded once with the date and a notice.

Admins create badges from the criterion kinds (a threshold, or a course); a badge that was
awarded is never deleted (it can be deactivated: nobody earns it any more, those who have it
keep it) and its criterion can no longer change. ``evaluate`` in services checks the
criteria of the people whose numbers changed; the month's top ranks are awarded by
``award_monthly_top`` once a month is over.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, contains_eager

from app.accounts.models import User, UserStatus
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.gamification.levels import NUMBERS, Stats, level_name
from app.gamification.models import (
    Badge,
    BadgeCriterion,
    GamificationProfile,
    Period,
    PeriodTotal,
    UserBadge,
)
from app.notifications.services import notify
from app.training.models import Course

C = BadgeCriterion
CRITERION_LABELS = {
    C.SHARES: _l("Shares (all time)"),
    C.UNIQUE_CLICKS: _l("Unique clicks (all time)"),
    C.CONVERSIONS: _l("Conversions (all time)"),
    C.POINTS: _l("Points (all time)"),
    C.SUGGESTIONS_ACCEPTED: _l("Accepted suggestions"),
    C.COURSE_PASSED: _l("Course passed"),
    C.STREAK_WEEKS: _l("Weeks in a row with a share"),
    C.MONTHLY_TOP: _l("Top ranks of a month (company points board)"),
    C.LEVEL: _l("Level reached"),
}
#: the criteria whose threshold is a count (the others: a rank, a level, a course)
THRESHOLD_RANGE = {C.MONTHLY_TOP: (1, 100), C.LEVEL: (2, 5)}
MAX_THRESHOLD = 10_000_000


def criterion_text(badge: Badge, course_title: str | None = None) -> str:
    """What earns the badge, in words."""
    n = badge.threshold
    match badge.criterion:
        case C.SHARES:
            return ngettext("Share %(num)d time", "Share %(num)d times", n)
        case C.UNIQUE_CLICKS:
            return ngettext("Bring %(num)d unique click", "Bring %(num)d unique clicks", n)
        case C.CONVERSIONS:
            return ngettext("Bring %(num)d conversion", "Bring %(num)d conversions", n)
        case C.POINTS:
            return ngettext("Earn %(num)d point", "Earn %(num)d points", n)
        case C.SUGGESTIONS_ACCEPTED:
            return ngettext("Have %(num)d suggestion accepted",
                            "Have %(num)d suggestions accepted", n)
        case C.COURSE_PASSED:
            return _("Pass the course “%(title)s”", title=course_title or _("(removed)"))
        case C.STREAK_WEEKS:
            return ngettext("Share %(num)d week in a row", "Share %(num)d weeks in a row", n)
        case C.MONTHLY_TOP:
            return ngettext("Be number %(num)d on a month's points board",
                            "Be in the top %(num)d of a month's points board", n)
        case C.LEVEL:
            return _("Reach level %(n)d, %(name)s", n=n, name=level_name(n))
    return ""


def have_for(badge: Badge, stats: Stats, level: int) -> int | None:
    """Where the person stands on the badge's criterion (None: not a count)."""
    return {C.SHARES: stats.shares, C.UNIQUE_CLICKS: stats.unique_clicks,
            C.CONVERSIONS: stats.conversions, C.POINTS: stats.points,
            C.SUGGESTIONS_ACCEPTED: stats.accepted_suggestions,
            C.STREAK_WEEKS: stats.longest_streak, C.LEVEL: level}.get(badge.criterion)


def met(badge: Badge, stats: Stats, level: int) -> bool:
    if badge.criterion == C.COURSE_PASSED:
        return badge.course_id is not None and badge.course_id in stats.courses
    if badge.criterion == C.MONTHLY_TOP:
        return False  # only at the end of a month (award_monthly_top)
    have = have_for(badge, stats, level)
    return have is not None and have >= badge.threshold


# --- reading ----------------------------------------------------------------------------------


def evaluable_badges(db: Session) -> list[Badge]:
    """The active badges ``evaluate`` checks (all but the monthly ranks)."""
    return list(db.scalars(select(Badge).where(Badge.active.is_(True),
                                               Badge.criterion != C.MONTHLY_TOP)
                           .order_by(Badge.id)))


def owned_pairs(db: Session, user_ids: list[int]) -> set[tuple[int, int]]:
    return {(uid, bid) for uid, bid in db.execute(
        select(UserBadge.user_id, UserBadge.badge_id).where(UserBadge.user_id.in_(user_ids)))}


def earned(db: Session, user_id: int) -> list[UserBadge]:
    """A person's badges, newest first, each with its Badge loaded (one statement)."""
    return list(db.scalars(select(UserBadge).join(Badge)
                           .options(contains_eager(UserBadge.badge))
                           .where(UserBadge.user_id == user_id)
                           .order_by(UserBadge.awarded_at.desc(), UserBadge.id.desc())))


def all_badges(db: Session) -> list[tuple[Badge, int]]:
    """Every badge with how many people have it (admin list)."""
    counts = (select(UserBadge.badge_id, func.count().label("n"))
              .group_by(UserBadge.badge_id).subquery())
    return [(badge, n or 0) for badge, n in db.execute(
        select(Badge, counts.c.n).outerjoin(counts, counts.c.badge_id == Badge.id)
        .order_by(Badge.active.desc(), Badge.criterion, Badge.threshold, Badge.id))]


def awarded_count(db: Session, badge_id: int) -> int:
    return db.scalar(select(func.count()).select_from(UserBadge)
                     .where(UserBadge.badge_id == badge_id)) or 0


# --- awarding ---------------------------------------------------------------------------------


def grant(db: Session, pairs: Iterable[tuple[int, Badge]], now: datetime) -> list[UserBadge]:
    """Give each (person, badge) once (INSERT … ON CONFLICT DO NOTHING on the named unique
    constraint: two evaluations at once give it once), with a notice per new badge."""
    from app.db import conflict_target, dialect_insert
    from app.gamification.services import chunks

    pairs = list(pairs)
    if not pairs:
        return []
    table = UserBadge.__table__
    stmt = dialect_insert(db, table).on_conflict_do_nothing(
        **conflict_target(db, "uq_user_badges_user_id_badge_id", ["user_id", "badge_id"]))
    stmt = stmt.returning(table.c.id)
    new_ids: list[int] = []
    for part in chunks([{"user_id": uid, "badge_id": badge.id, "awarded_at": now}
                        for uid, badge in pairs], 1000):
        new_ids.extend(db.scalars(stmt, part))
    if not new_ids:
        return []
    new = []
    for part in chunks(sorted(new_ids)):
        new.extend(db.scalars(select(UserBadge).where(UserBadge.id.in_(part))
                              .order_by(UserBadge.id)))
    badges = {badge.id: badge for _uid, badge in pairs}
    for row in new:
        badge = badges[row.badge_id]
        notify(db, user_id=row.user_id, kind="gamification.badge",
               params={"badge_id": badge.id, "emoji": badge.emoji, "name_en": badge.name_en,
                       "name_fr": badge.name_fr},
               link=("gamification.my_points", {}), now=now)
    return new


def award_monthly_top(db: Session, month_start: date, now: datetime) -> list[UserBadge]:
    """The MONTHLY_TOP badges of the month starting ``month_start`` (call it once the month
    is over): the first ``threshold`` people of the company points board of that month.
    Ties are broken by the smaller person id (deterministic); people who opted out of the
    boards and deactivated people are not ranked; 0 points never ranks. Idempotent."""
    badges = list(db.scalars(select(Badge).where(Badge.active.is_(True),
                                                 Badge.criterion == C.MONTHLY_TOP)))
    if not badges:
        return []
    depth = max(b.threshold for b in badges)
    ranked = list(db.scalars(
        select(PeriodTotal.user_id)
        .join(User, User.id == PeriodTotal.user_id)
        .outerjoin(GamificationProfile, GamificationProfile.user_id == PeriodTotal.user_id)
        .where(PeriodTotal.period == Period.MONTH, PeriodTotal.period_start == month_start,
               PeriodTotal.points > 0, User.status == UserStatus.ACTIVE,
               or_(GamificationProfile.leaderboard_opt_out.is_(None),
                   GamificationProfile.leaderboard_opt_out.is_(False)))
        .order_by(PeriodTotal.points.desc(), PeriodTotal.user_id)
        .limit(depth)))
    pairs = [(uid, badge) for badge in badges for uid in ranked[:badge.threshold]]
    if not pairs:
        return []
    owned = owned_pairs(db, ranked)
    return grant(db, [(uid, b) for uid, b in pairs if (uid, b.id) not in owned], now)


# --- admin ------------------------------------------------------------------------------------


@dataclass
class BadgeInput:
    emoji: str
    name_en: str
    name_fr: str
    description_en: str
    description_fr: str
    criterion: BadgeCriterion
    threshold: int | None
    course_id: int | None = None


def _check(db: Session, data: BadgeInput) -> BadgeInput:
    emoji = (data.emoji or "").strip()
    if not emoji or len(emoji) > 8 or emoji.isascii():
        raise ServiceError(_("Choose an emoji (up to 8 characters)."), field="emoji")
    name_en, name_fr = (data.name_en or "").strip(), (data.name_fr or "").strip()
    if not name_en:
        raise ServiceError(_("Give the badge a name in English."), field="name_en")
    if not name_fr:
        raise ServiceError(_("Give the badge a name in French."), field="name_fr")
    criterion = BadgeCriterion(data.criterion)
    threshold, course_id = data.threshold, data.course_id
    if criterion == C.COURSE_PASSED:
        if course_id is None or db.get(Course, course_id) is None:
            raise ServiceError(_("Choose the course to pass."), field="course_id")
        threshold = 1
    else:
        course_id = None
        low, high = THRESHOLD_RANGE.get(criterion, (1, MAX_THRESHOLD))
        if threshold is None or not low <= threshold <= high:
            raise ServiceError(_("The threshold must be between %(low)d and %(high)d.",
                                 low=low, high=high), field="threshold")
    return BadgeInput(emoji, name_en[:120], name_fr[:120],
                      (data.description_en or "").strip()[:500],
                      (data.description_fr or "").strip()[:500], criterion, threshold,
                      course_id)


def _unique_key(db: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", name).encode(
        "ascii", "ignore").decode().lower()).strip("-")[:50] or "badge"
    key, n = base, 1
    while db.scalar(select(Badge.id).where(Badge.key == key)) is not None:
        n += 1
        key = f"{base}-{n}"
    return key


def create_badge(db: Session, actor: Actor, data: BadgeInput, *, key: str | None = None
                 ) -> Badge:
    data = _check(db, data)
    badge = Badge(key=key or _unique_key(db, data.name_en), emoji=data.emoji,
                  name_en=data.name_en, name_fr=data.name_fr,
                  description_en=data.description_en, description_fr=data.description_fr,
                  criterion=data.criterion, threshold=data.threshold, course_id=data.course_id,
                  active=True)
    db.add(badge)
    db.flush()
    record(db, actor, "gamification.badge_created", target=badge, key=badge.key,
           criterion=badge.criterion.value, threshold=badge.threshold)
    return badge


def update_badge(db: Session, actor: Actor, badge: Badge, data: BadgeInput) -> None:
    """Names, descriptions and emoji can always change; the criterion only while nobody
    has the badge (those who earned it earned it under its criterion)."""
    data = _check(db, data)
    rule_changed = (data.criterion, data.threshold, data.course_id) != (
        badge.criterion, badge.threshold, badge.course_id)
    if rule_changed and awarded_count(db, badge.id):
        raise ServiceError(_("People already have this badge: its criterion cannot change. "
                             "Deactivate it and create another one."))
    badge.emoji, badge.name_en, badge.name_fr = data.emoji, data.name_en, data.name_fr
    badge.description_en, badge.description_fr = data.description_en, data.description_fr
    badge.criterion, badge.threshold, badge.course_id = (data.criterion, data.threshold,
                                                         data.course_id)
    db.flush()
    record(db, actor, "gamification.badge_updated", target=badge,
           criterion=badge.criterion.value, threshold=badge.threshold)


def set_badge_active(db: Session, actor: Actor, badge: Badge, active: bool) -> None:
    if badge.active == active:
        return
    badge.active = active
    db.flush()
    record(db, actor, "gamification.badge_activated" if active
           else "gamification.badge_deactivated", target=badge)


def delete_badge(db: Session, actor: Actor, badge: Badge) -> None:
    """Only a badge nobody has (a mistake); an awarded badge is deactivated instead."""
    if awarded_count(db, badge.id):
        raise ServiceError(_("People have this badge: deactivate it instead."))
    record(db, actor, "gamification.badge_deleted", target=badge, key=badge.key)
    db.delete(badge)
    db.flush()


# --- defaults ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefaultBadge:
    key: str
    emoji: str
    name_en: str
    name_fr: str
    description_en: str
    description_fr: str
    criterion: BadgeCriterion
    threshold: int = 1


#: the suggested set (docs/gamification.md); names are data in both languages
DEFAULT_BADGES = [
    DefaultBadge("first-share", "🚀", "First share", "Premier partage",
                 "You shared your first item.", "Vous avez partagé votre premier contenu.",
                 C.SHARES, 1),
    DefaultBadge("shares-10", "📣", "Regular voice", "Voix régulière",
                 "10 items shared.", "10 contenus partagés.", C.SHARES, 10),
    DefaultBadge("shares-50", "🎙️", "Amplifier", "Amplificateur",
                 "50 items shared.", "50 contenus partagés.", C.SHARES, 50),
    DefaultBadge("shares-100", "🏆", "Ambassador 100", "Ambassadeur 100",
                 "100 items shared.", "100 contenus partagés.", C.SHARES, 100),
    DefaultBadge("clicks-100", "👀", "100 visitors", "100 visiteurs",
                 "Your links brought 100 unique human clicks.",
                 "Vos liens ont apporté 100 clics humains uniques.", C.UNIQUE_CLICKS, 100),
    DefaultBadge("clicks-1000", "🌟", "1,000 visitors", "1 000 visiteurs",
                 "Your links brought 1,000 unique human clicks.",
                 "Vos liens ont apporté 1 000 clics humains uniques.", C.UNIQUE_CLICKS, 1000),
    DefaultBadge("first-conversion", "🎯", "First conversion", "Première conversion",
                 "A share of yours brought a customer action (lead, sign-up…).",
                 "Un de vos partages a apporté une action client (contact, inscription…).",
                 C.CONVERSIONS, 1),
    DefaultBadge("first-suggestion", "💡", "Co-creator", "Co-créateur",
                 "A link you suggested was approved.",
                 "Un lien que vous avez suggéré a été approuvé.", C.SUGGESTIONS_ACCEPTED, 1),
    DefaultBadge("streak-4", "🔥", "Four-week streak", "Quatre semaines d'affilée",
                 "You shared four weeks in a row.",
                 "Vous avez partagé quatre semaines d'affilée.", C.STREAK_WEEKS, 4),
    DefaultBadge("monthly-top-10", "🥇", "Top 10 of the month", "Top 10 du mois",
                 "In the top 10 of a month's points board.",
                 "Dans le top 10 du classement des points d'un mois.", C.MONTHLY_TOP, 10),
]
#: the course badge, added when a course is given (the social-media policy course)
POLICY_COURSE_BADGE = DefaultBadge(
    "policy-course", "🎓", "Policy certified", "Charte validée",
    "You passed the social-media policy course.",
    "Vous avez réussi le cours sur la charte des réseaux sociaux.", C.COURSE_PASSED, 1)


def install_defaults(db: Session, actor: Actor, *, course_id: int | None = None) -> int:
    """Create the default badges that do not exist yet (by key); with ``course_id``, also
    the policy-course badge. Returns how many were created."""
    wanted = list(DEFAULT_BADGES) + ([POLICY_COURSE_BADGE] if course_id else [])
    have = set(db.scalars(select(Badge.key)))
    created = 0
    for d in wanted:
        if d.key in have:
            continue
        create_badge(db, actor, BadgeInput(d.emoji, d.name_en, d.name_fr, d.description_en,
                                           d.description_fr, d.criterion, d.threshold,
                                           course_id if d.criterion == C.COURSE_PASSED
                                           else None), key=d.key)
        created += 1
    return created


def level_choices() -> list[tuple[int, str]]:
    return [(n, f"{n} · {level_name(n)}") for n in NUMBERS[1:]]
