"""Points, badges, levels, leaderboard totals and challenges (DESIGN.md, "gamification").

Every point comes from a stored event: a ``LedgerEntry`` names the event it pays for and
carries a unique idempotency key, so the same event never pays twice, even when the award
runs twice at once. The ledger is append-only; corrections are new (negative) entries.
``PeriodTotal`` rows are the leaderboards' source: maintained incrementally by the award,
one row per person × period, never computed by scanning events per request.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Group, Topic, User
from app.common.types import str_enum
from app.db import Base, utcnow

#: 64-bit ids on PostgreSQL (one ledger row per paid event); SQLite's rowid is 64-bit anyway
BigId = BigInteger().with_variant(Integer, "sqlite")


class Action(enum.StrEnum):
    """What earns points. The rules (points, daily cap) are rows of ``PointRule``."""

    SHARE = "share"
    SHARE_FEATURED = "share_featured"  # paid instead of SHARE for a featured item
    UNIQUE_CLICK = "unique_click"  # first human click of one visitor on one share
    CONVERSION = "conversion"  # reported by the CRM, attributed to my share
    SUGGESTION_ACCEPTED = "suggestion_accepted"
    COURSE_COMPLETED = "course_completed"
    QUIZ_PASSED = "quiz_passed"
    WEEKLY_STREAK = "weekly_streak"  # shared in this ISO week and in the week before
    CHALLENGE_WON = "challenge_won"
    CORRECTION = "correction"  # an admin's adjustment, with a reason (never capped)


class Period(enum.StrEnum):
    DAY = "d"
    WEEK = "w"  # ISO week, starting on Monday
    MONTH = "m"
    QUARTER = "q"
    ALL = "a"  # period_start = ALL_TIME_START


#: the period_start of the all-time rows
ALL_TIME_START = date(1970, 1, 1)


class Metric(enum.StrEnum):
    """What a leaderboard ranks by: each is a column of ``PeriodTotal``."""

    POINTS = "points"
    UNIQUE_CLICKS = "unique_clicks"
    CONVERSIONS = "conversions"
    REACH = "reach"


class PointRule(Base):
    """Action → points, editable by admins. One row per action."""

    __tablename__ = "point_rules"

    action: Mapped[Action] = mapped_column(str_enum(Action, "point_action", length=24),
                                           primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    #: most points this action may pay one person per UTC day; None: no cap
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LedgerEntry(Base):
    """One payment (possibly 0 points when capped or the rule is off) for one stored event.

    Append-only: never updated, never deleted (erasure anonymises the person, not the
    ledger). Writing the entry is what marks the event as counted, for points and for the
    leaderboard totals alike.
    """

    __tablename__ = "points_ledger"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_points_ledger_idempotency_key"),
        Index("ix_points_ledger_user_id_occurred_at", "user_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[Action] = mapped_column(str_enum(Action, "ledger_action", length=24))
    points: Mapped[int] = mapped_column(Integer)
    #: the event paid for: ("share", id), ("click", id), ("conversion", id),
    #: ("content_item", id), ("course", id), ("quiz_attempt", id), ("challenge", id),
    #: ("week", yyyyww), ("ledger", id) for a correction of an entry, or ("", None)
    source_type: Mapped[str] = mapped_column(String(32), default="")
    source_id: Mapped[int | None] = mapped_column(BigInteger)
    #: e.g. "share:42", "uclick:42:<visitor hash>", "course:3:user:7"; unique
    idempotency_key: Mapped[str] = mapped_column(String(200))
    #: why: "daily cap reached", "rule inactive", an admin's correction reason
    reason: Mapped[str] = mapped_column(Text, default="")
    #: the admin who made a correction; None for awards
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: when the event happened (decides the day/week/month it counts in)
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class PeriodTotal(Base):
    """A person's totals for one period (day, ISO week, month, quarter, all time).

    Incremented in the same transaction as the ledger entry that counts the event, so the
    leaderboards read these rows and never the events.
    """

    __tablename__ = "period_totals"
    __table_args__ = (
        UniqueConstraint("user_id", "period", "period_start",
                         name="uq_period_totals_user_id_period_period_start"),
        Index("ix_period_totals_board_points", "period", "period_start", "points"),
        Index("ix_period_totals_board_unique_clicks", "period", "period_start", "unique_clicks"),
        Index("ix_period_totals_board_conversions", "period", "period_start", "conversions"),
        Index("ix_period_totals_board_reach", "period", "period_start", "reach"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[Period] = mapped_column(str_enum(Period, "total_period", length=1))
    #: first day of the period (UTC); ALL_TIME_START for Period.ALL
    period_start: Mapped[date] = mapped_column(Date)
    points: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    unique_clicks: Mapped[int] = mapped_column(Integer, default=0)
    conversions: Mapped[int] = mapped_column(Integer, default=0)
    #: sum of the reach snapshots of the shares made in the period
    reach: Mapped[int] = mapped_column(BigInteger, default=0)


class GamificationProfile(Base):
    """Per-person gamification state: leaderboard opt-out, current level."""

    __tablename__ = "gamification_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    #: hidden from everyone else's boards; still sees their own rank and stats
    leaderboard_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    level: Mapped[int] = mapped_column(Integer, default=1)
    level_reached_at: Mapped[datetime | None]


class BadgeCriterion(enum.StrEnum):
    """The declarative kinds of badge criteria (admins create badges from these)."""

    SHARES = "shares"  # all-time shares ≥ threshold
    UNIQUE_CLICKS = "unique_clicks"  # all-time unique human clicks ≥ threshold
    CONVERSIONS = "conversions"  # all-time conversions ≥ threshold
    POINTS = "points"  # all-time points ≥ threshold
    SUGGESTIONS_ACCEPTED = "suggestions_accepted"  # accepted suggestions ≥ threshold
    COURSE_PASSED = "course_passed"  # passed the course ``course_id``
    STREAK_WEEKS = "streak_weeks"  # shared in ≥ threshold consecutive ISO weeks
    MONTHLY_TOP = "monthly_top"  # rank ≤ threshold on a closed month's company points board
    LEVEL = "level"  # reached level ≥ threshold


class Badge(Base):
    __tablename__ = "badges"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable slug (demo data and tests refer to it)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: an emoji shown as the badge's image
    emoji: Mapped[str] = mapped_column(String(16), default="🏅")
    name_en: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str] = mapped_column(String(120))
    description_en: Mapped[str] = mapped_column(String(500), default="")
    description_fr: Mapped[str] = mapped_column(String(500), default="")
    criterion: Mapped[BadgeCriterion] = mapped_column(str_enum(BadgeCriterion, "badge_criterion",
                                                               length=24))
    threshold: Mapped[int] = mapped_column(Integer, default=1)
    #: COURSE_PASSED only
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def name(self, language: str) -> str:
        return self.name_fr if language == "fr" and self.name_fr else self.name_en

    def description(self, language: str) -> str:
        return (self.description_fr if language == "fr" and self.description_fr
                else self.description_en)


class UserBadge(Base):
    """A badge awarded to a person: once, with the date."""

    __tablename__ = "user_badges"
    __table_args__ = (UniqueConstraint("user_id", "badge_id",
                                       name="uq_user_badges_user_id_badge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    badge_id: Mapped[int] = mapped_column(ForeignKey("badges.id", ondelete="CASCADE"), index=True)
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)

    badge: Mapped[Badge] = relationship()


class Level(Base):
    """The requirements of one of the five levels (influence pyramid, DESIGN.md).

    Names are fixed and translated in code (``app.gamification.levels``); thresholds and
    requirements are configurable. A person reaches a level when every requirement of it
    (and of the levels below) is met.
    """

    __tablename__ = "levels"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    min_points: Mapped[int] = mapped_column(Integer, default=0)
    min_shares: Mapped[int] = mapped_column(Integer, default=0)
    min_unique_clicks: Mapped[int] = mapped_column(Integer, default=0)
    min_conversions: Mapped[int] = mapped_column(Integer, default=0)
    #: co-creating content: accepted suggestions
    min_accepted_suggestions: Mapped[int] = mapped_column(Integer, default=0)
    required_course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"))


class ChallengeGoal(enum.StrEnum):
    """What a challenge counts (within its window, audience and optional topic)."""

    SHARES = "shares"
    UNIQUE_CLICKS = "unique_clicks"
    CONVERSIONS = "conversions"
    POINTS = "points"


class ChallengeMode(enum.StrEnum):
    EACH = "each"  # every participant who reaches the target wins ("5 shares each")
    TEAM = "team"  # the audience together ("200 unique clicks"): contributors win


challenge_groups = Table(
    "challenge_groups",
    Base.metadata,
    Column("challenge_id", ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Challenge(Base):
    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown (sanitised when rendered)
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column(index=True)
    goal: Mapped[ChallengeGoal] = mapped_column(str_enum(ChallengeGoal, "challenge_goal"))
    mode: Mapped[ChallengeMode] = mapped_column(str_enum(ChallengeMode, "challenge_mode"))
    target: Mapped[int] = mapped_column(Integer)
    #: only events on items with this topic count; None: any item
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    reward: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set by the closing job once the winners are paid
    closed_at: Mapped[datetime | None]
    #: set when its audience was told it started (challenges.announce_started): once
    announced_at: Mapped[datetime | None]

    #: empty: everyone
    groups: Mapped[list[Group]] = relationship(secondary=challenge_groups)
    topic: Mapped[Topic | None] = relationship()


class ChallengeProgress(Base):
    """One participant's count in one challenge, incremented with the ledger entries."""

    __tablename__ = "challenge_progress"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id",
                                       name="uq_challenge_progress_challenge_id_user_id"),
                      Index("ix_challenge_progress_board", "challenge_id", "value"))

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
    #: set when the challenge closes
    won: Mapped[bool] = mapped_column(Boolean, default=False)


class GamificationSettings(Base):
    """Programme-wide settings, one row (id 1), edited by admins."""

    __tablename__ = "gamification_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    #: boards show ranks with initials only (the viewer still sees their own name)
    anonymous_boards: Mapped[bool] = mapped_column(Boolean, default=False)
    #: how many rows a board shows (the viewer's own rank is shown below if outside)
    board_size: Mapped[int] = mapped_column(Integer, default=10)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
