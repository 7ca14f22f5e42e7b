"""Gamification's scheduled job (declared in app/jobs/__init__.py): the award pipeline.

Challenges are closed by their own job (app/gamification/challenge_jobs.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.gamification.counting import award_pending

if TYPE_CHECKING:
    from app.jobs import JobContext


def award_points(db: Session, ctx: JobContext) -> dict:
    """Job "gamification.award": pay the events counted since the last run (shares, unique
    clicks, conversions, accepted suggestions, weekly streaks), then award the badges and
    levels they earn and the previous month's top-rank badges. Idempotent: a second run
    finds every event already paid (see app/gamification/counting.py)."""
    return award_pending(db, ctx.now, job_id=ctx.job_id)
