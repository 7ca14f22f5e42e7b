"""Training's scheduled jobs (declared in app/jobs/__init__.py). Idempotent: a second run
finds nothing left to send."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.training import reminders

if TYPE_CHECKING:
    from app.jobs import JobContext


def send_reminders(db: Session, ctx: JobContext) -> dict:
    """Job "training.reminders" (daily): due-date reminder emails, once per person ×
    course × window (TRAINING_REMINDER_DAYS before the due date, and once overdue)."""
    mailer = ctx.app.extensions["relais_mailer"]
    return reminders.send_reminders(db, mailer, ctx.now,
                                    days_before=ctx.app.config["TRAINING_REMINDER_DAYS"])
