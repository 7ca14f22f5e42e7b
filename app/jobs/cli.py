"""flask --app wsgi jobs list | run | run-once ID."""

from __future__ import annotations

import json
import logging
import signal

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.db import get_database, utcnow
from app.jobs import REGISTRY, JobSpec
from app.jobs.models import JobRun, JobStatus

jobs_cli = AppGroup("jobs", help="Scheduled jobs: list them, run the scheduler, run one now.")


def describe_schedule(spec: JobSpec) -> str:
    """The trigger as APScheduler reads it, e.g. "cron[hour='3', minute='30']" (UTC)."""
    return str(spec.make_trigger())


def next_run(spec: JobSpec) -> str:
    when = spec.make_trigger().get_next_fire_time(None, utcnow())
    return when.strftime("%Y-%m-%d %H:%M") if when else "-"


def last_runs(session) -> dict[str, JobRun]:
    latest = select(func.max(JobRun.id)).group_by(JobRun.job_id)
    return {run.job_id: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}


def _describe_run(run: JobRun | None) -> str:
    if run is None:
        return "never"
    when = run.started_at.strftime("%Y-%m-%d %H:%M UTC")
    duration = run.duration_seconds
    return f"{when} {run.status}" + (f" ({duration:.1f}s)" if duration is not None else "")


@jobs_cli.command("list")
def list_jobs():
    """Every declared job: id, schedule, next and last run (UTC), description."""
    with get_database().unit_of_work(write=False) as session:
        runs = last_runs(session)
    rows = [(spec.id, describe_schedule(spec), next_run(spec),
             _describe_run(runs.get(spec.id)), spec.description)
            for spec in REGISTRY.values()]
    header = ("ID", "SCHEDULE (UTC)", "NEXT RUN", "LAST RUN", "DESCRIPTION")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))


@jobs_cli.command("run-once")
@click.argument("name")
def run_once(name):
    """Run the job NAME now (whatever its schedule) and print its summary."""
    from app.jobs.runner import run_job

    if name not in REGISTRY:
        known = ", ".join(sorted(REGISTRY)) or "none"
        raise click.ClickException(f"unknown job {name!r}; known jobs: {known} "
                                   "(see `flask jobs list`)")
    result = run_job(current_app._get_current_object(), name)
    click.echo(f"{name}: {result.status} in {result.duration:.2f}s")
    click.echo(json.dumps(result.summary, indent=2, sort_keys=True))
    if result.status == JobStatus.FAILED:
        click.echo(result.error or "", err=True)
        raise click.ClickException(f"job {name} failed")


@jobs_cli.command("run")
def run_scheduler():
    """Start the scheduler in the foreground (one process per installation)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from app.jobs import build_scheduler

    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = build_scheduler(current_app._get_current_object(), BlockingScheduler)

    def _stop(signum, _frame):
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, _stop)  # stop as on Ctrl-C
    click.echo(f"Scheduler started with {len(REGISTRY)} job(s) (UTC); Ctrl-C to stop.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if scheduler.running:
            click.echo("Stopping: waiting for running jobs to finish…", err=True)
            scheduler.shutdown(wait=True)
