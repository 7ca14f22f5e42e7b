"""The scheduler's own records: one row per job run, and the watermarks of incremental jobs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.types import str_enum
from app.db import Base, utcnow


class JobStatus(enum.StrEnum):
    #: started and not finished yet (or the process died half way)
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    #: another scheduler held the job's lock (PostgreSQL): nothing was done
    SKIPPED = "skipped"


class JobRun(Base):
    """The history of job runs, written by the runner outside the job's own transaction."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the stable id of the job in app.jobs.REGISTRY, e.g. "accounts.prune"
    job_id: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, "job_run_status"),
                                              default=JobStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    #: what the job returned (counts, positions): a JSON object
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the traceback of a failed run
    error: Mapped[str | None] = mapped_column(Text)
    #: "host:pid" of the process that ran it (tells two schedulers apart)
    worker: Mapped[str] = mapped_column(String(200), default="")

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class JobWatermark(Base):
    """How far an incremental job has got; advanced in the same transaction as its work."""

    __tablename__ = "job_watermarks"

    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: opaque to the runner: any JSON value the job chooses (an id, an ISO timestamp, a dict)
    position: Mapped[Any] = mapped_column(JSON, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
