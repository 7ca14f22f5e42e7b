"""What a manager may see of their reports' gamification (read-only selects).

A manager sees the activity of their direct and indirect reports only; admins see anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.gamification import services
from app.gamification.leaderboards import PERIOD_ROWS, BoardPeriod
from app.gamification.models import PeriodTotal, UserBadge


def in_team(db: Session, manager_id: int, user_id: int) -> bool:
    """Whether ``user_id`` reports to ``manager_id``, directly or not: one statement that
    walks up ``user_id``'s chain of managers (short, unlike the team below a manager).
    UNION ends the walk on a reporting cycle."""
    chain = select(User.manager_id.label("id")).where(User.id == user_id).cte(
        "chain", recursive=True)
    chain = chain.union(select(User.manager_id).where(User.id == chain.c.id))
    return bool(db.scalar(select(func.count()).select_from(chain)
                          .where(chain.c.id == manager_id)))


@dataclass
class Totals:
    points: int = 0
    shares: int = 0
    unique_clicks: int = 0
    conversions: int = 0
    reach: int = 0


@dataclass
class Activity:
    level: int
    #: this week, month, quarter and all time (UTC periods)
    totals: dict[BoardPeriod, Totals]
    badges: list[UserBadge]


def activity(db: Session, user_id: int, today: date) -> Activity:
    """Level, period totals and badges of one person: three statements."""
    starts = {bp: (period, services.period_start(period, today))
              for bp, period in PERIOD_ROWS.items()}
    rows = {(row.period, row.period_start): row for row in db.scalars(
        select(PeriodTotal).where(PeriodTotal.user_id == user_id,
                                  tuple_(PeriodTotal.period, PeriodTotal.period_start)
                                  .in_(list(starts.values()))))}
    totals = {}
    for bp, key in starts.items():
        row = rows.get(key)
        totals[bp] = Totals() if row is None else Totals(
            points=row.points, shares=row.shares, unique_clicks=row.unique_clicks,
            conversions=row.conversions, reach=row.reach)
    badges = list(db.scalars(select(UserBadge).where(UserBadge.user_id == user_id)
                             .options(selectinload(UserBadge.badge))
                             .order_by(UserBadge.awarded_at.desc(), UserBadge.id.desc())))
    return Activity(level=services.profile(db, user_id).level, totals=totals, badges=badges)
