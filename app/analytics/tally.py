"""The rollup rules: which (day, key) buckets an event touches, and how a bucket is computed
from the raw events (docs/analytics.md).

Idempotent by construction. A run never adds to a rollup: it finds the buckets touched by
the events past its watermark, deletes those buckets and computes them again entirely from
the raw rows. Re-running, re-scanning an overlap, or a run killed half way (its transaction
rolls back with the watermark) can therefore never count anything twice. ``rebuild`` runs
the very same bucket computation for every day, so it equals the incremental result.

The steps of a run, all in SQL (no event row travels to Python):

1. *discover*: the (day, share) buckets touched by new clicks, shares, conversions and
   engagement snapshots go into a scratch table (kind "s"), with the buckets they change
   indirectly (the next day's unique clicks of the same shares, the later days' engagement
   increases), and the (day, person) buckets of new ledger entries (kind "u");
2. for each touched day, in order: the ``ShareDay`` rows of the touched shares are
   recomputed from the raw events; the people and items of the old and new rows join the
   work (kinds "u", "i"), then the groups of those people now ("g"); ``UserDay`` (with
   points from the ledger), ``UserTopicDay`` and ``ItemDay`` are recomputed from
   ``ShareDay``, and ``GroupDay`` from ``UserDay`` and the current memberships.

Days are UTC days. Days before the retention horizon (their raw clicks are being pruned,
``app.analytics.retention``) are frozen: never recomputed, by the tally or the rebuild.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from app.accounts.models import user_groups
from app.analytics.models import (
    METRICS,
    NO_NETWORK,
    ROLLUPS,
    GroupDay,
    ItemDay,
    ShareDay,
    UserDay,
    UserTopicDay,
)
from app.content.models import content_item_topics
from app.gamification.models import LedgerEntry
from app.sharing.models import Click, Conversion, EngagementSnapshot, Share, ShareStatus
from app.sharing.queries import REACHING, counted, unique_click

DAY = timedelta(days=1)
#: the job ids (and watermark keys) of the tally and of the retention job
TALLY_JOB = "analytics.tally"
RETENTION_JOB = "analytics.retention"
#: version of the stored watermark (bump when its shape changes)
STATE_VERSION = 1
#: IN (...) lists are cut into chunks of this size (SQLite's variable limit)
CHUNK = 5_000

#: the raw event tables the tally follows, by id
SOURCES: dict[str, Any] = {
    "clicks": Click,
    "shares": Share,
    "conversions": Conversion,
    "snapshots": EngagementSnapshot,
    "ledger": LedgerEntry,
}

#: the scratch table of a run: a temporary table (no write-ahead log, no bloat between
#: runs, dropped at commit on PostgreSQL), created by ``_start_work``
_WORK = Table("analytics_tally_work", MetaData(),
              Column("kind", String(1), nullable=False),  # s share, u person, i item, g group
              Column("day", Date, nullable=False),
              Column("key", BigInteger, nullable=False))
_WORK_DDL = {
    "postgresql": 'CREATE TEMPORARY TABLE IF NOT EXISTS analytics_tally_work ('
                  'kind VARCHAR(1) NOT NULL, day DATE NOT NULL, "key" BIGINT NOT NULL, '
                  'PRIMARY KEY (kind, day, "key")) ON COMMIT DROP',
    "sqlite": 'CREATE TEMPORARY TABLE IF NOT EXISTS analytics_tally_work ('
              'kind VARCHAR(1) NOT NULL, day DATE NOT NULL, "key" BIGINT NOT NULL, '
              'PRIMARY KEY (kind, day, "key"))',
}
#: PostgreSQL settings of the tally's transaction: no JIT (compiling the big aggregates
#: costs more than it saves), and room for its sorts and hashes in memory
_PG_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'")


def tune(db: Session) -> None:
    """The tally's settings for the current transaction (PostgreSQL; nothing on SQLite)."""
    if db.get_bind().dialect.name == "postgresql":
        for statement in _PG_SETTINGS:
            db.execute(text(statement))


def _start_work(db: Session) -> None:
    tune(db)
    dialect = db.get_bind().dialect.name
    db.execute(text(_WORK_DDL.get(dialect, _WORK_DDL["sqlite"])))
    db.execute(delete(_WORK))  # left over from an earlier run of the same connection


# --- SQL helpers ------------------------------------------------------------------------------


class utc_day(FunctionElement):  # noqa: N801 (reads like a SQL function)
    """The UTC date of a timestamp column, on SQLite and PostgreSQL."""

    type = Date()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day)
def _utc_day(element, compiler, **kw):
    (expr,) = element.clauses.clauses
    return f"CAST(timezone('UTC', {compiler.process(expr, **kw)}) AS DATE)"


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element, compiler, **kw):
    # SQLite keeps UTC datetimes as "YYYY-MM-DD HH:MM:SS.ffffff" text and dates as
    # "YYYY-MM-DD": date() turns the one into the other
    (expr,) = element.clauses.clauses
    return f"date({compiler.process(expr, **kw)})"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + DAY


def share_time(share=Share):
    """When a share went out: posted (API), else made (intent)."""
    return func.coalesce(share.posted_at, share.created_at)


def _zero():
    return literal_column("0")


def _zero_money():
    return cast(literal_column("0"), Numeric(16, 2))


def _money_sum(column):
    # exact on PostgreSQL (numeric); on SQLite the REAL sum is rounded to cents so that
    # the order of the additions can never show up as a difference
    return func.round(func.sum(column), 2)


def _sums(sub, columns: Sequence[str]) -> list:
    return [(_money_sum(sub.c[name]) if name == "conversion_value"
             else func.sum(sub.c[name])).label(name) for name in columns]


def _nonzero(sub, columns: Sequence[str]):
    return or_(*(func.sum(sub.c[name]) != 0 for name in columns))


def _work_keys(kind: str, day: date):
    return select(_WORK.c.key).where(_WORK.c.kind == kind, _WORK.c.day == day)


# --- the stored position ----------------------------------------------------------------------


@dataclass
class TallyState:
    """The tally's watermark (a JSON object in ``job_watermarks``).

    - ``pos``: per source, the highest id scanned so far;
    - ``floor``: per source, the id at or below which every row is final: each run re-scans
      the ids above it (an overlap), so a row whose id was taken before a run but whose
      transaction committed after it (PostgreSQL sequences) is still counted, once;
    - ``history``: (time, pos) of the recent runs: ``floor`` moves to the ``pos`` of the
      newest run at least ``overlap`` old, so any transaction shorter than the overlap is
      caught, whatever its events' own timestamps;
    - ``pending``: ids of the shares that were scheduled at the last run: when one is posted
      (or fails) its bucket changes without any new row.
    """

    pos: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    floor: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    history: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)

    @classmethod
    def load(cls, value: Any) -> TallyState | None:
        if not isinstance(value, dict) or value.get("v") != STATE_VERSION:
            return None
        return cls(pos={**dict.fromkeys(SOURCES, 0), **value["pos"]},
                   floor={**dict.fromkeys(SOURCES, 0), **value["floor"]},
                   history=[(at, dict(pos)) for at, pos in value["history"]],
                   pending=list(value["pending"]))

    def dump(self) -> dict:
        return {"v": STATE_VERSION, "pos": self.pos, "floor": self.floor,
                "history": [[at, pos] for at, pos in self.history], "pending": self.pending}

    def rescan_floor(self, now: datetime, overlap: timedelta) -> dict[str, int]:
        """Move ``floor`` up to the newest run at least ``overlap`` old; forget older runs."""
        limit = now - overlap
        old = [pos for at, pos in self.history if datetime.fromisoformat(at) <= limit]
        if old:
            self.floor = {src: max(self.floor.get(src, 0), old[-1].get(src, 0))
                          for src in SOURCES}
        self.history = [(at, pos) for at, pos in self.history
                        if datetime.fromisoformat(at) > limit]
        return dict(self.floor)

    def record(self, now: datetime, pos: dict[str, int]) -> None:
        self.pos = dict(pos)
        self.history.append((now.isoformat(), dict(pos)))


def load_state(db: Session) -> TallyState | None:
    from app.jobs.watermark import get_watermark

    return TallyState.load(get_watermark(db, TALLY_JOB))


def save_state(db: Session, state: TallyState) -> None:
    from app.jobs.watermark import set_watermark

    set_watermark(db, TALLY_JOB, state.dump())


def frozen_before(db: Session) -> date | None:
    """Days before this one are frozen (their raw clicks are pruned); None: nothing is."""
    from app.jobs.watermark import get_watermark

    value = get_watermark(db, RETENTION_JOB)
    if isinstance(value, dict) and value.get("frozen_before"):
        return date.fromisoformat(value["frozen_before"])
    return None


def max_ids(db: Session) -> dict[str, int]:
    row = db.execute(select(*(select(func.max(model.id)).scalar_subquery()
                              for model in SOURCES.values()))).one()
    return {src: int(value or 0) for src, value in zip(SOURCES, row, strict=True)}


def next_ids(db: Session, after: dict[str, int]) -> dict[str, int]:
    """Per source, the first id above ``after`` (ids can have gaps: a batch counts from the
    first row there is), or ``after`` + 1 when there is none."""
    row = db.execute(select(*(select(func.min(model.id)).where(model.id > after[src])
                              .scalar_subquery() for src, model in SOURCES.items()))).one()
    return {src: int(value) if value is not None else after[src] + 1
            for src, value in zip(SOURCES, row, strict=True)}


def scheduled_share_ids(db: Session, up_to: int) -> list[int]:
    return list(db.scalars(select(Share.id).where(Share.status == ShareStatus.SCHEDULED,
                                                  Share.id <= up_to).order_by(Share.id)))


# --- 1. discover the touched buckets ----------------------------------------------------------


def _in_range(model, lo: int | None, hi: int | None):
    conditions = []
    if lo is not None:
        conditions.append(model.id > lo)
    if hi is not None:
        conditions.append(model.id <= hi)
    return and_(*conditions) if conditions else true()


def _share_buckets(lo: dict[str, int] | None, hi: dict[str, int] | None):
    """(day, share) pairs of the events with ids in (lo, hi] (every event without bounds)."""

    def bounds(src: str, model):
        return _in_range(model, lo and lo[src], hi and hi[src])

    parts = [
        select(utc_day(Click.at).label("day"), Click.share_id.label("key"))
        .where(bounds("clicks", Click)),
        select(utc_day(share_time()).label("day"), Share.id.label("key"))
        .where(bounds("shares", Share)),
        select(utc_day(Conversion.occurred_at).label("day"), Conversion.share_id.label("key"))
        .where(bounds("conversions", Conversion)),
    ]
    snap = aliased(EngagementSnapshot)
    if lo is None and hi is None:
        parts.append(select(utc_day(snap.taken_at).label("day"), snap.share_id.label("key")))
    else:
        # a new snapshot changes its day, and the increase of the later days of that share
        # (their baseline is "the last snapshot before the day")
        new = aliased(EngagementSnapshot)
        first_new = (select(func.min(new.taken_at))
                     .where(new.share_id == snap.share_id, bounds("snapshots", new))
                     .scalar_subquery())
        parts.append(select(utc_day(snap.taken_at).label("day"), snap.share_id.label("key"))
                     .where(snap.share_id.in_(select(EngagementSnapshot.share_id)
                                              .where(bounds("snapshots", EngagementSnapshot))),
                            snap.taken_at >= first_new))
    return union(*parts).subquery()


def _insert_work(db: Session, kind: str, buckets, horizon: date | None) -> None:
    """INSERT the (day, key) rows of ``buckets`` (distinct) as work of ``kind``."""
    query = select(literal(kind, String(1)), buckets.c.day, buckets.c.key)
    if horizon is not None:
        query = query.where(buckets.c.day >= horizon)
    db.execute(insert(_WORK).from_select(["kind", "day", "key"], query))


def _absent(kind: str, day, key):
    return ~exists().where(_WORK.c.kind == kind, _WORK.c.day == day, _WORK.c.key == key)


def discover(db: Session, *, lo: dict[str, int] | None, hi: dict[str, int] | None,
             changed_shares: Iterable[int] = (), horizon: date | None = None,
             spill: bool = True) -> None:
    """Fill the work table with every bucket to recompute (see the module doc).

    ``lo``/``hi`` None: every event (the rebuild). ``changed_shares``: shares whose status
    changed since the last run. ``spill``: also the next day of the (day, share) buckets
    touched, when that day already has human clicks (a late click can change whether a
    click up to 24 h after it is unique).
    """
    _insert_work(db, "s", _share_buckets(lo, hi), horizon)

    changed = sorted(set(changed_shares))
    for start in range(0, len(changed), CHUNK):
        chunk = changed[start:start + CHUNK]
        day = utc_day(share_time())
        query = select(literal("s", String(1)), day, Share.id).where(
            Share.id.in_(chunk), _absent("s", day, Share.id))
        if horizon is not None:
            query = query.where(day >= horizon)
        db.execute(insert(_WORK).from_select(["kind", "day", "key"], query))

    if spill:
        days = list(db.scalars(select(_WORK.c.day).where(_WORK.c.kind == "s").distinct()
                               .order_by(_WORK.c.day)))
        for day in days:
            following = day + DAY
            db.execute(insert(_WORK).from_select(
                ["kind", "day", "key"],
                select(literal("s", String(1)), literal(following, Date()), ShareDay.share_id)
                .where(ShareDay.day == following, ShareDay.human_clicks > 0,
                       ShareDay.share_id.in_(_work_keys("s", day)),
                       _absent("s", following, ShareDay.share_id))))

    # the people with new ledger entries (the people and items of the touched shares are
    # added day by day, from the share rows: see compute_day)
    ledger_lo, ledger_hi = (lo or {}).get("ledger"), (hi or {}).get("ledger")
    people = (select(utc_day(LedgerEntry.occurred_at).label("day"),
                     LedgerEntry.user_id.label("key"))
              .where(_in_range(LedgerEntry, ledger_lo, ledger_hi)).distinct().subquery())
    _insert_work(db, "u", people, horizon)


# --- 2. compute the buckets of one day --------------------------------------------------------


def share_facts(day: date, keys):
    """SELECT day, share, person, item, network, *METRICS for the shares ``keys`` (a
    subquery of share ids) on ``day``, straight from the raw events: each share row with
    its clicks, conversions and engagement of the day aggregated beside it."""
    start, stop = day_bounds(day)
    clicks = (select(Click.share_id,
                     func.sum(case((counted(), 1), else_=0)).label("human"),
                     func.sum(case((and_(counted(), unique_click()), 1), else_=0))
                     .label("uniq"),
                     func.sum(case((Click.is_bot.is_(True), 1), else_=0)).label("bot"))
              .where(Click.share_id.in_(keys), Click.at >= start, Click.at < stop)
              .group_by(Click.share_id).subquery())
    conversions = (select(Conversion.share_id, func.count().label("n"),
                          func.coalesce(_money_sum(Conversion.value), 0).label("value"))
                   .where(Conversion.share_id.in_(keys), Conversion.occurred_at >= start,
                          Conversion.occurred_at < stop)
                   .group_by(Conversion.share_id).subquery())
    engagement = engagement_increase(day, keys).subquery()
    made = and_(Share.status.in_(REACHING), share_time() >= start, share_time() < stop)
    rows = (select(Share.id.label("share_id"), Share.user_id, Share.item_id, Share.network,
                   case((made, 1), else_=0).label("shares"),
                   case((made, Share.reach), else_=0).label("reach"),
                   func.coalesce(clicks.c.human, 0).label("human_clicks"),
                   func.coalesce(clicks.c.uniq, 0).label("unique_clicks"),
                   func.coalesce(clicks.c.bot, 0).label("bot_clicks"),
                   func.coalesce(engagement.c.engagements, 0).label("engagements"),
                   func.coalesce(conversions.c.n, 0).label("conversions"),
                   func.coalesce(conversions.c.value, _zero_money()).label("conversion_value"))
            .outerjoin(clicks, clicks.c.share_id == Share.id)
            .outerjoin(conversions, conversions.c.share_id == Share.id)
            .outerjoin(engagement, engagement.c.share_id == Share.id)
            .where(Share.id.in_(keys))
            .subquery())
    return (select(literal(day, Date()).label("day"), rows.c.share_id, rows.c.user_id,
                   rows.c.item_id, rows.c.network, *(rows.c[name] for name in METRICS))
            .where(or_(*(rows.c[name] != 0 for name in METRICS))))


def engagement_increase(day: date, keys=None, ranges: tuple[int, int] | None = None):
    """Per share of ``keys`` (None: every share) with a snapshot on ``day``: likes +
    comments + reshares of the day's last snapshot minus those of the last snapshot before
    the day (0 if none). ``ranges``: only the day's snapshots with ids in (lo, hi]."""
    start, stop = day_bounds(day)
    last, later, before = (aliased(EngagementSnapshot) for _ in range(3))

    def total(snapshot):
        return snapshot.likes + snapshot.comments + snapshot.reshares

    baseline = (select(total(before)).where(before.share_id == last.share_id,
                                            before.taken_at < start)
                .order_by(before.taken_at.desc(), before.id.desc()).limit(1)
                .scalar_subquery())
    is_last = ~exists().where(later.share_id == last.share_id, later.taken_at >= start,
                              later.taken_at < stop,
                              or_(later.taken_at > last.taken_at,
                                  and_(later.taken_at == last.taken_at, later.id > last.id)))
    query = (select(last.share_id.label("share_id"), _zero(), _zero(), _zero(), _zero(),
                    _zero(), (total(last) - func.coalesce(baseline, 0)).label("engagements"),
                    _zero(), _zero_money())
             .where(last.taken_at >= start, last.taken_at < stop, is_last))
    if ranges is not None:
        query = query.where(_in_range(last, *ranges))
    return query if keys is None else query.where(last.share_id.in_(keys))


def _metric_columns(model) -> list:
    return [getattr(model, name) for name in METRICS]


def _add_dependents(db: Session, day: date) -> None:
    """The people and items of the touched shares' rows of ``day`` join the work."""
    for kind, column in (("u", ShareDay.user_id), ("i", ShareDay.item_id)):
        db.execute(insert(_WORK).from_select(
            ["kind", "day", "key"],
            select(literal(kind, String(1)), literal(day, Date()), column)
            .where(ShareDay.day == day, ShareDay.share_id.in_(_work_keys("s", day)),
                   _absent(kind, day, column))
            .distinct()))


def _add_groups(db: Session, day: date) -> None:
    """The groups the touched people of ``day`` belong to now join the work."""
    db.execute(insert(_WORK).from_select(
        ["kind", "day", "key"],
        select(literal("g", String(1)), literal(day, Date()), user_groups.c.group_id)
        .where(user_groups.c.user_id.in_(_work_keys("u", day))).distinct()))


def _only(column, kind: str, day: date, whole_day: bool):
    """``column IN (the work keys of kind)``, or no condition when the whole day is
    recomputed (the rebuild: every key of the day is in the work anyway)."""
    return true() if whole_day else column.in_(_work_keys(kind, day))


def _recompute_share_days(db: Session, day: date, *, whole_day: bool) -> None:
    keys = _work_keys("s", day)
    if not whole_day:
        _add_dependents(db, day)  # the old rows' people and items: they may lose a share
        db.execute(delete(ShareDay).where(ShareDay.day == day, ShareDay.share_id.in_(keys)))
    db.execute(insert(ShareDay).from_select(
        ["day", "share_id", "user_id", "item_id", "network", *METRICS],
        share_facts(day, keys)))
    if not whole_day:
        _add_dependents(db, day)  # and the new rows'
        _add_groups(db, day)
        _analyze_work(db)  # the day's people, items and groups are in the work now


def _recompute_user_days(db: Session, day: date, *, whole_day: bool) -> None:
    start, stop = day_bounds(day)
    if not whole_day:
        db.execute(delete(UserDay).where(UserDay.day == day,
                                         UserDay.user_id.in_(_work_keys("u", day))))
    from_shares = (select(ShareDay.user_id, ShareDay.network, *_metric_columns(ShareDay),
                          _zero().label("points"))
                   .where(ShareDay.day == day, _only(ShareDay.user_id, "u", day, whole_day)))
    zeros = [(_zero_money() if name == "conversion_value" else _zero()).label(name)
             for name in METRICS]
    from_ledger = (select(LedgerEntry.user_id, literal(NO_NETWORK, String(16)), *zeros,
                          LedgerEntry.points)
                   .where(LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < stop,
                          _only(LedgerEntry.user_id, "u", day, whole_day)))
    parts = union_all(from_shares, from_ledger).subquery()
    columns = (*METRICS, "points")
    db.execute(insert(UserDay).from_select(
        ["day", "user_id", "network", *columns],
        select(literal(day, Date()), parts.c.user_id, parts.c.network, *_sums(parts, columns))
        .group_by(parts.c.user_id, parts.c.network).having(_nonzero(parts, columns))))


def _recompute_item_days(db: Session, day: date, *, whole_day: bool) -> None:
    if not whole_day:
        db.execute(delete(ItemDay).where(ItemDay.day == day,
                                         ItemDay.item_id.in_(_work_keys("i", day))))
    rows = (select(ShareDay.item_id, ShareDay.network, *_metric_columns(ShareDay))
            .where(ShareDay.day == day, _only(ShareDay.item_id, "i", day, whole_day))
            .subquery())
    db.execute(insert(ItemDay).from_select(
        ["day", "item_id", "network", *METRICS],
        select(literal(day, Date()), rows.c.item_id, rows.c.network, *_sums(rows, METRICS))
        .group_by(rows.c.item_id, rows.c.network).having(_nonzero(rows, METRICS))))


def _recompute_user_topic_days(db: Session, day: date, *, whole_day: bool) -> None:
    if not whole_day:
        db.execute(delete(UserTopicDay).where(UserTopicDay.day == day,
                                              UserTopicDay.user_id.in_(_work_keys("u", day))))
    rows = (select(ShareDay.user_id, content_item_topics.c.topic_id,
                   *_metric_columns(ShareDay))
            .join(content_item_topics, content_item_topics.c.item_id == ShareDay.item_id)
            .where(ShareDay.day == day, _only(ShareDay.user_id, "u", day, whole_day))
            .subquery())
    db.execute(insert(UserTopicDay).from_select(
        ["day", "user_id", "topic_id", *METRICS],
        select(literal(day, Date()), rows.c.user_id, rows.c.topic_id, *_sums(rows, METRICS))
        .group_by(rows.c.user_id, rows.c.topic_id).having(_nonzero(rows, METRICS))))


def _recompute_group_days(db: Session, day: date, *, whole_day: bool) -> None:
    if not whole_day:
        db.execute(delete(GroupDay).where(GroupDay.day == day,
                                          GroupDay.group_id.in_(_work_keys("g", day))))
    # the day's person rows, each with its person's groups: an EXISTS rather than an IN, so
    # that SQLite reads the day's rows and looks their groups up, instead of every member
    # of every touched group (PostgreSQL makes a semi-join of either)
    touched = true() if whole_day else exists().where(
        _WORK.c.kind == "g", _WORK.c.day == day, _WORK.c.key == user_groups.c.group_id)
    rows = (select(user_groups.c.group_id, UserDay.network, *_metric_columns(UserDay),
                   UserDay.points, case((UserDay.shares > 0, 1), else_=0).label("sharers"))
            .join(user_groups, user_groups.c.user_id == UserDay.user_id)
            .where(UserDay.day == day, touched)
            .subquery())
    columns = (*METRICS, "points", "sharers")
    db.execute(insert(GroupDay).from_select(
        ["day", "group_id", "network", *columns],
        select(literal(day, Date()), rows.c.group_id, rows.c.network, *_sums(rows, columns))
        .group_by(rows.c.group_id, rows.c.network).having(_nonzero(rows, columns))))


def compute_day(db: Session, day: date, *, whole_day: bool = False) -> None:
    """Recompute the work buckets of ``day`` (every bucket of it: ``whole_day``, the
    rebuild, whose rollups of the day were deleted first): shares first, then what derives
    from them."""
    _recompute_share_days(db, day, whole_day=whole_day)
    _recompute_user_days(db, day, whole_day=whole_day)
    _recompute_user_topic_days(db, day, whole_day=whole_day)
    _recompute_item_days(db, day, whole_day=whole_day)
    _recompute_group_days(db, day, whole_day=whole_day)


def _work_days(db: Session) -> list[date]:
    return list(db.scalars(select(_WORK.c.day).distinct().order_by(_WORK.c.day)))


def _work_counts(db: Session) -> dict[str, int]:
    counts = dict.fromkeys("suig", 0)
    for kind, n in db.execute(select(_WORK.c.kind, func.count()).group_by(_WORK.c.kind)):
        counts[kind] = n
    return counts


def _analyze_work(db: Session) -> None:
    """Planner statistics for the work table (PostgreSQL): it goes from empty to many rows
    within the transaction, and a plan made for an empty table would nest loops over the
    click table."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"ANALYZE {_WORK.name}"))


def _compute(db: Session, *, whole_day: bool) -> dict[str, Any]:
    _analyze_work(db)
    days = _work_days(db)
    for day in days:
        compute_day(db, day, whole_day=whole_day)
    counts = _work_counts(db)
    db.execute(delete(_WORK))
    db.flush()
    summary: dict[str, Any] = {"buckets": {"share_days": counts["s"], "user_days": counts["u"],
                                           "item_days": counts["i"],
                                           "group_days": counts["g"]},
                               "days": len(days)}
    if days:
        summary["first_day"], summary["last_day"] = days[0].isoformat(), days[-1].isoformat()
    return summary


# --- the two entry points ---------------------------------------------------------------------


@dataclass(frozen=True)
class TallyOptions:
    #: re-scan window for rows that commit late (see TallyState)
    overlap: timedelta = timedelta(minutes=15)
    #: at most this many new ids per source in one run (the next run goes on)
    batch: int = 500_000


def tally(db: Session, now: datetime, options: TallyOptions = TallyOptions()) -> dict[str, Any]:
    """One incremental run: the events past the watermark (and the overlap) → rollups, and
    the new watermark, in the caller's transaction. Returns a summary for the log."""
    state = load_state(db) or TallyState()
    horizon = frozen_before(db)
    top = max_ids(db)
    hi = {src: min(top[src], first - 1 + options.batch)
          for src, first in next_ids(db, state.pos).items()}
    lo = state.rescan_floor(now, options.overlap)
    still_scheduled = set(scheduled_share_ids(db, hi["shares"]))
    changed = [share_id for share_id in state.pending if share_id not in still_scheduled]

    _start_work(db)
    discover(db, lo=lo, hi=hi, changed_shares=changed, horizon=horizon)
    summary = _compute(db, whole_day=False)

    state.pending = sorted(still_scheduled)
    state.record(now, hi)
    save_state(db, state)
    summary.update({"new_ids": {src: hi[src] - lo[src] for src in SOURCES if hi[src] > lo[src]},
                    "more": any(top[src] > hi[src] for src in SOURCES)})
    if horizon is not None:
        summary["frozen_before"] = horizon.isoformat()
    return summary


def rebuild(db: Session, now: datetime) -> dict[str, Any]:
    """Recompute every rollup of every day not frozen from the raw events, and set the
    watermark to the events seen, in the caller's transaction."""
    _start_work(db)
    previous = load_state(db)
    horizon = frozen_before(db)
    top = max_ids(db)
    for model in ROLLUPS:
        stmt = delete(model)
        if horizon is not None:
            stmt = stmt.where(model.day >= horizon)
        db.execute(stmt)
    discover(db, lo=None, hi=None, horizon=horizon, spill=False)
    summary = _compute(db, whole_day=True)
    del summary["buckets"]  # every bucket of the days: count the rows instead
    summary["rows"] = {model.__tablename__: db.scalar(
        select(func.count()).select_from(model)
        .where(true() if horizon is None else model.day >= horizon)) for model in ROLLUPS}

    # rows committed late below ``top`` are re-scanned by the next runs while the previous
    # runs' history covers them; without one, the rebuild's own position is the floor
    state = previous or TallyState(floor=dict(top))
    state.pending = scheduled_share_ids(db, top["shares"])
    state.record(now, top)
    save_state(db, state)
    if horizon is not None:
        summary["frozen_before"] = horizon.isoformat()
    return summary


# --- the raw aggregate: the same numbers straight from the events ----------------------------


#: the key columns of each rollup, as ``direct_rows`` and ``stored_rows`` return them
KEYS = {"share": ("share_id", "user_id", "item_id", "network"), "user": ("user_id", "network"),
        "item": ("item_id", "network"), "topic": ("user_id", "topic_id"),
        "group": ("group_id", "network")}
#: the numbers of each rollup after its METRICS
EXTRA = {"share": (), "user": ("points",), "item": (), "topic": (), "group": ("points",
                                                                            "sharers")}
_STORED = {"share": ShareDay, "user": UserDay, "item": ItemDay, "topic": UserTopicDay,
           "group": GroupDay}


def _raw_events(day: date, ranges: dict[str, tuple[int, int]] | None, *, points: bool):
    """One row per raw event of ``day``: share, person, item, network, its METRICS and
    points (ledger entries have no share, item nor network)."""
    start, stop = day_bounds(day)
    zero, money = _zero, _zero_money

    def rows_of(src: str, model):
        if ranges is None or src not in ranges:
            return true()
        return _in_range(model, *ranges[src])

    def share_columns(share_id=Share.id):
        return (share_id.label("share_id"), Share.user_id.label("user_id"),
                Share.item_id.label("item_id"), Share.network.label("network"))

    made = (select(*share_columns(), literal_column("1").label("shares"),
                   Share.reach.label("reach"), zero().label("human_clicks"),
                   zero().label("unique_clicks"), zero().label("bot_clicks"),
                   zero().label("engagements"), zero().label("conversions"),
                   money().label("conversion_value"), zero().label("points"))
            .where(Share.status.in_(REACHING), share_time() >= start, share_time() < stop,
                   rows_of("shares", Share)))
    clicks = (select(*share_columns(), zero(), zero(), case((counted(), 1), else_=0),
                     case((and_(counted(), unique_click()), 1), else_=0),
                     case((Click.is_bot.is_(True), 1), else_=0), zero(), zero(), money(),
                     zero())
              .join(Share, Share.id == Click.share_id)
              .where(Click.at >= start, Click.at < stop, rows_of("clicks", Click)))
    conversions = (select(*share_columns(), zero(), zero(), zero(), zero(), zero(), zero(),
                          literal_column("1"), func.coalesce(Conversion.value, 0), zero())
                   .join(Share, Share.id == Conversion.share_id)
                   .where(Conversion.occurred_at >= start, Conversion.occurred_at < stop,
                          rows_of("conversions", Conversion)))
    increase = engagement_increase(day, ranges=ranges and ranges.get("snapshots")).subquery()
    engagement = (select(*share_columns(), zero(), zero(), zero(), zero(), zero(),
                         increase.c.engagements, zero(), money(), zero())
                  .join(Share, Share.id == increase.c.share_id))
    parts = [made, clicks, conversions, engagement]
    if points:
        parts.append(select(literal_column("NULL").label("share_id"), LedgerEntry.user_id,
                            literal_column("NULL").label("item_id"),
                            literal(NO_NETWORK, String(16)), zero(), zero(), zero(), zero(),
                            zero(), zero(), zero(), money(), LedgerEntry.points)
                     .where(LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < stop,
                            rows_of("ledger", LedgerEntry)))
    return union_all(*parts).subquery()


def direct_rows(db: Session, day: date, kind: str,
                ranges: dict[str, tuple[int, int]] | None = None) -> list[tuple]:
    """The rows of one rollup (``kind``: share, user, item, topic, group) of ``day``
    computed in one aggregate straight over the raw events, with no intermediate table:
    the benchmark's baseline and the tests' oracle. Rows are (*KEYS[kind], *METRICS,
    *EXTRA[kind]), sorted.

    ``ranges``: {source: (lo, hi)} also restricts each source to the ids in (lo, hi] (the
    benchmark gives the ids of the day's rows, so that the aggregate finds them by primary
    key, as the tally does, rather than scanning tables without an index on their time)."""
    events = _raw_events(day, ranges, points=bool(EXTRA[kind]))
    columns = (*METRICS, *EXTRA[kind])
    if kind == "topic":
        source = (select(events, content_item_topics.c.topic_id)
                  .join(content_item_topics, content_item_topics.c.item_id == events.c.item_id)
                  .subquery())
    elif kind == "group":
        person = (select(events.c.user_id, events.c.network,
                         *_sums(events, (*METRICS, "points")))
                  .group_by(events.c.user_id, events.c.network).subquery())
        source = (select(person, user_groups.c.group_id,
                         case((person.c.shares > 0, 1), else_=0).label("sharers"))
                  .join(user_groups, user_groups.c.user_id == person.c.user_id).subquery())
    else:
        source = events
    keys = [source.c[name] for name in KEYS[kind]]
    query = (select(*keys, *_sums(source, columns)).group_by(*keys)
             .having(_nonzero(source, columns)).order_by(*keys))
    return [_normalised(row, len(keys)) for row in db.execute(query)]


def direct_user_days(db: Session, day: date,
                     ranges: dict[str, tuple[int, int]] | None = None) -> list[tuple]:
    return direct_rows(db, day, "user", ranges)


def _normalised(row, keys: int = 2) -> tuple:
    """Plain ints and cents as Decimal (SQLite sums come back as floats, PostgreSQL's as
    numerics), so that rows from either side compare equal."""
    values = list(row)
    money = keys + METRICS.index("conversion_value")
    for i, value in enumerate(values):
        if i == money:
            values[i] = Decimal(str(value or 0)).quantize(Decimal("0.01"))
        elif i >= keys:
            values[i] = int(value or 0)
    return tuple(values)


def stored_rows(db: Session, day: date, kind: str) -> list[tuple]:
    """The stored rows of one rollup of ``day`` in the shape of ``direct_rows``."""
    model = _STORED[kind]
    keys = [getattr(model, name) for name in KEYS[kind]]
    query = (select(*keys, *_metric_columns(model), *(getattr(model, n) for n in EXTRA[kind]))
             .where(model.day == day).order_by(*keys))
    return [_normalised(row, len(keys)) for row in db.execute(query)]


def user_day_rows(db: Session, day: date) -> list[tuple]:
    return stored_rows(db, day, "user")


# --- comparing two states of the rollups (rebuild --verify, tests, benchmark) ----------------

#: the columns that identify a rollup row and the ones compared
COMPARED = {model: [c.name for c in model.__table__.columns if c.name != "id"]
            for model in ROLLUPS}


def _check_suffix(suffix: str) -> None:
    # table and column names below come from the models; the suffix from code only — but
    # it is spliced into SQL, so refuse anything that is not a plain identifier
    if not suffix.isidentifier():
        raise ValueError(f"not an identifier: {suffix!r}")


def snapshot_rollups(db: Session, suffix: str = "before", since: date | None = None) -> None:
    """Copy every rollup table (days ≥ ``since``) into a temporary table."""
    _check_suffix(suffix)
    for model, columns in COMPARED.items():
        name = f"tmp_{model.__tablename__}_{suffix}"
        db.execute(text(f"DROP TABLE IF EXISTS {name}"))
        db.execute(text(f"CREATE TEMPORARY TABLE {name} AS SELECT {', '.join(columns)} "  # noqa: S608 - model identifiers # nosec B608
                        f"FROM {model.__tablename__}{_since(since)}"))


def _since(since: date | None) -> str:
    # a literal (a date object's ISO form, never user input): PostgreSQL takes no
    # parameters in CREATE TABLE … AS
    return "" if since is None else f" WHERE day >= '{since.isoformat()}'"


def compare_with_snapshot(db: Session, suffix: str = "before", since: date | None = None,
                          examples: int = 5) -> dict[str, dict]:
    """Rows that differ between the snapshot and the current rollups, per table:
    {table: {"missing": n, "extra": n, "examples": [...]}} (empty: identical)."""
    _check_suffix(suffix)
    differences: dict[str, dict] = {}
    where = _since(since)
    for model, columns in COMPARED.items():
        name, table = f"tmp_{model.__tablename__}_{suffix}", model.__tablename__
        cols = ", ".join(columns)
        old = f"SELECT {cols} FROM {name}"  # noqa: S608 - model identifiers # nosec B608
        new = f"SELECT {cols} FROM {table}{where}"  # noqa: S608 - model identifiers # nosec B608
        missing = db.execute(text(f"{old} EXCEPT {new}")).all()
        extra = db.execute(text(f"{new} EXCEPT {old}")).all()
        if missing or extra:
            differences[table] = {
                "missing": len(missing), "extra": len(extra),
                "examples": [("missing", dict(zip(columns, r, strict=True)))
                             for r in missing[:examples]]
                + [("extra", dict(zip(columns, r, strict=True))) for r in extra[:examples]]}
    return differences


def drop_snapshot(db: Session, suffix: str = "before") -> None:
    for model in ROLLUPS:
        db.execute(text(f"DROP TABLE IF EXISTS tmp_{model.__tablename__}_{suffix}"))


def describe_differences(differences: dict[str, dict]) -> str:
    return json.dumps(differences, default=str, indent=1)
