"""Scheduled jobs: THE registry (DESIGN.md, "Scheduled jobs").

Every job is declared once, in ``_declare()`` below (it fills ``REGISTRY``), with a stable
id, a trigger and a misfire grace time. ``flask jobs run`` schedules them all in one
process (APScheduler 3, BlockingScheduler); ``flask jobs run-once ID`` runs one now. Every
run goes through ``app.jobs.runner.run_job``: its own unit of work, a JobRun record, a log
line and, on PostgreSQL, an advisory lock.

A job is a function ``func(session, ctx) -> dict | None``. It calls services, flushes and
never commits (the runner commits once, or rolls back on error), and it is idempotent:
running it twice gives the same state. The dict it returns is the run's summary.

Adding a job: write ``app/<feature>/jobs.py``, then add one ``JobSpec`` to ``_declare()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler
    from flask import Flask
    from sqlalchemy.orm import Session

    from app.db import Database


@dataclass(frozen=True)
class JobContext:
    """What a running job may need besides its session."""

    job_id: str
    #: the run's start time (aware UTC): use it as "now" so a run sees one instant
    now: datetime
    #: the Flask app; the job already runs inside ``app.app_context()`` (emails, settings)
    app: Flask
    database: Database
    #: the JobRun row of this run
    run_id: int | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("relais.jobs"))


JobFunc = Callable[["Session", JobContext], "dict | None"]


@dataclass(frozen=True)
class JobSpec:
    #: stable: JobRun history, watermarks and the PostgreSQL lock key derive from it
    id: str
    func: JobFunc
    #: APScheduler trigger and its arguments, e.g. {"trigger": "interval", "minutes": 15}
    #: or {"trigger": "cron", "hour": 3, "minute": 30} (UTC)
    trigger: dict[str, Any]
    #: a run that is late by more than this many seconds is skipped (one run when many
    #: were missed: coalesce)
    misfire_grace_time: int
    description: str

    def make_trigger(self):
        """The APScheduler trigger object of this job, in UTC (for display and tests)."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.date import DateTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        kinds = {"cron": CronTrigger, "interval": IntervalTrigger, "date": DateTrigger}
        args = {k: v for k, v in self.trigger.items() if k != "trigger"}
        return kinds[self.trigger["trigger"]](**args, timezone="UTC")

    def scheduler_options(self) -> dict[str, Any]:
        """The keyword arguments of ``scheduler.add_job`` for this job (trigger included)."""
        return {**self.trigger, "id": self.id, "name": self.id, "coalesce": True,
                "max_instances": 1, "misfire_grace_time": self.misfire_grace_time,
                "replace_existing": True}


def _registry(*specs: JobSpec) -> dict[str, JobSpec]:
    registry: dict[str, JobSpec] = {}
    for spec in specs:
        if spec.id in registry:
            raise ValueError(f"job {spec.id!r} is declared twice")
        registry[spec.id] = spec
    return registry


#: every job, by id; built on first use (see __getattr__)
REGISTRY: dict[str, JobSpec]


def _declare() -> dict[str, JobSpec]:
    """THE list of jobs.

    The job functions are imported here, when REGISTRY is first used, not when this package
    is imported: a feature's jobs.py can then import ``app.jobs.watermark`` (which imports
    this package first) without an import cycle.
    """
    from app.accounts.jobs import prune_account_data
    from app.analytics.jobs import prune_clicks, tally, warm_dashboards
    from app.content.jobs import expire_items, poll_sources, publish_scheduled
    from app.gamification.challenge_jobs import close_challenges
    from app.gamification.jobs import award_points
    from app.notifications.jobs import deliver as deliver_outbox
    from app.notifications.jobs import send_digests, send_nudges
    from app.sharing.jobs import (
        click_partitions,
        fetch_engagement,
        post_scheduled_shares,
        refresh_tokens,
    )
    from app.training.jobs import send_reminders as training_reminders

    return _registry(
        JobSpec(
            id="accounts.prune",
            func=prune_account_data,
            trigger={"trigger": "cron", "hour": 3, "minute": 30},
            misfire_grace_time=6 * 3600,
            description="Delete dead invitation/reset tokens, old CSV import batches "
                        "(personal data), ended sessions and day-old failed-sign-in counts "
                        "after their retention period.",
        ),
        JobSpec(
            id="content.publish_scheduled",
            func=publish_scheduled,
            trigger={"trigger": "interval", "minutes": 1},
            misfire_grace_time=5 * 60,
            description="Publish scheduled content items whose publication time has come.",
        ),
        JobSpec(
            id="content.expire",
            func=expire_items,
            trigger={"trigger": "interval", "minutes": 5},
            misfire_grace_time=15 * 60,
            description="Expire published content items past their expiry time.",
        ),
        JobSpec(
            id="content.poll_sources",
            func=poll_sources,
            trigger={"trigger": "interval", "minutes": 15},
            misfire_grace_time=30 * 60,
            description="Poll the active RSS/Atom sources; new entries land in the curation "
                        "inbox.",
        ),
        JobSpec(
            id="sharing.post_scheduled",
            func=post_scheduled_shares,
            trigger={"trigger": "interval", "minutes": 1},
            misfire_grace_time=5 * 60,
            description="Post the shares scheduled through connected accounts whose time "
                        "has come (posted, or failed with the reason).",
        ),
        JobSpec(
            id="sharing.refresh_tokens",
            func=refresh_tokens,
            trigger={"trigger": "interval", "minutes": 30},
            misfire_grace_time=15 * 60,
            description="Refresh the connected accounts' access tokens that expire within "
                        "the hour.",
        ),
        JobSpec(
            id="sharing.fetch_engagement",
            func=fetch_engagement,
            trigger={"trigger": "cron", "minute": 7},
            misfire_grace_time=30 * 60,
            description="Fetch likes, comments, reshares and impressions of posted API "
                        "shares (one snapshot per hour; X only for posts younger than 30 "
                        "days) and the accounts' follower counts.",
        ),
        JobSpec(
            id="gamification.award",
            func=award_points,
            trigger={"trigger": "interval", "minutes": 5},
            misfire_grace_time=15 * 60,
            description="Pay points for the shares, unique human clicks, conversions, "
                        "accepted suggestions and weekly streaks counted since the last run "
                        "(once per event: idempotency keys), then award badges and levels, "
                        "and the previous month's top-rank badges.",
        ),
        JobSpec(
            id="gamification.close_challenges",
            func=close_challenges,
            trigger={"trigger": "interval", "minutes": 10},
            misfire_grace_time=30 * 60,
            description="Tell the audience of each challenge that has started (once), then "
                        "close the challenges that ended CHALLENGE_CLOSE_DELAY_MINUTES ago "
                        "(time for the award job to count their last events): pay the "
                        "winners once and tell the participants.",
        ),
        JobSpec(
            id="analytics.tally",
            func=tally,
            trigger={"trigger": "interval", "minutes": 5},
            misfire_grace_time=15 * 60,
            description="Update the daily rollups (per share, person, item, group, topic) "
                        "from the clicks, shares, conversions, engagement snapshots and "
                        "points past the watermark (recomputing each touched day bucket; "
                        "late commits re-scanned within ANALYTICS_TALLY_OVERLAP_MINUTES).",
        ),
        JobSpec(
            id="analytics.warm_dashboards",
            func=warm_dashboards,
            trigger={"trigger": "interval", "minutes": 1},
            misfire_grace_time=5 * 60,
            description="Compute the default company dashboard for the newest rollups into "
                        "the shared cache (REDIS_URL), once per tally run, so nobody waits "
                        "for it; nothing without Redis.",
        ),
        JobSpec(
            id="analytics.retention",
            func=prune_clicks,
            trigger={"trigger": "cron", "hour": 4, "minute": 10},
            misfire_grace_time=6 * 3600,
            description="Delete raw clicks older than ANALYTICS_CLICK_RETENTION_DAYS once "
                        "they are rolled up for good (the rollups stay); on PostgreSQL, "
                        "whole monthly partitions past the horizon are dropped.",
        ),
        JobSpec(
            id="training.reminders",
            func=training_reminders,
            trigger={"trigger": "cron", "hour": 7, "minute": 15},
            misfire_grace_time=6 * 3600,
            description="Email the people who have not passed a course with a due date: "
                        "TRAINING_REMINDER_DAYS before it and once overdue (once per "
                        "person, course and window).",
        ),
        JobSpec(
            id="notifications.deliver",
            func=deliver_outbox,
            trigger={"trigger": "interval", "minutes": 1},
            misfire_grace_time=5 * 60,
            description="Deliver the outbox's due e-mails and webhook calls (at most "
                        "OUTBOX_BATCH per run); a failure is retried 1, 2, 4 … minutes "
                        "later (at most 6 hours apart) and given up after "
                        "OUTBOX_MAX_ATTEMPTS attempts.",
        ),
        JobSpec(
            id="notifications.digests",
            func=send_digests,
            trigger={"trigger": "cron", "minute": 5},
            misfire_grace_time=30 * 60,
            description="Queue the digests of new content: daily ones from DIGEST_HOUR_UTC "
                        "each day, weekly ones on Mondays (once per person and period; "
                        "nothing when there is nothing new).",
        ),
        JobSpec(
            id="notifications.nudges",
            func=send_nudges,
            trigger={"trigger": "cron", "hour": 9, "minute": 20},
            misfire_grace_time=6 * 3600,
            description="Queue a nudge to the people who have not shared for "
                        "NUDGE_AFTER_WEEKS weeks and have something to share (then not "
                        "again for as long).",
        ),
        JobSpec(
            id="sharing.click_partitions",
            func=click_partitions,
            trigger={"trigger": "cron", "hour": 3, "minute": 50},
            misfire_grace_time=6 * 3600,
            description="PostgreSQL: create the click table's monthly partitions for this "
                        "month and the next two when missing (nothing on SQLite).",
        ),
    )


def _loaded_registry() -> dict[str, JobSpec]:
    if "REGISTRY" not in globals():
        globals()["REGISTRY"] = _declare()
    return globals()["REGISTRY"]


def __getattr__(name: str):
    if name == "REGISTRY":  # first use: `from app.jobs import REGISTRY`, `app.jobs.REGISTRY`
        return _loaded_registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_scheduler(app: Flask, scheduler_cls: type[BaseScheduler] | None = None,
                    *, registry: dict[str, JobSpec] | None = None) -> BaseScheduler:
    """A scheduler (not started) with every job of the registry, in UTC, in memory.

    Each scheduled call is ``run_job(app, spec)``. MemoryJobStore: the registry is the
    source of truth, so nothing needs to be stored between restarts. APScheduler itself
    logs a run missed beyond its grace time (a WARNING).
    """
    from apscheduler.schedulers.blocking import BlockingScheduler

    from app.jobs.runner import run_job

    scheduler = (scheduler_cls or BlockingScheduler)(timezone="UTC")
    for spec in (registry if registry is not None else _loaded_registry()).values():
        scheduler.add_job(run_job, args=[app, spec], **spec.scheduler_options())
    return scheduler
