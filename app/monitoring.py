"""What ``/metrics`` reports, in the Prometheus text format (docs/deploy.md, "Monitoring").

Gauges an operator alerts on, read with a fixed handful of small queries (the scrape runs
every few seconds on a busy database): whether the database answers and how fast, each
scheduled job's last success and whether its last run failed (a stuck tally shows as a
growing age), the people by status and the side effects waiting in the outbox.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select, text

from app.db import Database


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _sample(name: str, value: float, **labels: str) -> str:
    label_text = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
    number = str(value) if isinstance(value, int) else repr(float(value))
    return f"{name}{{{label_text}}} {number}\n" if labels else f"{name} {number}\n"


def _family(name: str, kind: str, help_text: str) -> Iterator[str]:
    yield f"# HELP {name} {help_text}\n"
    yield f"# TYPE {name} {kind}\n"


def exposition(database: Database, now: datetime, version: str) -> list[str]:
    from app.accounts.models import User
    from app.jobs import REGISTRY
    from app.jobs.models import JobRun, JobStatus

    lines = [*_family("relais_build_info", "gauge", "The running version."),
             _sample("relais_build_info", 1, version=version)]
    started = time.perf_counter()
    try:
        with database.unit_of_work(write=False) as db:
            db.execute(text("SELECT 1"))
            latency = time.perf_counter() - started
            last_ok = dict(db.execute(
                select(JobRun.job_id, func.max(JobRun.finished_at))
                .where(JobRun.status == JobStatus.OK).group_by(JobRun.job_id)).all())
            last_finished = (select(func.max(JobRun.id))
                             .where(JobRun.status.in_((JobStatus.OK, JobStatus.FAILED)))
                             .group_by(JobRun.job_id))
            last_status = dict(db.execute(select(JobRun.job_id, JobRun.status)
                                          .where(JobRun.id.in_(last_finished))).all())
            people = dict(db.execute(select(User.status, func.count())
                                     .group_by(User.status)).all())
            outbox = _outbox_counts(db)
    except Exception:  # noqa: BLE001 — "down" is the answer; the cause is in the app's log
        lines += [*_family("relais_database_up", "gauge", "1 when the database answers."),
                  _sample("relais_database_up", 0)]
        return lines

    lines += [*_family("relais_database_up", "gauge", "1 when the database answers."),
              _sample("relais_database_up", 1),
              *_family("relais_database_latency_seconds", "gauge",
                       "Time of a SELECT 1 round trip."),
              _sample("relais_database_latency_seconds", round(latency, 6))]
    jobs = sorted(REGISTRY)
    lines += _family("relais_job_last_success_timestamp_seconds", "gauge",
                     "Unix time of the job's last successful run (0: never).")
    for job in jobs:
        at = last_ok.get(job)
        lines.append(_sample("relais_job_last_success_timestamp_seconds",
                             int(at.timestamp()) if at else 0, job=job))
    lines += _family("relais_job_last_run_failed", "gauge",
                     "1 when the job's last finished run failed.")
    for job in jobs:
        lines.append(_sample("relais_job_last_run_failed",
                             int(last_status.get(job) == JobStatus.FAILED), job=job))
    lines += _family("relais_people", "gauge", "People by account status.")
    for status, count in sorted((str(s), c) for s, c in people.items()):
        lines.append(_sample("relais_people", count, status=status))
    if outbox is not None:
        lines += _family("relais_outbox_messages", "gauge",
                         "Outbox messages (e-mails, webhooks) by channel and status.")
        for (channel, status), count in sorted(outbox.items()):
            lines.append(_sample("relais_outbox_messages", count, channel=channel,
                                 status=status))
    lines += [*_family("relais_scrape_timestamp_seconds", "gauge", "When this was read."),
              _sample("relais_scrape_timestamp_seconds", int(now.timestamp()))]
    return lines


def _outbox_counts(db) -> dict[tuple[str, str], int] | None:
    try:
        from app.notifications.models import OutboxMessage
    except ImportError:  # the outbox is not part of this version
        return None
    rows = db.execute(select(OutboxMessage.channel, OutboxMessage.status, func.count())
                      .group_by(OutboxMessage.channel, OutboxMessage.status)).all()
    return {(str(channel), str(status)): count for channel, status, count in rows}
