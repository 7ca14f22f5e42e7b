"""Points: the rules, the append-only ledger, corrections, and the evaluation of badges and
levels (DESIGN.md, "A score becomes a game").

- Every payment is one ``LedgerEntry`` naming the event it pays for, with a unique
  idempotency key. It is written with ``INSERT … ON CONFLICT DO NOTHING`` on the named
  unique constraint, so the same event never pays twice, even when two awards of the same
  key run at once (the loser's insert does nothing and it gets ``None``).
- A rule pays its points, capped per person and UTC day (of the event) when the rule has a
  daily cap: past the cap the entry is still written (the event is counted for the boards)
  with the points that fit, possibly 0, and the reason "daily cap reached".
- Writing the entry is what counts the event: in the same transaction the person's
  ``PeriodTotal`` rows (day, ISO week, month, quarter, all time) are incremented, the open
  challenges get the ``Counted`` events, and the leaderboards' cache is invalidated after the
  commit.
- Corrections are new entries (action CORRECTION, possibly negative) with a reason, made by
  an admin and audited. Nothing is ever updated or deleted in the ledger.

Services flush and never commit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.db import after_commit, conflict_target, dialect_insert, on_conflict_nothing, utcnow
from app.gamification.models import (
    ALL_TIME_START,
    Action,
    Challenge,
    GamificationProfile,
    GamificationSettings,
    LedgerEntry,
    Period,
    PeriodTotal,
    PointRule,
    UserBadge,
)
from app.gamification.types import Counted

#: reasons written on ledger entries by the award (English keys, translated when shown)
REASON_CAPPED = "daily cap reached"
REASON_INACTIVE = "rule inactive"
REASON_LABELS = {REASON_CAPPED: _l("daily cap reached"), REASON_INACTIVE: _l("rule inactive")}

#: the largest correction an admin may make at once (a typo guard, not a rule of the game)
MAX_CORRECTION = 100_000
#: rule limits (admin form and service)
MAX_RULE_POINTS = 10_000
MAX_DAILY_CAP = 100_000
#: IN (...) lists are cut into chunks of this size
CHUNK = 500


@dataclass(frozen=True)
class RuleDefault:
    points: int
    daily_cap: int | None
    label: str
    help: str


#: the default point rules (docs/gamification.md). Outcomes (clicks, conversions, accepted
#: suggestions) pay more in total than activity, and the activity that is easiest to spam
#: (sharing, clicks) is capped per day.
DEFAULT_RULES: dict[Action, RuleDefault] = {
    Action.SHARE: RuleDefault(5, 25, _l("Share"), _l("An item shared (opened or posted); "
                                                    "once per item and network.")),
    Action.SHARE_FEATURED: RuleDefault(8, 40, _l("Share of a featured item"),
                                       _l("Paid instead of a share for a featured item.")),
    Action.UNIQUE_CLICK: RuleDefault(1, 50, _l("Unique click on my link"),
                                     _l("The first human click of a visitor on one of my "
                                        "links. Bots, previews and my own clicks earn "
                                        "nothing.")),
    Action.CONVERSION: RuleDefault(25, None, _l("Conversion"),
                                   _l("A conversion the CRM attributes to my share.")),
    Action.SUGGESTION_ACCEPTED: RuleDefault(15, None, _l("Accepted suggestion"),
                                            _l("A link I suggested was approved.")),
    Action.COURSE_COMPLETED: RuleDefault(20, None, _l("Course completed"),
                                         _l("Once per course.")),
    Action.QUIZ_PASSED: RuleDefault(10, None, _l("Quiz passed"), _l("Once per course.")),
    Action.WEEKLY_STREAK: RuleDefault(10, None, _l("Weekly streak"),
                                      _l("Shared this ISO week and the week before; once a "
                                         "week.")),
    Action.CHALLENGE_WON: RuleDefault(50, None, _l("Challenge won"),
                                      _l("Once per challenge.")),
}
#: the actions admins configure (a correction is not a rule)
RULE_ACTIONS = list(DEFAULT_RULES)


def action_label(action: Action | str) -> str:
    action = Action(action)
    if action == Action.CORRECTION:
        return _("Correction")
    return str(DEFAULT_RULES[action].label)


def reason_label(reason: str) -> str:
    """The reason of an entry as shown: the award's reasons translated, an admin's as typed."""
    label = REASON_LABELS.get(reason)
    return str(label) if label is not None else reason


# --- periods ------------------------------------------------------------------------------


def period_start(period: Period, moment: datetime | date) -> date:
    """The first day (UTC) of the ``period`` that contains ``moment``."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    if period == Period.DAY:
        return day
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    if period == Period.QUARTER:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return ALL_TIME_START


def period_starts(moment: datetime | date) -> dict[Period, date]:
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return dict(_period_starts_of_day(day))


@lru_cache(maxsize=4096)
def _period_starts_of_day(day: date) -> dict[Period, date]:
    return {period: period_start(period, day) for period in Period}


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def chunks(values: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    action: Action
    points: int
    daily_cap: int | None
    active: bool
    #: False while the default applies (no row stored yet)
    stored: bool = False
    updated_at: datetime | None = None


def rules(db: Session) -> dict[Action, Rule]:
    """The effective rule of every action: the stored row, else the default (reading never
    writes: defaults are stored when an admin saves a rule or the demo seeds them)."""
    stored = {row.action: row for row in db.scalars(select(PointRule))}
    result: dict[Action, Rule] = {}
    for action, default in DEFAULT_RULES.items():
        row = stored.get(action)
        result[action] = (Rule(action, row.points, row.daily_cap, row.active, True,
                               row.updated_at) if row is not None
                          else Rule(action, default.points, default.daily_cap, True))
    return result


def ensure_default_rules(db: Session) -> int:
    """Store the default rule of every action that has no row yet; returns how many."""
    have = set(db.scalars(select(PointRule.action)))
    missing = [a for a in RULE_ACTIONS if a not in have]
    for action in missing:
        default = DEFAULT_RULES[action]
        db.add(PointRule(action=action, points=default.points, daily_cap=default.daily_cap,
                         active=True, updated_at=utcnow()))
    db.flush()
    return len(missing)


def save_rule(db: Session, actor: Actor, action: Action, *, points: int,
              daily_cap: int | None, active: bool) -> bool:
    """Set one rule (admin); audited when something changed. Returns whether it changed."""
    if action not in DEFAULT_RULES:
        raise ServiceError(_("This action has no rule."))
    if points is None or not 0 <= points <= MAX_RULE_POINTS:
        raise ServiceError(_("Points must be between 0 and %(max)d.", max=MAX_RULE_POINTS),
                           field="points")
    if daily_cap is not None and not 0 <= daily_cap <= MAX_DAILY_CAP:
        raise ServiceError(_("The daily cap must be between 0 and %(max)d, or empty for no "
                             "cap.", max=MAX_DAILY_CAP), field="daily_cap")
    before = rules(db)[action]
    if (before.points, before.daily_cap, before.active) == (points, daily_cap, active) \
            and before.stored:
        return False
    row = db.get(PointRule, action)
    if row is None:
        row = PointRule(action=action)
        db.add(row)
    row.points, row.daily_cap, row.active = points, daily_cap, active
    row.updated_at = utcnow()
    row.updated_by_id = actor.user_id
    db.flush()
    record(db, actor, "gamification.rule_updated", rule=action.value,
           before={"points": before.points, "daily_cap": before.daily_cap,
                   "active": before.active},
           after={"points": points, "daily_cap": daily_cap, "active": active})
    return True


# --- settings -----------------------------------------------------------------------------

BOARD_SIZE_RANGE = (3, 100)


def settings(db: Session) -> GamificationSettings:
    """The programme settings (row 1), or unsaved defaults when never saved."""
    row = db.get(GamificationSettings, 1)
    if row is None:
        row = GamificationSettings(id=1, anonymous_boards=False, board_size=10)
    return row


def save_settings(db: Session, actor: Actor, *, anonymous_boards: bool,
                  board_size: int) -> GamificationSettings:
    low, high = BOARD_SIZE_RANGE
    if board_size is None or not low <= board_size <= high:
        raise ServiceError(_("A board shows between %(low)d and %(high)d people.", low=low,
                             high=high), field="board_size")
    row = db.get(GamificationSettings, 1)
    if row is None:
        row = GamificationSettings(id=1)
        db.add(row)
    before = {"anonymous_boards": row.anonymous_boards, "board_size": row.board_size}
    row.anonymous_boards, row.board_size = bool(anonymous_boards), board_size
    row.updated_at = utcnow()
    db.flush()
    record(db, actor, "gamification.settings_updated", before=before,
           after={"anonymous_boards": row.anonymous_boards, "board_size": row.board_size})
    _invalidate_boards_after_commit(db)
    return row


# --- profiles -----------------------------------------------------------------------------


def ensure_profiles(db: Session, user_ids: Iterable[int]) -> dict[int, GamificationProfile]:
    """The profiles of these people, created when missing (safe against a concurrent
    creation: INSERT … ON CONFLICT DO NOTHING, then read)."""
    ids = sorted(set(user_ids))
    result: dict[int, GamificationProfile] = {}
    for part in chunks(ids):
        result.update({p.user_id: p for p in db.scalars(
            select(GamificationProfile).where(GamificationProfile.user_id.in_(part)))})
    missing = [uid for uid in ids if uid not in result]
    if missing:
        stmt = dialect_insert(db, GamificationProfile.__table__)
        stmt = stmt.on_conflict_do_nothing(index_elements=["user_id"])
        db.execute(stmt, [{"user_id": uid, "leaderboard_opt_out": False, "level": 1}
                          for uid in missing])
        for part in chunks(missing):
            result.update({p.user_id: p for p in db.scalars(
                select(GamificationProfile).where(GamificationProfile.user_id.in_(part)))})
    return result


def profile(db: Session, user_id: int) -> GamificationProfile:
    """The person's profile, or an unsaved default (reading never writes)."""
    row = db.get(GamificationProfile, user_id)
    return row if row is not None else GamificationProfile(user_id=user_id,
                                                           leaderboard_opt_out=False, level=1)


def set_opt_out(db: Session, user_id: int, opt_out: bool) -> GamificationProfile:
    """The person hides themselves from everyone else's leaderboards (or shows again)."""
    row = ensure_profiles(db, [user_id])[user_id]
    if row.leaderboard_opt_out != bool(opt_out):
        row.leaderboard_opt_out = bool(opt_out)
        db.flush()
        _invalidate_boards_after_commit(db)
    return row


# --- the award ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PointEvent:
    """One stored event to pay for (see ``award``)."""

    user_id: int
    action: Action
    key: str
    occurred_at: datetime
    source_type: str = ""
    source_id: int | None = None
    item_id: int | None = None
    shares: int = 0
    unique_clicks: int = 0
    conversions: int = 0
    reach: int = 0
    #: corrections only: the points (any sign), the admin's reason and the admin
    points: int | None = None
    reason: str = ""
    created_by_id: int | None = None


@dataclass(frozen=True)
class Paid:
    """A ledger entry just written."""

    entry_id: int
    event: PointEvent
    points: int
    reason: str

    @property
    def counted(self) -> Counted:
        e = self.event
        return Counted(user_id=e.user_id, action=e.action, occurred_at=e.occurred_at,
                       points=self.points, item_id=e.item_id, shares=e.shares,
                       unique_clicks=e.unique_clicks, conversions=e.conversions, reach=e.reach)


def award(db: Session, *, user_id: int, action: Action, key: str, occurred_at: datetime,
          source_type: str = "", source_id: int | None = None, item_id: int | None = None,
          shares: int = 0, unique_clicks: int = 0, conversions: int = 0, reach: int = 0,
          now: datetime | None = None) -> LedgerEntry | None:
    """Pay the event ``key`` once (see the module docstring). ``None``: already paid."""
    if action == Action.CORRECTION:
        raise ValueError("corrections go through correct()")
    paid = award_many(db, [PointEvent(
        user_id=user_id, action=Action(action), key=key, occurred_at=occurred_at,
        source_type=source_type, source_id=source_id, item_id=item_id, shares=shares,
        unique_clicks=unique_clicks, conversions=conversions, reach=reach)], now=now)
    return db.get(LedgerEntry, paid[0].entry_id) if paid else None


def award_many(db: Session, events: Iterable[PointEvent], *,
               now: datetime | None = None) -> list[Paid]:
    """``award`` for a batch of events, in a constant number of statements per batch (the
    award job pays thousands of clicks per run). Events whose key is already in the ledger,
    or repeated in the batch, pay nothing. Caps are filled in the order the events
    happened."""
    now = now or utcnow()
    batch: dict[str, PointEvent] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.key)):
        if event.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be an aware UTC datetime")
        batch.setdefault(event.key, event)
    if not batch:
        return []
    for part in chunks(list(batch)):
        for key in db.scalars(select(LedgerEntry.idempotency_key)
                              .where(LedgerEntry.idempotency_key.in_(part))):
            batch.pop(key, None)
    if not batch:
        return []
    todo = list(batch.values())
    effective = rules(db)
    capped = {a for a, r in effective.items() if r.active and r.daily_cap is not None}
    paid_today = _paid_today(db, [e for e in todo if e.action in capped])

    rows, decided = [], {}
    for event in todo:
        points, reason = _points_for(event, effective, paid_today)
        decided[event.key] = (points, reason)
        rows.append({"user_id": event.user_id, "action": event.action, "points": points,
                     "source_type": event.source_type[:32], "source_id": event.source_id,
                     "idempotency_key": event.key[:200], "reason": reason,
                     "created_by_id": event.created_by_id, "occurred_at": event.occurred_at,
                     "created_at": now})
    stmt = dialect_insert(db, LedgerEntry.__table__)
    stmt = on_conflict_nothing(db, stmt, "uq_points_ledger_idempotency_key",
                                ["idempotency_key"])
    table = LedgerEntry.__table__
    # PostgreSQL plans a multi-row INSERT … ON CONFLICT … RETURNING for each page of rows:
    # small pages are several times faster than the default 1,000 (measured)
    stmt = stmt.returning(table.c.id, table.c.idempotency_key).execution_options(
        insertmanyvalues_page_size=100)
    written: dict[str, int] = {}
    for part in chunks(rows, 5000):
        for entry_id, key in db.execute(stmt, part):
            written[key] = entry_id
    paid = [Paid(written[e.key], e, *decided[e.key]) for e in todo if e.key in written]
    if paid:
        counted = [p.counted for p in paid]
        _add_to_totals(db, counted)
        from app.gamification import challenges

        challenges.apply_counted(db, counted)
        _invalidate_boards_after_commit(db)
    return paid


def _points_for(event: PointEvent, effective: dict[Action, Rule],
                paid_today: dict[tuple[int, Action, date], int]) -> tuple[int, str]:
    if event.action == Action.CORRECTION:
        return int(event.points or 0), event.reason
    rule = effective[event.action]
    if not rule.active:
        return 0, REASON_INACTIVE
    if rule.daily_cap is None:
        return rule.points, ""
    slot = (event.user_id, event.action, event.occurred_at.astimezone(UTC).date())
    room = max(0, rule.daily_cap - paid_today[slot])
    points = min(rule.points, room)
    paid_today[slot] += points
    return points, "" if points == rule.points else REASON_CAPPED


def _paid_today(db: Session, events: list[PointEvent]) -> defaultdict:
    """Points already paid per (person, action, UTC day) for the capped events' days.

    On PostgreSQL a transaction-scoped advisory lock per capped action is taken first, so
    that two transactions paying the same capped action (the award job and a request) see
    each other's payments and cannot exceed a cap together. (SQLite writers are serialised
    by BEGIN IMMEDIATE.)"""
    paid: defaultdict = defaultdict(int)
    if not events:
        return paid
    if db.get_bind().dialect.name == "postgresql":
        from app.jobs.runner import advisory_lock_key

        for action in sorted({e.action.value for e in events}):
            db.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                       {"key": advisory_lock_key(f"gamification.cap:{action}")})
    actions = sorted({e.action for e in events})
    users = sorted({e.user_id for e in events})
    days = [e.occurred_at.astimezone(UTC).date() for e in events]
    start, _end = day_bounds(min(days))
    _start, end = day_bounds(max(days))
    for part in chunks(users):
        for user_id, action, occurred_at, points in db.execute(
                select(LedgerEntry.user_id, LedgerEntry.action, LedgerEntry.occurred_at,
                       LedgerEntry.points)
                .where(LedgerEntry.user_id.in_(part), LedgerEntry.action.in_(actions),
                       LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < end,
                       LedgerEntry.points != 0)):
            paid[(user_id, action, occurred_at.astimezone(UTC).date())] += points
    return paid


_TOTAL_COLUMNS = ("points", "shares", "unique_clicks", "conversions", "reach")


def _add_to_totals(db: Session, counted: list[Counted]) -> None:
    """Increment the PeriodTotal rows of the counted events (one upsert per batch)."""
    deltas: dict[tuple[int, Period, date], list[int]] = defaultdict(lambda: [0] * 5)
    for c in counted:
        values = (c.points, c.shares, c.unique_clicks, c.conversions, c.reach)
        for period, start in period_starts(c.occurred_at).items():
            row = deltas[(c.user_id, period, start)]
            for i, value in enumerate(values):
                row[i] += value
    rows = [{"user_id": uid, "period": period, "period_start": start,
             **dict(zip(_TOTAL_COLUMNS, values, strict=True))}
            for (uid, period, start), values in sorted(deltas.items())]
    table = PeriodTotal.__table__
    stmt = dialect_insert(db, table)
    stmt = stmt.on_conflict_do_update(
        **conflict_target(db, "uq_period_totals_user_id_period_period_start",
                           ["user_id", "period", "period_start"]),
        set_={name: table.c[name] + stmt.excluded[name] for name in _TOTAL_COLUMNS})
    for part in chunks(rows, 1000):
        db.execute(stmt, part)


_INVALIDATE_KEY = "gamification_invalidate"


def _invalidate_boards_after_commit(db: Session) -> None:
    """Register the leaderboards' cache invalidation once per transaction."""
    from app.db import _AFTER_COMMIT

    callback = db.info.get(_INVALIDATE_KEY)
    if callback is not None and callback in db.info.get(_AFTER_COMMIT, ()):
        return

    def invalidate() -> None:
        from app.gamification import leaderboards

        db.info.pop(_INVALIDATE_KEY, None)
        leaderboards.invalidate()

    db.info[_INVALIDATE_KEY] = invalidate
    after_commit(db, invalidate)


# --- corrections --------------------------------------------------------------------------


def correct(db: Session, *, user_id: int, points: int, reason: str, actor: Actor,
            now: datetime | None = None) -> LedgerEntry:
    """An admin's correction: a new entry (never a change of an old one), audited."""
    reason = (reason or "").strip()
    if not points:
        raise ServiceError(_("Enter a number of points other than 0 (negative to take "
                             "points away)."), field="points")
    if abs(points) > MAX_CORRECTION:
        raise ServiceError(_("A correction is at most %(max)d points.", max=MAX_CORRECTION),
                           field="points")
    if not reason:
        raise ServiceError(_("Give the reason: the person sees it in their history."),
                           field="reason")
    if db.get(User, user_id) is None:
        raise ServiceError(_("Unknown person."))
    now = now or utcnow()
    balance = points_balance(db, user_id)
    if balance + points < 0:
        raise ServiceError(_("This would take the balance below 0 (it is %(balance)d).",
                             balance=balance), field="points")
    paid = award_many(db, [PointEvent(
        user_id=user_id, action=Action.CORRECTION, key=f"correction:{uuid.uuid4()}",
        occurred_at=now, points=points, reason=reason[:1000],
        created_by_id=actor.user_id)], now=now)
    entry = db.get(LedgerEntry, paid[0].entry_id)
    record(db, actor, "gamification.correction", target=entry, user_id=user_id,
           points=points, reason=reason[:1000])
    evaluate(db, [user_id], now)
    return entry


# --- reading the ledger -------------------------------------------------------------------


def points_balance(db: Session, user_id: int) -> int:
    return db.scalar(select(PeriodTotal.points).where(
        PeriodTotal.user_id == user_id, PeriodTotal.period == Period.ALL,
        PeriodTotal.period_start == ALL_TIME_START)) or 0


def period_points(db: Session, user_id: int, period: Period, moment: datetime) -> int:
    return db.scalar(select(PeriodTotal.points).where(
        PeriodTotal.user_id == user_id, PeriodTotal.period == period,
        PeriodTotal.period_start == period_start(period, moment))) or 0


def ledger_statement(user_id: int):
    """The person's entries, newest first (for pagination)."""
    return (select(LedgerEntry).where(LedgerEntry.user_id == user_id)
            .order_by(LedgerEntry.occurred_at.desc(), LedgerEntry.id.desc()))


# --- badges and levels --------------------------------------------------------------------


def evaluate(db: Session, user_ids: Iterable[int], now: datetime) -> list[UserBadge]:
    """Award the badges whose criteria are now met (once each) and update the levels, for
    these people; a notice for each new badge and each level reached. Returns the new
    badges. (Badges for a month's top ranks are awarded by ``badges.award_monthly_top``.)"""
    from app.gamification import badges, levels

    ids = sorted(set(user_ids))
    if not ids:
        return []
    config = levels.config(db)
    active = badges.evaluable_badges(db)
    new: list[UserBadge] = []
    for part in chunks(ids):
        stats = levels.stats_for(db, part)
        reached = levels.update_levels(db, stats, config, now)
        owned = badges.owned_pairs(db, part)
        due = [(uid, badge) for uid in part for badge in active
               if (uid, badge.id) not in owned
               and badges.met(badge, stats[uid], reached[uid])]
        new.extend(badges.grant(db, due, now))
    return new


# --- pages --------------------------------------------------------------------------------


@dataclass
class BadgeToEarn:
    badge: object
    text: str
    #: where the person stands (None: not a count, e.g. a course or a monthly rank)
    have: int | None


@dataclass
class PointsSummary:
    balance: int
    this_month: int
    stats: object
    progress: object
    earned: list
    to_earn: list[BadgeToEarn]
    opt_out: bool


def points_summary(db: Session, user_id: int, now: datetime) -> PointsSummary:
    """Everything "My points" shows but the history: a few statements whatever the
    number of badges."""
    from app.gamification import badges, levels

    stats = levels.stats_for(db, [user_id])[user_id]
    cfg = levels.config(db)
    progress = levels.progress(db, stats, cfg)
    earned = badges.earned(db, user_id)
    owned = {ub.badge_id for ub in earned}
    todo = [b for b in db.scalars(select(badges.Badge).where(badges.Badge.active.is_(True))
                                  .order_by(badges.Badge.criterion, badges.Badge.threshold,
                                            badges.Badge.id))
            if b.id not in owned]
    titles = levels.course_titles(db, {b.course_id for b in todo if b.course_id})
    to_earn = [BadgeToEarn(b, badges.criterion_text(b, titles.get(b.course_id)),
                           badges.have_for(b, stats, progress.level)) for b in todo]
    return PointsSummary(balance=stats.points,
                         this_month=period_points(db, user_id, Period.MONTH, now),
                         stats=stats, progress=progress, earned=earned, to_earn=to_earn,
                         opt_out=profile(db, user_id).leaderboard_opt_out)


def describe_entries(db: Session, entries: Sequence[LedgerEntry]) -> dict[int, str]:
    """What each entry paid for, in words (the content item's title, the course…), in at
    most six statements for a page of entries."""
    from app.content.models import ContentItem
    from app.sharing.models import Click, Conversion, Share
    from app.training.models import Course

    ids: dict[str, set[int]] = defaultdict(set)
    for e in entries:
        if e.source_id is not None:
            ids[e.source_type].add(int(e.source_id))
    titles: dict[tuple[str, int], str] = {}
    if ids["share"]:
        titles.update((("share", sid), title) for sid, title in db.execute(
            select(Share.id, ContentItem.title)
            .join(ContentItem, ContentItem.id == Share.item_id)
            .where(Share.id.in_(ids["share"]))))
    if ids["click"]:
        titles.update((("click", cid), title) for cid, title in db.execute(
            select(Click.id, ContentItem.title).join(Share, Share.id == Click.share_id)
            .join(ContentItem, ContentItem.id == Share.item_id)
            .where(Click.id.in_(ids["click"]))))
    if ids["conversion"]:
        titles.update((("conversion", cid), title) for cid, title in db.execute(
            select(Conversion.id, ContentItem.title)
            .join(Share, Share.id == Conversion.share_id)
            .join(ContentItem, ContentItem.id == Share.item_id)
            .where(Conversion.id.in_(ids["conversion"]))))
    if ids["content_item"]:
        titles.update((("content_item", iid), title) for iid, title in db.execute(
            select(ContentItem.id, ContentItem.title)
            .where(ContentItem.id.in_(ids["content_item"]))))
    if ids["course"]:
        titles.update((("course", cid), title) for cid, title in db.execute(
            select(Course.id, Course.title).where(Course.id.in_(ids["course"]))))
    if ids["challenge"]:
        titles.update((("challenge", cid), title) for cid, title in db.execute(
            select(Challenge.id, Challenge.title).where(Challenge.id.in_(ids["challenge"]))))
    result = {}
    for e in entries:
        if e.source_type == "week" and e.source_id:
            result[e.id] = _("week %(week)d of %(year)d", week=int(e.source_id) % 100,
                             year=int(e.source_id) // 100)
        elif e.source_id is not None:
            result[e.id] = titles.get((e.source_type, int(e.source_id)), "")
        else:
            result[e.id] = ""
    return result
