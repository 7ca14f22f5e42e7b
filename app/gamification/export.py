"""Points, badges, level and challenge progress in a person's data export."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.export import exporter
from app.accounts.models import User
from app.gamification.models import (
    Badge,
    Challenge,
    ChallengeProgress,
    GamificationProfile,
    LedgerEntry,
    UserBadge,
)


def _iso(value):
    return value.isoformat() if value else None


@exporter
def _gamification(db: Session, user: User) -> dict:
    profile = db.get(GamificationProfile, user.id)
    ledger = db.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user.id)
                        .order_by(LedgerEntry.occurred_at, LedgerEntry.id))
    badges = db.execute(select(Badge.name_en, Badge.name_fr, UserBadge.awarded_at)
                        .join(UserBadge, UserBadge.badge_id == Badge.id)
                        .where(UserBadge.user_id == user.id).order_by(UserBadge.awarded_at))
    progress = db.execute(select(Challenge.title, ChallengeProgress.value, ChallengeProgress.won)
                          .join(ChallengeProgress, ChallengeProgress.challenge_id == Challenge.id)
                          .where(ChallengeProgress.user_id == user.id).order_by(Challenge.id))
    return {"gamification": {
        "level": profile.level if profile else 1,
        "leaderboard_opt_out": bool(profile and profile.leaderboard_opt_out),
        "points_ledger": [{"action": e.action.value, "points": e.points,
                           "source": e.source_type, "source_id": e.source_id,
                           "reason": e.reason, "occurred_at": _iso(e.occurred_at)}
                          for e in ledger],
        "badges": [{"name": en, "name_fr": fr, "awarded_at": _iso(at)}
                   for en, fr, at in badges],
        "challenges": [{"challenge": title, "progress": value, "won": won}
                       for title, value, won in progress],
    }}
