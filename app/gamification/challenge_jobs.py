"""The challenges' scheduled job (declared in app/jobs/__init__.py): idempotent, a second
run finds nothing left to close."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.gamification import challenges
from app.gamification.models import Challenge

if TYPE_CHECKING:
    from app.jobs import JobContext


def close_challenges(db: Session, ctx: JobContext) -> dict:
    """Job "gamification.close_challenges": the audience of each challenge that has started
    is told once; challenges that ended at least CHALLENGE_CLOSE_DELAY_MINUTES ago (time
    for the award job to count their last events) are closed, their winners paid and the
    participants told."""
    announced = challenges.announce_started(db, ctx.now)
    delay = timedelta(minutes=ctx.app.config.get("CHALLENGE_CLOSE_DELAY_MINUTES", 30))
    winners = challenges.close_due(db, ctx.now, delay=delay)
    # close_due stamps what it closed with this run's instant
    closed = db.scalar(select(func.count()).select_from(Challenge)
                       .where(Challenge.closed_at == ctx.now)) or 0
    return {"announced": announced, "closed": closed, "winners": len(winners)}
