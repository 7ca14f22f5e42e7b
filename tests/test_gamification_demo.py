"""seed-demo, sharing and gamification: ~90 days of sharing history by a skewed set of
people (bots, self and repeat clicks included, conversions, two accepted suggestions), and
points, badges and levels computed by the award pipeline over it — consistent with the
ledger, dated in the past, and unchanged by a later run of the award job."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import config
from app.accounts.models import SocialAccount, User
from app.content.models import ContentItem, ContentOrigin, ContentStatus
from app.db import utcnow
from app.gamification.models import (
    Action,
    Badge,
    BadgeCriterion,
    GamificationProfile,
    LedgerEntry,
    Level,
    Period,
    PeriodTotal,
    PointRule,
    UserBadge,
)
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.sharing.models import Click, Conversion, Share
from app.sharing.queries import counted, unique_click
from app.training.models import Course


@pytest.fixture
def seeded(app, db, monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    return db


def test_ninety_days_of_sharing_by_a_few_ambassadors_and_many_occasional_sharers(seeded):
    db, now = seeded, utcnow()
    shares = list(db.scalars(select(Share)))
    assert len(shares) >= 300
    first = min(s.created_at for s in shares)
    assert now - timedelta(days=91) <= first <= now - timedelta(days=80)
    assert len({s.created_at.date() for s in shares}) >= 60  # spread out
    # every share has the reach of the sharer's declared account on that network
    followers = {(a.user_id, a.network.value): a.followers
                 for a in db.scalars(select(SocialAccount))}
    assert all(s.reach == followers.get((s.user_id, s.network), 0) for s in shares)
    assert sum(s.reach > 0 for s in shares) > 0.9 * len(shares)
    # each share was live when shared, each person shares an item once per network
    items = {i.id: i for i in db.scalars(select(ContentItem))}
    assert all(items[s.item_id].published_at <= s.created_at <= now for s in shares)
    assert len({(s.user_id, s.item_id, s.network) for s in shares}) == len(shares)
    # skewed: the top 10% of sharers bring most of the human clicks
    human = Counter({uid: n for uid, n in db.execute(
        select(Share.user_id, func.count(Click.id)).join(Click, Click.share_id == Share.id)
        .where(Click.is_bot.is_(False), Click.is_self.is_(False)).group_by(Share.user_id))})
    sharers = {s.user_id for s in shares}
    assert 40 <= len(sharers) <= 90
    top = sum(n for _u, n in human.most_common(max(1, len(sharers) // 10)))
    assert top > 0.5 * sum(human.values())
    # clicks: bots, self clicks and returning visitors exist, but humans dominate
    total, bots, selves = db.execute(select(
        func.count(Click.id), func.count(Click.id).filter(Click.is_bot.is_(True)),
        func.count(Click.id).filter(Click.is_self.is_(True)))).one()
    assert bots > 0 and selves > 0 and total > 5 * (bots + selves)
    repeat = db.scalar(select(func.count()).select_from(
        select(Click.share_id, Click.visitor_hash).where(Click.is_bot.is_(False))
        .group_by(Click.share_id, Click.visitor_hash).having(func.count() > 1).subquery()))
    assert repeat > 0
    assert all(c.at <= now for c in db.scalars(select(Click).limit(2000)))
    conversions = list(db.scalars(select(Conversion)))
    assert len(conversions) >= 20 and any(c.value for c in conversions)
    # two older suggestions were accepted (and are archived now)
    accepted = list(db.scalars(select(ContentItem).where(
        ContentItem.origin == ContentOrigin.SUGGESTION,
        ContentItem.status == ContentStatus.ARCHIVED)))
    assert len(accepted) == 2 and all(i.published_at for i in accepted)
    # the demo employee shared a little, only past campaigns: her queue stays full
    emma = db.scalar(select(User).where(User.email == "employee@acme.example"))
    mine = [s for s in shares if s.user_id == emma.id]
    assert mine and all(items[s.item_id].status == ContentStatus.ARCHIVED for s in mine)


def test_points_badges_and_levels_come_from_the_history(seeded):
    db, now = seeded, utcnow()
    assert db.scalar(select(func.count()).select_from(PointRule)) == 9
    course = db.scalar(select(Course).where(Course.slug == "ambassador-en"))
    assert course is not None  # the training demo ran first
    badges = {b.key: b for b in db.scalars(select(Badge))}
    assert len(badges) >= 10
    assert (badges["policy-course"].criterion, badges["policy-course"].course_id) == (
        BadgeCriterion.COURSE_PASSED, course.id)
    assert db.get(Level, 2).required_course_id == course.id
    entries = list(db.scalars(select(LedgerEntry)))
    by_action = Counter(e.action for e in entries)
    for action in (Action.SHARE, Action.UNIQUE_CLICK, Action.CONVERSION,
                   Action.SUGGESTION_ACCEPTED, Action.WEEKLY_STREAK, Action.COURSE_COMPLETED):
        assert by_action[action] > 0, action
    assert by_action[Action.SUGGESTION_ACCEPTED] == 2
    # one entry per share (first share of an item per network), per conversion, per
    # unique human visitor of a share — bots and self clicks earned nothing
    assert by_action[Action.SHARE] + by_action[Action.SHARE_FEATURED] == \
        db.scalar(select(func.count()).select_from(Share))
    assert by_action[Action.CONVERSION] == db.scalar(select(func.count())
                                                     .select_from(Conversion))
    humans = db.scalar(select(func.count()).select_from(Click).where(
        counted(Click), unique_click(Click)))
    assert by_action[Action.UNIQUE_CLICK] == humans
    # the totals behind the boards are the sums of the ledger
    ledger_points = defaultdict(int)
    for e in entries:
        ledger_points[e.user_id] += e.points
    totals = {t.user_id: t.points for t in db.scalars(
        select(PeriodTotal).where(PeriodTotal.period == Period.ALL))}
    assert totals == dict(ledger_points)
    assert len({t.period_start for t in db.scalars(select(PeriodTotal).where(
        PeriodTotal.period == Period.MONTH))}) >= 3
    # badges and levels: many, varied, dated when they were earned
    awarded = list(db.scalars(select(UserBadge)))
    kinds = {badges_by_id.criterion for badges_by_id in
             (db.get(Badge, ub.badge_id) for ub in awarded)}
    assert {BadgeCriterion.SHARES, BadgeCriterion.UNIQUE_CLICKS, BadgeCriterion.CONVERSIONS,
            BadgeCriterion.COURSE_PASSED, BadgeCriterion.MONTHLY_TOP} <= kinds
    assert len({ub.awarded_at.date() for ub in awarded}) >= 20
    assert all(ub.awarded_at <= now for ub in awarded)
    levels = Counter(p.level for p in db.scalars(select(GamificationProfile)))
    assert levels[1] and levels[2] and levels[3] and levels[4] + levels[5] >= 3


def test_the_award_job_after_the_seed_changes_nothing(app, seeded):
    db = seeded
    before = db.scalar(select(func.count()).select_from(LedgerEntry))
    points = db.scalar(select(func.sum(PeriodTotal.points))
                       .where(PeriodTotal.period == Period.ALL))
    result = run_job(app, "gamification.award")
    assert result.status == JobStatus.OK, result.error
    assert result.summary["entries"] == 0 and result.summary["badges"] == 0
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(LedgerEntry)) == before
    assert db.scalar(select(func.sum(PeriodTotal.points))
                     .where(PeriodTotal.period == Period.ALL)) == points


def test_demo_challenges_finished_running_and_upcoming(seeded):
    from app.gamification.models import Challenge, ChallengeProgress

    db = seeded
    rows = {c.title: c for c in db.scalars(select(Challenge))}
    assert len(rows) == 3
    [finished] = [c for c in rows.values() if c.closed_at is not None]
    assert finished.ends_at < utcnow()
    progress = list(db.scalars(select(ChallengeProgress)
                               .where(ChallengeProgress.challenge_id == finished.id)))
    assert progress and sum(p.value for p in progress) > 0
    open_ = [c for c in rows.values() if c.closed_at is None]
    assert len(open_) == 2 and all(c.ends_at > utcnow() for c in open_)


def test_the_made_up_history_queues_no_email(seeded):
    """Its notices are in the bells; the e-mails they queued (to invented addresses) are
    dropped by the seed."""
    from app.notifications.models import Notice, OutboxMessage

    assert seeded.scalar(select(func.count()).select_from(Notice)) > 0
    assert seeded.scalar(select(func.count()).select_from(OutboxMessage)) == 0
