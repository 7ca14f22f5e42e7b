"""Retention of raw clicks: rows older than the configured period are deleted once the
tally has rolled them up for good; the rollups are never touched (docs/analytics.md).

Deleting the clicks of a day makes its rollups impossible to recompute, so the day is first
*frozen* (``frozen_before``, in this job's watermark): the tally and the rebuild never
recompute a day before it. Unique clicks look 24 hours back, so the frozen days include the
first day whose previous day was pruned.

On PostgreSQL with the click table partitioned by month (migration 0008, docs/scaling.md),
the month partitions entirely before the cutoff whose rows are all read for good are
dropped whole (instant, no bloat; not bounded by ``batch``); the rows left before the
cutoff (the cutoff's own month, the DEFAULT partition, late commits) are deleted as on
SQLite.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from app.analytics.tally import (
    DAY,
    RETENTION_JOB,
    TALLY_JOB,
    day_bounds,
    frozen_before,
    load_state,
)
from app.sharing import partitions
from app.sharing.models import Click

#: clicks deleted per statement (short statements keep the redirector's writes flowing)
DELETE_CHUNK = 50_000


def _wait_for_tally(db: Session) -> None:
    """PostgreSQL: hold the tally's advisory lock for this transaction, so no tally run can
    recompute a day whose clicks are being deleted (SQLite: writers are serialised)."""
    if db.get_bind().dialect.name == "postgresql":
        from app.jobs.runner import advisory_lock_key

        db.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                   {"key": advisory_lock_key(TALLY_JOB)})


def prune_clicks(db: Session, now: datetime, *, retention_days: int,
                 batch: int = 1_000_000) -> dict[str, Any]:
    """Delete the clicks of the days older than ``retention_days`` (0: keep forever) whose
    rollups are final; at most ``batch`` rows per call (the next run goes on)."""
    if retention_days <= 0:
        return {"deleted": 0, "reason": "retention disabled"}
    _wait_for_tally(db)
    state = load_state(db)
    if state is None:
        return {"deleted": 0, "reason": "the tally has not run yet"}
    cutoff_day: date = now.date() - timedelta(days=retention_days)
    cutoff, _ = day_bounds(cutoff_day)
    # freeze first (same transaction): the day after the cutoff loses its 24 h look-back
    frozen = max(filter(None, [frozen_before(db), cutoff_day + DAY]))
    from app.jobs.watermark import set_watermark

    # only rows at or below the tally's floor: every run since has seen them, and no
    # re-scan can come back to them
    final_id = state.floor["clicks"]
    summary: dict[str, Any] = {}
    if partitions.is_partitioned(db):
        summary = partitions.drop_old_partitions(db, cutoff, final_id)
    deleted, more = 0, True
    while deleted < batch:
        size = min(DELETE_CHUNK, batch - deleted)
        ids = select(Click.id).where(Click.at < cutoff, Click.id <= final_id) \
            .order_by(Click.id).limit(size)
        # ``at`` again outside: PostgreSQL then reads only the partitions before the cutoff
        count = db.execute(delete(Click).where(Click.at < cutoff,
                                               Click.id.in_(ids.scalar_subquery()))
                           .execution_options(synchronize_session=False)).rowcount
        deleted += count
        if count < size:
            more = False
            break
    set_watermark(db, RETENTION_JOB, {"frozen_before": frozen.isoformat(),
                                      "cutoff": cutoff.isoformat()})
    return {"deleted": deleted, "before": cutoff.isoformat(),
            "frozen_before": frozen.isoformat(), "more": more, **summary}
