"""The five levels, after the influence pyramid (DESIGN.md, "Progression").

1 Discover (everyone), 2 Secure (identity, policy), 3 Share & connect, 4 Niche & esteem
(regular creator), 5 Leader. The names are fixed and translated here; the requirements of
levels 2–5 are ``Level`` rows that admins edit (defaults below until they do). A level may
require points, shares, unique clicks, conversions, accepted suggestions and a passed course:
a person is at the highest level whose requirements — and those of every level below — are
all met. Levels follow the numbers: a correction or a raised threshold can lower one
(silently); reaching a higher level sends a notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.gamification.models import (
    ALL_TIME_START,
    Action,
    LedgerEntry,
    Level,
    Period,
    PeriodTotal,
)
from app.notifications.services import notify
from app.training.models import Course

NUMBERS = (1, 2, 3, 4, 5)
LEVEL_NAMES = {1: _l("Discover"), 2: _l("Secure"), 3: _l("Share & connect"),
               4: _l("Niche & esteem"), 5: _l("Leader")}
LEVEL_DESCRIPTIONS = {
    1: _l("You are finding your way: the queue, the policy, your first shares."),
    2: _l("Your identity and the policy are in place: you share safely."),
    3: _l("You share regularly and people click."),
    4: _l("A regular voice on your topics whose shares bring results."),
    5: _l("You bring results and help others: you suggest content and lead by example."),
}
#: the requirement columns of ``Level`` (course aside), with their labels
FIELDS = ("min_points", "min_shares", "min_unique_clicks", "min_conversions",
          "min_accepted_suggestions")
FIELD_LABELS = {"min_points": _l("Points"), "min_shares": _l("Shares"),
                "min_unique_clicks": _l("Unique clicks"), "min_conversions": _l("Conversions"),
                "min_accepted_suggestions": _l("Accepted suggestions")}
MAX_THRESHOLD = 10_000_000


def level_name(number: int) -> str:
    return str(LEVEL_NAMES.get(number, number))


@dataclass(frozen=True)
class LevelReq:
    number: int
    min_points: int = 0
    min_shares: int = 0
    min_unique_clicks: int = 0
    min_conversions: int = 0
    min_accepted_suggestions: int = 0
    required_course_id: int | None = None

    @property
    def name(self) -> str:
        return level_name(self.number)


#: defaults until an admin saves the levels (docs/gamification.md)
DEFAULT_LEVELS = {
    1: LevelReq(1),
    2: LevelReq(2, min_points=25),
    3: LevelReq(3, min_points=150, min_shares=10, min_unique_clicks=10),
    4: LevelReq(4, min_points=500, min_shares=20, min_unique_clicks=100, min_conversions=1),
    5: LevelReq(5, min_points=1500, min_shares=30, min_unique_clicks=300, min_conversions=3,
                min_accepted_suggestions=1),
}


def config(db: Session) -> dict[int, LevelReq]:
    """The requirements of the five levels: the stored rows, else the defaults. Level 1 is
    everyone's, whatever is stored."""
    result = dict(DEFAULT_LEVELS)
    for row in db.scalars(select(Level).where(Level.number.in_(NUMBERS[1:]))):
        result[row.number] = LevelReq(row.number, **{f: getattr(row, f) or 0 for f in FIELDS},
                                      required_course_id=row.required_course_id)
    return result


def save_levels(db: Session, actor: Actor, reqs: list[LevelReq]) -> bool:
    """Store the requirements of levels 2–5 (admin); audited. Points must not decrease from
    one level to the next (each level also requires the ones below)."""
    by_number = {r.number: r for r in reqs}
    if sorted(by_number) != list(NUMBERS[1:]):
        raise ServiceError(_("Give the requirements of levels 2 to 5."))
    for req in reqs:
        for name in FIELDS:
            value = getattr(req, name)
            if value is None or not 0 <= value <= MAX_THRESHOLD:
                raise ServiceError(_("Level %(n)d: thresholds are whole numbers from 0 to "
                                     "%(max)d.", n=req.number, max=MAX_THRESHOLD))
        if req.required_course_id is not None and db.get(Course, req.required_course_id) is None:
            raise ServiceError(_("Level %(n)d: unknown course.", n=req.number))
    for number in NUMBERS[2:]:
        if by_number[number].min_points < by_number[number - 1].min_points:
            raise ServiceError(_("Level %(n)d needs at least as many points as level %(m)d.",
                                 n=number, m=number - 1))
    before = config(db)
    if all(before[n] == by_number[n] for n in NUMBERS[1:]) and \
            db.scalar(select(func.count()).select_from(Level)) >= 4:
        return False
    for req in reqs:
        row = db.get(Level, req.number)
        if row is None:
            row = Level(number=req.number)
            db.add(row)
        for name in FIELDS:
            setattr(row, name, getattr(req, name))
        row.required_course_id = req.required_course_id
    db.flush()
    record(db, actor, "gamification.levels_updated",
           levels={n: _as_dict(by_number[n]) for n in NUMBERS[1:]},
           before={n: _as_dict(before[n]) for n in NUMBERS[1:]})
    return True


def install_defaults(db: Session, *, course_for_level_2: int | None = None) -> None:
    """Store the default levels (demo, or an admin starting from them)."""
    for number in NUMBERS[1:]:
        if db.get(Level, number) is None:
            req = DEFAULT_LEVELS[number]
            if number == 2:
                req = replace(req, required_course_id=course_for_level_2)
            db.add(Level(number=number, **{f: getattr(req, f) for f in FIELDS},
                         required_course_id=req.required_course_id))
    db.flush()


def _as_dict(req: LevelReq) -> dict:
    return {**{f: getattr(req, f) for f in FIELDS}, "course": req.required_course_id}


# --- a person's numbers ---------------------------------------------------------------------


@dataclass
class Stats:
    """What badges and levels look at: all-time totals from the ledger's rollups."""

    points: int = 0
    shares: int = 0
    unique_clicks: int = 0
    conversions: int = 0
    reach: int = 0
    accepted_suggestions: int = 0
    #: the courses completed (COURSE_COMPLETED entries, source "course"), with the other
    #: versions (translations) of each
    courses: frozenset[int] = field(default_factory=frozenset)
    #: the longest run of consecutive ISO weeks with at least one counted share
    longest_streak: int = 0


def stats_for(db: Session, user_ids: list[int]) -> dict[int, Stats]:
    """The stats of these people (at most a few hundred ids: one IN list), in three
    statements whatever their number."""
    stats = {uid: Stats() for uid in user_ids}
    if not user_ids:
        return stats
    for row in db.execute(select(PeriodTotal.user_id, PeriodTotal.points, PeriodTotal.shares,
                                 PeriodTotal.unique_clicks, PeriodTotal.conversions,
                                 PeriodTotal.reach)
                          .where(PeriodTotal.user_id.in_(user_ids),
                                 PeriodTotal.period == Period.ALL,
                                 PeriodTotal.period_start == ALL_TIME_START)):
        s = stats[row.user_id]
        s.points, s.shares, s.unique_clicks = row.points, row.shares, row.unique_clicks
        s.conversions, s.reach = row.conversions, int(row.reach)
    courses: dict[int, set[int]] = {uid: set() for uid in user_ids}
    for uid, action, source_type, source_id in db.execute(
            select(LedgerEntry.user_id, LedgerEntry.action, LedgerEntry.source_type,
                   LedgerEntry.source_id)
            .where(LedgerEntry.user_id.in_(user_ids),
                   LedgerEntry.action.in_([Action.SUGGESTION_ACCEPTED,
                                           Action.COURSE_COMPLETED]))):
        if action == Action.SUGGESTION_ACCEPTED:
            stats[uid].accepted_suggestions += 1
        elif source_type == "course" and source_id is not None:
            courses[uid].add(int(source_id))
    weeks: dict[int, list[date]] = {uid: [] for uid in user_ids}
    for uid, start in db.execute(
            select(PeriodTotal.user_id, PeriodTotal.period_start)
            .where(PeriodTotal.user_id.in_(user_ids), PeriodTotal.period == Period.WEEK,
                   PeriodTotal.shares > 0)
            .order_by(PeriodTotal.user_id, PeriodTotal.period_start)):
        weeks[uid].append(start)
    family = course_families(db, set().union(*courses.values()))
    for uid in user_ids:
        stats[uid].courses = frozenset().union(*(family.get(c, {c}) for c in courses[uid]))
        stats[uid].longest_streak = longest_run(weeks[uid])
    return stats


def course_families(db: Session, course_ids: set[int]) -> dict[int, set[int]]:
    """Each course with the other versions of its family (its original and translations):
    passing any version counts as passing the course (the training feature's rule), so a
    badge or a level that asks for the English course is met by the French version too."""
    if not course_ids:
        return {}
    root = {cid: original or cid for cid, original in db.execute(
        select(Course.id, Course.translation_of_id).where(Course.id.in_(course_ids)))}
    roots = set(root.values())
    members: dict[int, set[int]] = {r: {r} for r in roots}
    for cid, original in db.execute(select(Course.id, Course.translation_of_id)
                                    .where(Course.translation_of_id.in_(roots))):
        members[original].add(cid)
    return {cid: members[r] for cid, r in root.items()}


def longest_run(week_starts: list[date]) -> int:
    """The longest run of consecutive weeks (Mondays 7 days apart) in a sorted list."""
    best = run = 0
    previous = None
    for start in week_starts:
        run = run + 1 if previous is not None and start - previous == timedelta(days=7) else 1
        best = max(best, run)
        previous = start
    return best


# --- levels from stats ----------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    #: translated when shown (a lazy string)
    label: object
    have: int
    need: int
    #: for a course requirement: its id (the page links to it when it can)
    course_id: int | None = None

    @property
    def met(self) -> bool:
        return self.have >= self.need


def requirements(req: LevelReq, stats: Stats, course_titles: dict[int, str] | None = None
                 ) -> list[Requirement]:
    """Every requirement of one level with where the person stands."""
    have = {"min_points": stats.points, "min_shares": stats.shares,
            "min_unique_clicks": stats.unique_clicks, "min_conversions": stats.conversions,
            "min_accepted_suggestions": stats.accepted_suggestions}
    result = [Requirement(FIELD_LABELS[f], have[f], getattr(req, f))
              for f in FIELDS if getattr(req, f) > 0]
    if req.required_course_id is not None:
        title = (course_titles or {}).get(req.required_course_id, _l("the required course"))
        result.append(Requirement(_l("Pass the course “%(title)s”", title=title),
                                  int(req.required_course_id in stats.courses), 1,
                                  course_id=req.required_course_id))
    return result


def meets(req: LevelReq, stats: Stats) -> bool:
    """Every requirement of ``req`` is met (no translation: jobs call it for thousands)."""
    return (stats.points >= req.min_points and stats.shares >= req.min_shares
            and stats.unique_clicks >= req.min_unique_clicks
            and stats.conversions >= req.min_conversions
            and stats.accepted_suggestions >= req.min_accepted_suggestions
            and (req.required_course_id is None or req.required_course_id in stats.courses))


def level_for(stats: Stats, cfg: dict[int, LevelReq]) -> int:
    level = 1
    for number in NUMBERS[1:]:
        if not meets(cfg[number], stats):
            break
        level = number
    return level


@dataclass(frozen=True)
class Progress:
    level: int
    #: None at level 5
    next_level: int | None
    #: the next level's requirements (met or not), and those of the levels below still unmet
    requirements: list[Requirement]

    @property
    def unmet(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.met]


def progress(db: Session, stats: Stats, cfg: dict[int, LevelReq]) -> Progress:
    level = level_for(stats, cfg)
    if level == NUMBERS[-1]:
        return Progress(level, None, [])
    titles = course_titles(db, {cfg[n].required_course_id for n in NUMBERS
                                if cfg[n].required_course_id})
    reqs = requirements(cfg[level + 1], stats, titles)
    return Progress(level, level + 1, reqs)


def course_titles(db: Session, ids) -> dict[int, str]:
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return dict(db.execute(select(Course.id, Course.title).where(Course.id.in_(ids))).all())


def update_levels(db: Session, stats: dict[int, Stats], cfg: dict[int, LevelReq],
                  now: datetime) -> dict[int, int]:
    """Store each person's level; a notice for each level reached. Returns the levels."""
    from app.gamification.services import ensure_profiles

    levels = {uid: level_for(s, cfg) for uid, s in stats.items()}
    profiles = ensure_profiles(db, list(stats))
    for uid, level in levels.items():
        row = profiles[uid]
        if row.level == level:
            continue
        if level > (row.level or 1):
            notify(db, user_id=uid, kind="gamification.level", params={"level": level},
                   link=("gamification.my_points", {}), now=now)
        row.level = level
        row.level_reached_at = now
    db.flush()
    return levels
