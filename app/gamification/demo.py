"""seed-demo, gamification: the default point rules, the suggested badges (with the
ambassador course's badge when the training demo created the course "ambassador-en"),
the five levels (level 2 asks for that course), then the award pipeline run over the
sharing history exactly as the job runs it — so the ledger, the period totals behind the
leaderboards, the badges and the levels are the real ones — and the top-10 badges of the
months that are over.

The pipeline runs "now", so the badges, levels and notices it writes are then moved back
to the moment each was earned (replaying each person's ledger in time order through the
same criteria), and notices older than a week are marked as read: the boards and the
bell look lived-in rather than all earned today.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Group, User
from app.common.actor import Actor
from app.db import utcnow
from app.demo import DOMAIN, demo_seeder
from app.gamification import badges, challenges, counting, levels, services
from app.gamification.challenges import ChallengeInput
from app.gamification.models import (
    Action,
    Badge,
    BadgeCriterion,
    ChallengeGoal,
    ChallengeMode,
    GamificationProfile,
    GamificationSettings,
    LedgerEntry,
    Period,
    UserBadge,
)
from app.notifications.models import Notice
from app.training.models import Course

COURSE_SLUG = "ambassador-en"


@demo_seeder
def seed_gamification(db: Session, rng: random.Random) -> None:
    now = utcnow()
    admin = db.scalar(select(User).where(User.email == f"admin@{DOMAIN}"))
    actor = Actor(user_id=admin.id if admin else None, user_agent="seed-demo")
    course = db.scalar(select(Course).where(Course.slug == COURSE_SLUG))
    course_id = course.id if course is not None else None  # no training demo: skip

    services.ensure_default_rules(db)
    badges.install_defaults(db, actor, course_id=course_id)
    levels.install_defaults(db, course_for_level_2=course_id)
    if db.get(GamificationSettings, 1) is None:
        db.add(GamificationSettings(id=1, anonymous_boards=False, board_size=10,
                                    updated_at=now))

    _seed_challenges(db, actor, now)
    while counting.award_pending(db, now)["more"]:
        pass
    challenges.close_due(db, now)
    # the months of the history that are over, oldest first, each awarded the morning
    # after it closed (as the job would have)
    months = [services.period_start(Period.MONTH, now)]
    for _ in range(3):
        months.insert(0, services.period_start(Period.MONTH, months[0] - timedelta(days=1)))
    for month, next_month in zip(months, months[1:], strict=False):
        awarded = datetime.combine(next_month, time(7, 0), tzinfo=UTC)
        badges.award_monthly_top(db, month, min(awarded, now))
    _backdate(db, now)
    db.flush()


def _seed_challenges(db: Session, actor: Actor, now: datetime) -> None:
    """A finished challenge (closed and paid below), a running one and an upcoming one.

    Each is created through the service at the moment it would have been created, so the
    award run that follows counts the history of its window exactly as it would have live.
    """
    sales = db.scalar(select(Group).where(Group.name == "Sales"))
    plans = [
        (now - timedelta(days=40), ChallengeInput(
            title="Autumn launch: 3,000 unique clicks together",
            description="Share the launch posts: every human visitor counts once.",
            starts_at=now - timedelta(days=40), ends_at=now - timedelta(days=12),
            goal=ChallengeGoal.UNIQUE_CLICKS, mode=ChallengeMode.TEAM, target=3000,
            reward="Breakfast for the whole team")),
        (now - timedelta(days=9), ChallengeInput(
            title="Five shares each this month",
            description="Pick five items from your queue that your network will like.",
            starts_at=now - timedelta(days=9), ends_at=now + timedelta(days=21),
            goal=ChallengeGoal.SHARES, mode=ChallengeMode.EACH, target=5,
            group_ids=[sales.id] if sales else [], reward="A Relais mug")),
        (now, ChallengeInput(
            title="First conversions of the quarter",
            description="Bring the first three customer sign-ups through your links.",
            starts_at=now + timedelta(days=7), ends_at=now + timedelta(days=37),
            goal=ChallengeGoal.CONVERSIONS, mode=ChallengeMode.TEAM, target=3,
            reward="Lunch with the leadership team")),
    ]
    for created, data in plans:
        challenges.create(db, actor, data, now=created)


def _backdate(db: Session, now: datetime) -> None:
    """Date each badge, level and notice to when it was earned."""
    cfg = levels.config(db)
    by_id = {b.id: b for b in db.scalars(select(Badge))}
    owned: dict[int, dict[int, UserBadge]] = defaultdict(dict)
    for ub in db.scalars(select(UserBadge)):
        owned[ub.user_id][ub.badge_id] = ub
    profiles = {p.user_id: p for p in db.scalars(select(GamificationProfile))}
    entries: dict[int, list] = defaultdict(list)
    for entry in db.execute(select(LedgerEntry.user_id, LedgerEntry.action,
                                   LedgerEntry.points, LedgerEntry.source_id,
                                   LedgerEntry.occurred_at)
                            .order_by(LedgerEntry.occurred_at, LedgerEntry.id)):
        entries[entry.user_id].append(entry)
    notices = defaultdict(list)
    for notice in db.scalars(select(Notice).where(Notice.kind.in_(
            ["gamification.badge", "gamification.level"]))):
        notices[notice.user_id].append(notice)
    families = levels.course_families(db, {int(e.source_id) for rows in entries.values()
                                           for e in rows
                                           if e.action == Action.COURSE_COMPLETED
                                           and e.source_id is not None})

    for user_id, rows in entries.items():
        when_badge: dict[int, datetime] = {}
        when_level: dict[int, datetime] = {}
        stats = levels.Stats()
        weeks: set = set()
        courses: set[int] = set()
        for entry in rows:
            _add(stats, entry, weeks, courses, families)
            level = levels.level_for(stats, cfg)
            for number in range(2, level + 1):
                when_level.setdefault(number, entry.occurred_at)
            for badge_id in owned.get(user_id, {}):
                badge = by_id[badge_id]
                if badge_id not in when_badge and badges.met(badge, stats, level):
                    when_badge[badge_id] = entry.occurred_at
        for badge_id, ub in owned.get(user_id, {}).items():
            if by_id[badge_id].criterion == BadgeCriterion.MONTHLY_TOP:
                continue  # dated when its month closed
            ub.awarded_at = min(when_badge.get(badge_id, now), now)
        profile = profiles.get(user_id)
        if profile is not None and profile.level > 1:
            profile.level_reached_at = when_level.get(profile.level, now)
        for notice in notices.get(user_id, []):
            if notice.kind == "gamification.badge":
                ub = owned[user_id].get(notice.params.get("badge_id"))
                notice.created_at = ub.awarded_at if ub else notice.created_at
            else:
                notice.created_at = when_level.get(notice.params.get("level"), now)
            if notice.created_at < now - timedelta(days=7):
                notice.read_at = notice.created_at + timedelta(hours=3)


def _add(stats: levels.Stats, entry, weeks: set, courses: set[int],
         families: dict[int, set[int]]) -> None:
    stats.points += entry.points
    if entry.action in (Action.SHARE, Action.SHARE_FEATURED):
        stats.shares += 1
        weeks.add(services.period_start(Period.WEEK, entry.occurred_at))
        stats.longest_streak = levels.longest_run(sorted(weeks))
    elif entry.action == Action.UNIQUE_CLICK:
        stats.unique_clicks += 1
    elif entry.action == Action.CONVERSION:
        stats.conversions += 1
    elif entry.action == Action.SUGGESTION_ACCEPTED:
        stats.accepted_suggestions += 1
    elif entry.action == Action.COURSE_COMPLETED and entry.source_id is not None:
        courses.update(families.get(int(entry.source_id), {int(entry.source_id)}))
        stats.courses = frozenset(courses)
