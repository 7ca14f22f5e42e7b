"""Read-only selects of the analytics package (the admin page's tally status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analytics.tally import TALLY_JOB, frozen_before
from app.jobs.models import JobRun, JobStatus


@dataclass
class TallyStatus:
    #: the last finished run (ok or failed), None if it never ran
    last_status: JobStatus | None
    last_finished_at: datetime | None
    #: the last successful run
    last_ok_at: datetime | None
    #: days before this one are frozen (their raw clicks are pruned)
    frozen_before: date | None


def tally_status(db: Session) -> TallyStatus:
    last = db.scalar(select(JobRun).where(JobRun.job_id == TALLY_JOB,
                                          JobRun.status != JobStatus.RUNNING)
                     .order_by(JobRun.id.desc()).limit(1))
    last_ok = db.scalar(select(JobRun.finished_at).where(JobRun.job_id == TALLY_JOB,
                                                         JobRun.status == JobStatus.OK)
                        .order_by(JobRun.id.desc()).limit(1))
    return TallyStatus(last_status=last.status if last else None,
                       last_finished_at=last.finished_at if last else None,
                       last_ok_at=last_ok, frozen_before=frozen_before(db))
