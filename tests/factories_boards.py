"""Helpers for the leaderboard and challenge tests: PeriodTotal rows written directly
(the board's input), people in groups and reporting lines, challenges."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.accounts.models import Role, User
from app.common.actor import Actor
from app.db import utcnow
from app.gamification import challenges
from app.gamification.leaderboards import PERIOD_ROWS, BoardPeriod
from app.gamification.models import (
    ChallengeGoal,
    ChallengeMode,
    ChallengeProgress,
    GamificationProfile,
    GamificationSettings,
    Period,
    PeriodTotal,
)
from app.gamification.services import period_start
from tests.factories import UserFactory


def total(db, user: User, value: int = 0, *, period: Period = Period.MONTH,
          start: date | None = None, today: date | None = None, **values) -> PeriodTotal:
    """The ``period`` row of ``user`` (current period of ``today`` by default) with
    ``points=value`` unless other columns are given."""
    if not values:
        values = {"points": value}
    row = PeriodTotal(user_id=user.id, period=period,
                      period_start=start or period_start(period, today or utcnow().date()),
                      **{"points": 0, "shares": 0, "unique_clicks": 0, "conversions": 0,
                         "reach": 0, **values})
    db.add(row)
    db.flush()
    return row


def board_total(db, user: User, board_period: BoardPeriod, **values) -> PeriodTotal:
    return total(db, user, period=PERIOD_ROWS[board_period], **values)


def opt_out(db, user: User, value: bool = True) -> None:
    profile = db.get(GamificationProfile, user.id)
    if profile is None:
        db.add(GamificationProfile(user_id=user.id, leaderboard_opt_out=value, level=1))
    else:
        profile.leaderboard_opt_out = value
    db.flush()


def board_settings(db, *, anonymous: bool = False, size: int = 10) -> None:
    row = db.get(GamificationSettings, 1)
    if row is None:
        db.add(GamificationSettings(id=1, anonymous_boards=anonymous, board_size=size))
    else:
        row.anonymous_boards, row.board_size = anonymous, size
    db.flush()


def challenge(db, *, title: str = "Spring sprint", goal=ChallengeGoal.SHARES,
              mode=ChallengeMode.EACH, target: int = 5, starts_at: datetime | None = None,
              ends_at: datetime | None = None, groups=(), topic=None, reward: str = "",
              description: str = "", now: datetime | None = None, creator: User | None = None):
    """A challenge through the service (so its rules apply): starts now by default."""
    now = now or utcnow()
    creator = creator or UserFactory(role=Role.CURATOR)
    return challenges.create(db, Actor(user_id=creator.id), challenges.ChallengeInput(
        title=title, description=description, starts_at=starts_at,
        ends_at=ends_at or now + timedelta(days=7), goal=goal, mode=mode, target=target,
        topic_id=topic.id if topic else None, group_ids=[g.id for g in groups],
        reward=reward), now=now)


def progress_row(db, challenge_, user: User, value: int) -> ChallengeProgress:
    row = ChallengeProgress(challenge_id=challenge_.id, user_id=user.id, value=value)
    db.add(row)
    db.flush()
    return row
