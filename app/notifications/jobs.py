"""Notifications' scheduled jobs (declared in app/jobs/__init__.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.db import commit
from app.notifications import outbox

if TYPE_CHECKING:
    from app.jobs import JobContext


def deliver(db: Session, ctx: JobContext) -> dict:
    """Job "notifications.deliver": send the outbox's due e-mails and webhook calls.

    Unlike other jobs this one commits as it goes (the claim, then each outcome): a message
    that was delivered is marked at once, so a later failure of the run does not send it
    again, and no transaction (on SQLite: the writers' lock) is held while waiting on a
    mail server or a webhook receiver. A second run finds nothing due."""
    config = ctx.app.config
    return outbox.deliver_due(
        db, ctx.now, mailer=ctx.app.extensions["relais_mailer"],
        fetch_policy=outbox.webhook_policy(config), batch=config["OUTBOX_BATCH"],
        max_attempts=config["OUTBOX_MAX_ATTEMPTS"], config=config,
        commit=lambda: commit(db))


# --- e-mail digests and nudges (app/notifications/digests.py, nudges.py) --------------------


def send_digests(db: Session, ctx: JobContext) -> dict:
    """Job "notifications.digests" (hourly): the daily digests of new content from
    DIGEST_HOUR_UTC on each day, the weekly ones on Mondays; once per person and period
    (their cursor moves in the same transaction)."""
    from app.notifications import digests

    config = ctx.app.config
    return digests.send_digests(db, ctx.now, hour=config["DIGEST_HOUR_UTC"],
                                max_items=config["DIGEST_MAX_ITEMS"])


def send_nudges(db: Session, ctx: JobContext) -> dict:
    """Job "notifications.nudges" (daily): one e-mail to each person who has not shared
    for NUDGE_AFTER_WEEKS weeks and has something to share (then not again for as long)."""
    from app.notifications import nudges

    return nudges.send_nudges(db, ctx.now, weeks=ctx.app.config["NUDGE_AFTER_WEEKS"])
