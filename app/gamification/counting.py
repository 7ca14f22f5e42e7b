"""The award pipeline: stored events → ledger entries → badges and levels.

``award_pending`` is what the job ``gamification.award`` runs (and what the demo runs over
its history). Each source is read incrementally past its position in the job's watermark:

- shares (opened or posted) → SHARE, or SHARE_FEATURED for a featured item; paid once per
  person × item × network (sharing the same item to the same network again pays nothing);
  a scheduled share is remembered and paid once it is posted, a failed one never;
- clicks → UNIQUE_CLICK for the first human click of a visitor on a share (bot and self
  clicks never count; HEAD requests and prefetches are not even stored by sharing);
- conversions → CONVERSION to the sharer;
- content events: an item from a suggestion approved (scheduled or published) →
  SUGGESTION_ACCEPTED to the suggester, once per item;
- weekly streaks: a person with counted shares in ISO week W and in week W-1 gets
  WEEKLY_STREAK once for W.

Then ``evaluate`` for the people touched, the MONTHLY_TOP badges of the previous (closed)
month, and — when an admin changed the levels or the badges — a re-evaluation of everyone,
a bounded slice per run.

Re-reads are harmless: each source is re-scanned from a window of rows behind its position
(events that committed after a later one was read: on PostgreSQL ids are taken at insert,
not at commit), and the idempotency keys make every re-read event pay nothing. Batches are
bounded; ``more`` in the summary says a source had more to read than one run takes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.models import ContentEvent, ContentItem, ContentOrigin, ContentStatus
from app.gamification import badges, levels, services
from app.gamification.models import (
    ALL_TIME_START,
    Action,
    Badge,
    LedgerEntry,
    Period,
    PeriodTotal,
)
from app.gamification.services import Paid, PointEvent, chunks, period_start
from app.jobs.watermark import get_watermark, set_watermark
from app.sharing.models import Click, Conversion, Share, ShareStatus
from app.sharing.queries import counted, unique_click

JOB_ID = "gamification.award"
#: rows re-read behind each source's position (late commits; a click flush writes up to
#: 1,000 rows per transaction and every web worker flushes its own)
OVERLAP = {"shares": 2_000, "clicks": 10_000, "conversions": 1_000, "suggestions": 1_000}
#: rows read per source and round (each larger than its overlap, so a round always advances)
BATCH = {"shares": 5_000, "clicks": 25_000, "conversions": 5_000, "suggestions": 5_000}
#: rounds per run: a backlog is worked off over several runs, in bounded transactions
MAX_ROUNDS = 8
#: people re-evaluated per run after a change of the levels or badges
SWEEP_BATCH = 2_000
SHARE_ACTIONS = (Action.SHARE, Action.SHARE_FEATURED)
_ACCEPTED = (ContentStatus.SCHEDULED.value, ContentStatus.PUBLISHED.value)


def award_pending(db: Session, now: datetime, *, job_id: str = JOB_ID,
                  max_rounds: int = MAX_ROUNDS) -> dict:
    """Count everything new since the watermark of ``job_id`` (see the module docstring);
    flushes, never commits; returns the run's summary."""
    position = dict(get_watermark(db, job_id, {}) or {})
    totals: Counter = Counter()
    touched: set[int] = set()
    more = False
    for _round in range(max_rounds):
        summary, people, more = _round_once(db, now, position)
        totals.update(summary)
        touched |= people
        if not more:
            break
    swept = _sweep(db, position)
    new_badges = services.evaluate(db, touched | set(swept), now)
    monthly = badges.award_monthly_top(db, previous_month(now), now)
    set_watermark(db, job_id, position)
    return {"entries": totals["entries"], "points": totals["points"],
            "shares": totals["shares"], "unique_clicks": totals["unique_clicks"],
            "conversions": totals["conversions"], "suggestions": totals["suggestions"],
            "streaks": totals["streaks"], "people": len(touched),
            "reevaluated": len(swept), "badges": len(new_badges) + len(monthly),
            "more": more}


def previous_month(now: datetime) -> date:
    return period_start(Period.MONTH, period_start(Period.MONTH, now) - timedelta(days=1))


def _round_once(db: Session, now: datetime, pos: dict) -> tuple[Counter, set[int], bool]:
    events: list[PointEvent] = []
    more = False
    for reader in (_shares, _clicks, _conversions, _suggestions):
        found, full = reader(db, pos)
        events.extend(found)
        more = more or full
    paid = services.award_many(db, events, now=now)
    paid += services.award_many(db, _streaks(db, paid), now=now)
    counter: Counter = Counter()
    for p in paid:
        counter["entries"] += 1
        counter["points"] += p.points
        counter[_SUMMARY_KEY[p.event.action]] += 1
    return counter, {p.event.user_id for p in paid}, more


_SUMMARY_KEY = {Action.SHARE: "shares", Action.SHARE_FEATURED: "shares",
                Action.UNIQUE_CLICK: "unique_clicks", Action.CONVERSION: "conversions",
                Action.SUGGESTION_ACCEPTED: "suggestions", Action.WEEKLY_STREAK: "streaks"}


def _window(db: Session, pos: dict, name: str, id_column) -> tuple[int, int]:
    """(exclusive lower id, inclusive upper id) of this round's scan of one source. The
    upper bound is the largest id visible now, so that the position can move past rows
    that are filtered out (bot clicks, other content events)."""
    last = int(pos.get(name, 0))
    upper = db.scalar(select(func.max(id_column))) or 0
    return max(0, last - OVERLAP[name]), upper


def _advance(pos: dict, name: str, ids: list[int], upper: int) -> bool:
    """Store the new position; True when the batch was full (more to read)."""
    full = len(ids) >= BATCH[name]
    reached = ids[-1] if full else upper
    pos[name] = max(int(pos.get(name, 0)), reached)
    return full


def _shares(db: Session, pos: dict) -> tuple[list[PointEvent], bool]:
    low, upper = _window(db, pos, "shares", Share.id)
    columns = (Share.id, Share.user_id, Share.item_id, Share.network, Share.status,
               Share.created_at, Share.posted_at, Share.reach, ContentItem.featured)
    base = select(*columns).join(ContentItem, ContentItem.id == Share.item_id)
    rows = list(db.execute(base.where(Share.id > low, Share.id <= upper)
                           .order_by(Share.id).limit(BATCH["shares"])))
    full = _advance(pos, "shares", [r.id for r in rows], upper)
    # scheduled shares seen before: paid once posted, forgotten once failed or deleted
    seen = {r.id for r in rows}
    pending = [i for i in pos.get("pending_shares", []) if i not in seen]
    for part in chunks(pending):
        rows.extend(db.execute(base.where(Share.id.in_(part))))
    events, waiting = [], set()
    for r in rows:
        if r.status == ShareStatus.SCHEDULED:
            waiting.add(r.id)
        elif r.status in (ShareStatus.OPENED, ShareStatus.POSTED):
            when = r.posted_at if r.status == ShareStatus.POSTED and r.posted_at \
                else r.created_at
            events.append(PointEvent(
                user_id=r.user_id,
                action=Action.SHARE_FEATURED if r.featured else Action.SHARE,
                key=f"share:{r.user_id}:{r.item_id}:{r.network}", occurred_at=when,
                source_type="share", source_id=r.id, item_id=r.item_id, shares=1,
                reach=r.reach or 0))
    pos["pending_shares"] = sorted(waiting)
    return events, full


def _clicks(db: Session, pos: dict) -> tuple[list[PointEvent], bool]:
    low, upper = _window(db, pos, "clicks", Click.id)
    rows = list(db.execute(
        select(Click.id, Click.share_id, Click.visitor_hash, Click.at, Share.user_id,
               Share.item_id)
        .join(Share, Share.id == Click.share_id)
        .where(Click.id > low, Click.id <= upper)
        .order_by(Click.id).limit(BATCH["clicks"])))
    full = _advance(pos, "clicks", [r.id for r in rows], upper)
    # ONE definition of a unique click for points, boards, My shares and the analytics
    # rollups (app.sharing.queries): a human click (no bot, not the sharer's own) that is
    # its visitor's first on that share within 24 hours. The batch window is read by id,
    # then the ones that count are kept by the shared expression.
    counting_ids = set(db.scalars(select(Click.id).where(
        Click.id.in_([r.id for r in rows]), counted(Click), unique_click(Click)))) \
        if rows else set()
    return [PointEvent(user_id=r.user_id, action=Action.UNIQUE_CLICK,
                       key=f"uclick:{r.id}", occurred_at=r.at,
                       source_type="click", source_id=r.id, item_id=r.item_id,
                       unique_clicks=1) for r in rows if r.id in counting_ids], full


def _conversions(db: Session, pos: dict) -> tuple[list[PointEvent], bool]:
    low, upper = _window(db, pos, "conversions", Conversion.id)
    rows = list(db.execute(
        select(Conversion.id, Conversion.occurred_at, Share.user_id, Share.item_id)
        .join(Share, Share.id == Conversion.share_id)
        .where(Conversion.id > low, Conversion.id <= upper)
        .order_by(Conversion.id).limit(BATCH["conversions"])))
    full = _advance(pos, "conversions", [r.id for r in rows], upper)
    return [PointEvent(user_id=r.user_id, action=Action.CONVERSION,
                       key=f"conversion:{r.id}", occurred_at=r.occurred_at,
                       source_type="conversion", source_id=r.id, item_id=r.item_id,
                       conversions=1) for r in rows], full


def _suggestions(db: Session, pos: dict) -> tuple[list[PointEvent], bool]:
    low, upper = _window(db, pos, "suggestions", ContentEvent.id)
    rows = list(db.execute(
        select(ContentEvent.id, ContentEvent.at, ContentEvent.item_id,
               ContentItem.suggested_by_id)
        .join(ContentItem, ContentItem.id == ContentEvent.item_id)
        .where(ContentEvent.id > low, ContentEvent.id <= upper,
               ContentEvent.to_status.in_(_ACCEPTED),
               ContentItem.origin == ContentOrigin.SUGGESTION,
               ContentItem.suggested_by_id.is_not(None))
        .order_by(ContentEvent.id).limit(BATCH["suggestions"])))
    full = _advance(pos, "suggestions", [r.id for r in rows], upper)
    return [PointEvent(user_id=r.suggested_by_id, action=Action.SUGGESTION_ACCEPTED,
                       key=f"suggestion:{r.item_id}", occurred_at=r.at,
                       source_type="content_item", source_id=r.item_id, item_id=r.item_id)
            for r in rows], full


# --- weekly streaks ---------------------------------------------------------------------------


def streak_key(user_id: int, week_start: date) -> str:
    year, week, _day = week_start.isocalendar()
    return f"streak:{user_id}:{year}-{week:02d}"


def _streaks(db: Session, paid: list[Paid]) -> list[PointEvent]:
    """WEEKLY_STREAK events made due by the shares just counted: for a share in week W,
    W is a streak week if W-1 had shares, and W+1 is one if it has shares (a late share)."""
    candidates: set[tuple[int, date]] = set()
    for p in paid:
        if p.event.action in SHARE_ACTIONS:
            week = period_start(Period.WEEK, p.event.occurred_at)
            candidates.add((p.event.user_id, week))
            candidates.add((p.event.user_id, week + timedelta(days=7)))
    if not candidates:
        return []
    users = sorted({uid for uid, _w in candidates})
    first = min(w for _u, w in candidates) - timedelta(days=7)
    last = max(w for _u, w in candidates)
    active: set[tuple[int, date]] = set()
    for part in chunks(users):
        active.update((uid, start) for uid, start in db.execute(
            select(PeriodTotal.user_id, PeriodTotal.period_start)
            .where(PeriodTotal.user_id.in_(part), PeriodTotal.period == Period.WEEK,
                   PeriodTotal.period_start >= first, PeriodTotal.period_start <= last,
                   PeriodTotal.shares > 0)))
    due = sorted((uid, w) for uid, w in candidates
                 if (uid, w) in active and (uid, w - timedelta(days=7)) in active)
    keys = {streak_key(uid, w): (uid, w) for uid, w in due}
    for part in chunks(list(keys)):
        for key in db.scalars(select(LedgerEntry.idempotency_key)
                              .where(LedgerEntry.idempotency_key.in_(part))):
            keys.pop(key, None)
    events = []
    by_week: dict[date, list[int]] = {}
    for uid, week in keys.values():
        by_week.setdefault(week, []).append(uid)
    for week, uids in sorted(by_week.items()):
        start = datetime.combine(week, time.min, tzinfo=UTC)
        for part in chunks(sorted(uids)):
            # the streak happened with the first counted share of the week
            for uid, when in db.execute(
                    select(LedgerEntry.user_id, func.min(LedgerEntry.occurred_at))
                    .where(LedgerEntry.user_id.in_(part),
                           LedgerEntry.action.in_(SHARE_ACTIONS),
                           LedgerEntry.occurred_at >= start,
                           LedgerEntry.occurred_at < start + timedelta(days=7))
                    .group_by(LedgerEntry.user_id)):
                if when.tzinfo is None:  # SQLite's min() returns the stored text
                    when = _parse_utc(when)
                year, number, _day = week.isocalendar()
                events.append(PointEvent(
                    user_id=uid, action=Action.WEEKLY_STREAK, key=streak_key(uid, week),
                    occurred_at=when, source_type="week", source_id=year * 100 + number))
    return events


def _parse_utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- re-evaluation after a change of the levels or badges -------------------------------------


def config_signature(db: Session) -> str:
    """Changes when an admin changes the levels or the active badges."""
    cfg = levels.config(db)
    active = db.execute(select(Badge.id, Badge.criterion, Badge.threshold, Badge.course_id)
                        .where(Badge.active.is_(True)).order_by(Badge.id)).all()
    data = {"levels": [[getattr(cfg[n], f) for f in levels.FIELDS]
                       + [cfg[n].required_course_id] for n in levels.NUMBERS],
            "badges": [[i, str(c), t, course] for i, c, t, course in active]}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _sweep(db: Session, pos: dict) -> list[int]:
    """The next slice of people to re-evaluate when the configuration changed."""
    signature = config_signature(db)
    if pos.get("config") != signature:
        pos["config"] = signature
        pos["sweep_after"] = 0
    if "sweep_after" not in pos:
        return []
    ids = list(db.scalars(select(PeriodTotal.user_id)
                          .where(PeriodTotal.period == Period.ALL,
                                 PeriodTotal.period_start == ALL_TIME_START,
                                 PeriodTotal.user_id > int(pos["sweep_after"]))
                          .order_by(PeriodTotal.user_id).limit(SWEEP_BATCH)))
    if len(ids) < SWEEP_BATCH:
        pos.pop("sweep_after")
    else:
        pos["sweep_after"] = ids[-1]
    return ids
