"""Watermarks for incremental jobs (DESIGN.md, "Scheduled jobs").

An incremental job reads the events past its stored position, upserts its rollups and
advances the position, all in the job's one transaction::

    def tally(db: Session, ctx: JobContext) -> dict:
        last_id = get_watermark(db, ctx.job_id) or 0
        rows = db.execute(select(Click).where(Click.id > last_id).order_by(Click.id)
                          .limit(10_000)).scalars().all()
        ...  # upsert rollups from rows
        if rows:
            set_watermark(db, ctx.job_id, rows[-1].id)
        return {"clicks": len(rows)}

If the job fails or the process dies, the rollups and the watermark roll back together, so
running it again gives the same result. The position is opaque here: any JSON value.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.jobs.models import JobWatermark


def get_watermark(session: Session, job_id: str, default: Any = None) -> Any:
    """The stored position of ``job_id``, or ``default`` when it never ran to completion."""
    row = session.get(JobWatermark, job_id)
    return default if row is None else row.position


def set_watermark(session: Session, job_id: str, value: Any) -> None:
    """Store ``value`` as the position of ``job_id``: flushed, committed with the job's work.

    ``value`` must be JSON-serialisable (give datetimes as ISO strings) and not None.
    """
    if value is None:
        raise ValueError("a watermark cannot be None")
    # a JSON round trip checks the value now (not at commit) and gives the ORM a new object,
    # so an in-place change of the previous position is never missed
    position = json.loads(json.dumps(value))
    row = session.get(JobWatermark, job_id)
    if row is None:
        session.add(JobWatermark(job_id=job_id, position=position, updated_at=utcnow()))
    else:
        row.position = position
        row.updated_at = utcnow()
    session.flush()
