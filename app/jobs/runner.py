"""Run one job: its own unit of work, a JobRun record, one log line, an advisory lock.

Three short transactions per run:

1. a JobRun row with status "running" is committed;
2. the job's unit of work: on PostgreSQL it first takes
   ``pg_try_advisory_xact_lock(<key of the job id>)`` — when another scheduler holds it,
   the run is "skipped" and nothing is done; otherwise the job runs and its changes are
   committed at once, or rolled back on any error;
3. the JobRun row is finished (ok, failed with the traceback, or skipped) and committed.

A failed job therefore leaves a "failed" record and none of its changes. On SQLite the
job's transaction begins IMMEDIATE (the writers' lock); run one scheduler process only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from app.db import Database, utcnow
from app.jobs import JobContext, JobSpec
from app.jobs.models import JobRun, JobStatus

if TYPE_CHECKING:
    from flask import Flask

#: not under "app.": Flask gives the "app" logger its own handler, which would print every
#: line twice next to the root handler that create_app configures
log = logging.getLogger("relais.jobs")


@dataclass
class JobResult:
    job_id: str
    status: JobStatus
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration: float = 0.0
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in (JobStatus.OK, JobStatus.SKIPPED)


def advisory_lock_key(job_id: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks: sha256 of the id, 8 bytes."""
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:8], "big", signed=True)


def try_lock(session: Session, job_id: str) -> bool:
    """Take the job's transaction-scoped advisory lock (PostgreSQL); True on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # one scheduler process; BEGIN IMMEDIATE serialises writers
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                               {"key": advisory_lock_key(job_id)}))


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _jsonable(summary: Any) -> dict[str, Any]:
    if summary is None:
        return {}
    if not isinstance(summary, dict):
        summary = {"result": summary}
    return json.loads(json.dumps(summary, default=str))


#: a run still "running" after this long has lost its process (killed, machine stopped):
#: the next run of the job marks it failed, so history and /metrics tell the truth
ABANDONED_AFTER = timedelta(hours=1)
ABANDONED_ERROR = ("abandoned: the process ended before the run finished (killed, or the "
                   "machine stopped); its changes were rolled back with its transaction")


def _record_start(database: Database, job_id: str, started_at) -> int:
    with database.unit_of_work() as session:
        session.execute(update(JobRun)
                        .where(JobRun.job_id == job_id, JobRun.status == JobStatus.RUNNING,
                               JobRun.started_at < started_at - ABANDONED_AFTER)
                        .values(status=JobStatus.FAILED, finished_at=started_at,
                                error=ABANDONED_ERROR))
        run = JobRun(job_id=job_id, status=JobStatus.RUNNING, started_at=started_at,
                     summary={}, worker=_worker())
        session.add(run)
        session.flush()
        return run.id


def _record_finish(database: Database, result: JobResult) -> None:
    with database.unit_of_work() as session:
        run = session.get(JobRun, result.run_id)
        run.status = result.status
        run.finished_at = utcnow()
        run.summary = result.summary
        run.error = result.error


def run_job(app: Flask, job: JobSpec | str, *, database: Database | None = None) -> JobResult:
    """Run ``job`` now, inside ``app.app_context()``; never raises for a failing job.

    The scheduler calls this from its worker threads, without any request; the CLI's
    ``run-once`` calls it too. ``database`` defaults to the app's.
    """
    if isinstance(job, JobSpec):
        spec = job
    else:
        from app.jobs import REGISTRY

        spec = REGISTRY[job]
    with app.app_context():
        database = database or app.extensions["relais_db"]
        started_at = utcnow()
        clock = time.monotonic()
        result = JobResult(job_id=spec.id, status=JobStatus.RUNNING)
        try:
            result.run_id = _record_start(database, spec.id, started_at)
        except Exception:  # the database is unreachable: the job could not run either
            log.exception("job %s: could not record its start; not run", spec.id)
            result.status, result.error = JobStatus.FAILED, traceback.format_exc()
            return result

        ctx = JobContext(job_id=spec.id, now=started_at, app=app, database=database,
                         run_id=result.run_id, log=log)
        try:
            with database.unit_of_work() as session:
                if try_lock(session, spec.id):
                    result.summary = _jsonable(spec.func(session, ctx))
                    result.status = JobStatus.OK
                else:
                    result.summary = {"reason": "another scheduler is running this job"}
                    result.status = JobStatus.SKIPPED
        except Exception as exc:  # the unit of work rolled the job's changes back
            result.status = JobStatus.FAILED
            result.summary = {"exception": f"{type(exc).__name__}: {exc}"[:500]}
            result.error = traceback.format_exc()
        result.duration = time.monotonic() - clock

        try:
            _record_finish(database, result)
        except Exception:
            log.exception("job %s: could not record its end (status %s)%s", spec.id,
                          result.status, f"\n{result.error}" if result.error else "")

        level = {JobStatus.FAILED: logging.ERROR,
                 JobStatus.SKIPPED: logging.WARNING}.get(result.status, logging.INFO)
        log.log(level, "job %s %s in %.3fs: %s", spec.id, result.status, result.duration,
                json.dumps(result.summary, sort_keys=True))
        return result
