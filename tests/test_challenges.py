"""Challenges, the rules: creating and editing (the goal is fixed once started), what counts
(window, audience, topic; through the real award), closing (EACH / TEAM winners paid once,
notices) and the closing job run twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, UserStatus
from app.audit.models import AuditEvent
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.content.models import ContentItem, ContentStatus
from app.db import utcnow
from app.gamification import challenges
from app.gamification.challenges import ChallengeInput, ChallengeState, close_due
from app.gamification.models import (
    Action,
    Challenge,
    ChallengeGoal,
    ChallengeMode,
    ChallengeProgress,
    LedgerEntry,
)
from app.gamification.services import PointEvent, award, award_many
from app.jobs import REGISTRY
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.notifications.kinds import render_notice
from app.notifications.models import Notice
from tests.factories import GroupFactory, TopicFactory, UserFactory
from tests.factories_boards import challenge, progress_row

NOW = utcnow()
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def actor(db) -> Actor:
    return Actor(user_id=UserFactory(role=Role.CURATOR).id)


def data(**kwargs) -> ChallengeInput:
    values = dict(title="Spring sprint", ends_at=NOW + 7 * DAY, goal=ChallengeGoal.SHARES,
                  mode=ChallengeMode.EACH, target=5)
    values.update(kwargs)
    return ChallengeInput(**values)


def progress_of(db, ch) -> dict[int, int]:
    db.expire_all()
    return dict(db.execute(select(ChallengeProgress.user_id, ChallengeProgress.value)
                           .where(ChallengeProgress.challenge_id == ch.id)).all())


_n = [0]


def item(db, *topics) -> ContentItem:
    _n[0] += 1
    row = ContentItem(url=f"https://acme.example/{_n[0]}", slug=f"item-ch-{_n[0]}",
                      title=f"Item {_n[0]}", status=ContentStatus.PUBLISHED,
                      topics=list(topics))
    db.add(row)
    db.flush()
    return row


def share(db, user, at, item_=None, key=None):
    _n[0] += 1
    return award(db, user_id=user.id, action=Action.SHARE, key=key or f"t:share:{_n[0]}",
                 occurred_at=at, item_id=item_.id if item_ else None, shares=1, now=at)


# --- create, edit, delete ---


def test_a_challenge_starts_now_by_default_and_is_audited(db, app):
    group = GroupFactory()
    topic = TopicFactory()
    ch = challenges.create(db, actor(db), data(group_ids=[group.id], topic_id=topic.id,
                                               reward=" A lunch "), now=NOW)
    assert ch.starts_at == NOW and ch.groups == [group] and ch.topic == topic
    assert ch.reward == "A lunch" and ch.closed_at is None
    assert challenges.state(ch, NOW) is ChallengeState.ACTIVE
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "challenge.created", AuditEvent.target_id == ch.id)) == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"starts_at": NOW - HOUR}, "starts_at"),
    ({"ends_at": NOW}, "ends_at"),
    ({"starts_at": NOW + 2 * DAY, "ends_at": NOW + DAY}, "ends_at"),
    ({"target": 0}, "target"),
    ({"title": "  "}, "title"),
    ({"group_ids": [999999]}, "group_ids"),
    ({"topic_id": 999999}, "topic_id"),
])
def test_creation_rules(db, app, changes, field):
    with pytest.raises(ServiceError) as refused:
        challenges.create(db, actor(db), data(**changes), now=NOW)
    assert refused.value.field == field


def test_a_start_a_few_minutes_ago_means_now(db, app):
    ch = challenges.create(db, actor(db), data(starts_at=NOW - timedelta(minutes=3)), now=NOW)
    assert ch.starts_at == NOW


def test_everything_may_change_before_the_start(db, app):
    ch = challenge(db, starts_at=NOW + DAY, now=NOW)
    group, topic = GroupFactory(), TopicFactory()
    challenges.update(db, actor(db), ch, data(
        title="Renamed", goal=ChallengeGoal.UNIQUE_CLICKS, mode=ChallengeMode.TEAM,
        target=200, topic_id=topic.id, group_ids=[group.id], starts_at=NOW + 2 * DAY,
        ends_at=NOW + 9 * DAY), now=NOW)
    assert (ch.title, ch.goal, ch.mode, ch.target, ch.topic_id, ch.groups) == (
        "Renamed", ChallengeGoal.UNIQUE_CLICKS, ChallengeMode.TEAM, 200, topic.id, [group])
    assert ch.starts_at == NOW + 2 * DAY


@pytest.mark.parametrize("changes", [
    {"goal": ChallengeGoal.POINTS}, {"mode": ChallengeMode.TEAM}, {"target": 6},
    {"topic_id": "new"}, {"group_ids": "new"}, {"starts_at": NOW + HOUR}])
def test_the_goal_is_fixed_once_started(db, app, changes):
    ch = challenge(db, now=NOW)
    if changes.get("topic_id") == "new":
        changes["topic_id"] = TopicFactory().id
    if changes.get("group_ids") == "new":
        changes["group_ids"] = [GroupFactory().id]
    with pytest.raises(ServiceError) as refused:
        challenges.update(db, actor(db), ch, data(**changes), now=NOW + HOUR)
    assert refused.value.field == "goal"
    assert (ch.goal, ch.mode, ch.target) == (ChallengeGoal.SHARES, ChallengeMode.EACH, 5)


def test_a_running_challenge_may_be_renamed_and_extended(db, app):
    ch = challenge(db, now=NOW)
    challenges.update(db, actor(db), ch, data(title="Longer sprint", reward="Cake",
                                              description="**Go**", ends_at=NOW + 10 * DAY,
                                              starts_at=ch.starts_at + timedelta(seconds=20)),
                      now=NOW + HOUR)
    assert (ch.title, ch.reward, ch.description, ch.ends_at) == (
        "Longer sprint", "Cake", "**Go**", NOW + 10 * DAY)
    with pytest.raises(ServiceError) as refused:
        challenges.update(db, actor(db), ch, data(ends_at=NOW + 30 * timedelta(minutes=1)),
                          now=NOW + HOUR)
    assert refused.value.field == "ends_at"


def test_a_closed_challenge_is_read_only_and_cannot_be_deleted(db, app):
    ch = challenge(db, now=NOW)
    ch.closed_at = NOW
    with pytest.raises(ServiceError):
        challenges.update(db, actor(db), ch, data(), now=NOW)
    with pytest.raises(ServiceError):
        challenges.delete(db, actor(db), ch)
    assert db.get(Challenge, ch.id) is not None


def test_deleting_removes_the_challenge_and_its_progress(db, app):
    ch = challenge(db, now=NOW)
    progress_row(db, ch, UserFactory(), 3)
    challenges.delete(db, actor(db), ch)
    db.expire_all()
    assert db.get(Challenge, ch.id) is None
    assert db.scalar(select(func.count()).select_from(ChallengeProgress)) == 0


# --- what counts ---


def test_events_inside_the_window_count_once(db, app):
    ann = UserFactory()
    ch = challenge(db, now=NOW, ends_at=NOW + DAY)
    share(db, ann, NOW + HOUR, key="s1")
    share(db, ann, NOW + HOUR, key="s1")  # the same event again: not paid, not counted
    share(db, ann, NOW + 2 * HOUR)
    share(db, ann, NOW - HOUR)  # before the start
    share(db, ann, NOW + DAY)  # at the end (the window is [start, end))
    assert progress_of(db, ch) == {ann.id: 2}


def test_only_the_audience_counts(db, app):
    sales = GroupFactory()
    member, outsider = UserFactory(groups=[sales]), UserFactory()
    ch = challenge(db, now=NOW, groups=[sales])
    everyone = challenge(db, now=NOW, title="Everyone")
    share(db, member, NOW + HOUR)
    share(db, outsider, NOW + HOUR)
    assert progress_of(db, ch) == {member.id: 1}
    assert progress_of(db, everyone) == {member.id: 1, outsider.id: 1}


def test_a_topic_challenge_counts_items_with_that_topic_only(db, app):
    cloud, other = TopicFactory(name="Cloud"), TopicFactory(name="Other")
    ann = UserFactory()
    ch = challenge(db, now=NOW, topic=cloud)
    share(db, ann, NOW + HOUR, item(db, cloud, other))
    share(db, ann, NOW + HOUR, item(db, other))
    share(db, ann, NOW + HOUR)  # no item
    assert progress_of(db, ch) == {ann.id: 1}


def test_each_goal_adds_up_its_own_measure(db, app):
    ann = UserFactory()
    goals = {goal: challenge(db, now=NOW, goal=goal, title=goal.value)
             for goal in ChallengeGoal}
    it = item(db)
    award(db, user_id=ann.id, action=Action.UNIQUE_CLICK, key="t:click:1",
          occurred_at=NOW + HOUR, item_id=it.id, unique_clicks=1, now=NOW + HOUR)
    award(db, user_id=ann.id, action=Action.CONVERSION, key="t:conv:1",
          occurred_at=NOW + HOUR, item_id=it.id, conversions=1, now=NOW + HOUR)
    share(db, ann, NOW + HOUR, it)
    points = db.scalar(select(func.sum(LedgerEntry.points)).where(
        LedgerEntry.user_id == ann.id))
    assert points > 0
    assert {g: progress_of(db, c).get(ann.id, 0) for g, c in goals.items()} == {
        ChallengeGoal.SHARES: 1, ChallengeGoal.UNIQUE_CLICKS: 1, ChallengeGoal.CONVERSIONS: 1,
        ChallengeGoal.POINTS: points}


def test_a_batch_of_events_is_counted_per_person(db, app):
    ann, bob = UserFactory(), UserFactory()
    ch = challenge(db, now=NOW)
    award_many(db, [PointEvent(user_id=u.id, action=Action.SHARE, key=f"b:{u.id}:{i}",
                               occurred_at=NOW + i * HOUR, shares=1)
                    for u, n in ((ann, 3), (bob, 2)) for i in range(1, n + 1)], now=NOW)
    assert progress_of(db, ch) == {ann.id: 3, bob.id: 2}


def test_prizes_and_closed_challenges_do_not_count(db, app):
    ann = UserFactory()
    points = challenge(db, now=NOW, goal=ChallengeGoal.POINTS)
    closed = challenge(db, now=NOW, title="Closed early")
    closed.closed_at = NOW + HOUR
    award(db, user_id=ann.id, action=Action.CHALLENGE_WON, key="challenge:0:user:x",
          occurred_at=NOW + HOUR, now=NOW + HOUR)
    share(db, ann, NOW + 2 * HOUR)
    assert progress_of(db, points) == {ann.id: 5}  # the share's points only
    assert progress_of(db, closed) == {}


# --- closing ---


def ledger(db, ch) -> dict[int, int]:
    return dict(db.execute(select(LedgerEntry.user_id, LedgerEntry.points).where(
        LedgerEntry.action == Action.CHALLENGE_WON, LedgerEntry.source_id == ch.id)).all())


def notices(db) -> list[tuple[int, str]]:
    return sorted(db.execute(select(Notice.user_id, Notice.kind)).all())


def test_each_mode_pays_whoever_reached_the_target_once(db, app):
    ann, bob, cy, gone = (UserFactory(name=n) for n in ("Ann", "Bob", "Cy", "Gone"))
    ch = challenge(db, now=NOW, ends_at=NOW + DAY, target=3, reward="Lunch")
    for user, value in ((ann, 3), (bob, 5), (cy, 2), (gone, 4)):
        progress_row(db, ch, user, value)
    gone.status = UserStatus.DEACTIVATED

    assert close_due(db, NOW + HOUR) == []  # not over yet
    winners = close_due(db, NOW + DAY)

    assert {(w.user_id, w.value) for w in winners} == {(ann.id, 3), (bob.id, 5)}
    assert set(ledger(db, ch)) == {ann.id, bob.id}
    keys = set(db.scalars(select(LedgerEntry.idempotency_key).where(
        LedgerEntry.action == Action.CHALLENGE_WON)))
    assert keys == {f"challenge:{ch.id}:user:{ann.id}", f"challenge:{ch.id}:user:{bob.id}"}
    assert notices(db) == sorted([(ann.id, "gamification.challenge_won"),
                                  (bob.id, "gamification.challenge_won"),
                                  (cy.id, "gamification.challenge_closed")])
    db.expire_all()
    assert ch.closed_at == NOW + DAY
    won = dict(db.execute(select(ChallengeProgress.user_id, ChallengeProgress.won)
                          .where(ChallengeProgress.challenge_id == ch.id)).all())
    assert won == {ann.id: True, bob.id: True, cy.id: False, gone.id: False}

    assert close_due(db, NOW + 2 * DAY) == []  # closing again changes nothing
    assert len(notices(db)) == 3 and set(ledger(db, ch)) == {ann.id, bob.id}


def test_team_mode_pays_every_contributor_when_the_total_is_reached(db, app):
    ann, bob, idle = UserFactory(), UserFactory(), UserFactory()
    ch = challenge(db, now=NOW, ends_at=NOW + DAY, mode=ChallengeMode.TEAM, target=10)
    progress_row(db, ch, ann, 7)
    progress_row(db, ch, bob, 3)
    progress_row(db, ch, idle, 0)
    assert {w.user_id for w in close_due(db, NOW + DAY)} == {ann.id, bob.id}
    assert notices(db) == sorted([(ann.id, "gamification.challenge_won"),
                                  (bob.id, "gamification.challenge_won")])


def test_team_mode_below_the_target_pays_nobody(db, app):
    ann = UserFactory()
    ch = challenge(db, now=NOW, ends_at=NOW + DAY, mode=ChallengeMode.TEAM, target=10)
    progress_row(db, ch, ann, 9)
    assert close_due(db, NOW + DAY) == []
    assert notices(db) == [(ann.id, "gamification.challenge_closed")]
    notice = db.scalar(select(Notice))
    with app.test_request_context():
        text = render_notice(notice.kind, notice.params)
    assert "together you reached 9 of 10" in text
    db.expire_all()
    assert db.get(Challenge, ch.id).closed_at == NOW + DAY


def test_the_closing_delay_waits_for_late_counted_events(db, app):
    ch = challenge(db, now=NOW, ends_at=NOW + DAY)
    assert close_due(db, NOW + DAY + 10 * timedelta(minutes=1),
                     delay=timedelta(minutes=30)) == []
    assert ch.closed_at is None
    close_due(db, NOW + DAY + timedelta(minutes=30), delay=timedelta(minutes=30))
    assert ch.closed_at is not None


def test_the_notices_read_well(app):
    with app.test_request_context():
        assert render_notice("gamification.challenge_won", {
            "title": "Sprint", "reward": "Lunch"}) == \
            "You won the challenge “Sprint”! Reward: Lunch"
        assert render_notice("gamification.challenge_closed", {
            "title": "Sprint", "mode": "each", "value": 2, "target": 5}) == \
            "The challenge “Sprint” is over: you reached 2 of 5."


def test_progress_for_the_viewer_and_the_audience(db, app):
    sales = GroupFactory()
    ann, bob, cy = (UserFactory(groups=[sales]) for _ in range(3))
    UserFactory()  # not in the audience
    ch = challenge(db, now=NOW, groups=[sales], target=4)
    progress_row(db, ch, ann, 5)
    progress_row(db, ch, bob, 2)
    p = challenges.progress(db, ch, bob.id)
    assert (p.mine, p.total, p.participants, p.reached, p.audience) == (2, 7, 2, 1, 3)
    assert (p.mine_pct, p.team_value, p.team_max) == (50, 1, 3)
    assert challenges.progress(db, ch, cy.id).mine == 0


# --- the job ---


def test_the_job_is_declared():
    spec = REGISTRY["gamification.close_challenges"]
    assert spec.trigger == {"trigger": "interval", "minutes": 10}
    assert spec.scheduler_options()["coalesce"] and spec.misfire_grace_time > 0
    assert spec.description


def _state(db):
    db.expire_all()
    return (sorted(db.execute(select(Challenge.id, Challenge.closed_at)).all()),
            sorted(db.execute(select(ChallengeProgress.user_id, ChallengeProgress.won)).all()),
            sorted(db.execute(select(LedgerEntry.idempotency_key, LedgerEntry.points)).all()),
            notices(db))


def test_the_job_closes_ended_challenges_and_a_second_run_changes_nothing(db, app):
    now = utcnow()
    ann, bob = UserFactory(), UserFactory()
    ended = challenge(db, now=now - 3 * DAY, ends_at=now - HOUR, target=2, title="Ended")
    recent = challenge(db, now=now - 3 * DAY, ends_at=now - timedelta(minutes=5),
                       title="Just ended")  # within the closing delay
    running = challenge(db, now=now - DAY, title="Running")
    for ch in (ended, recent, running):
        progress_row(db, ch, ann, 3)
        progress_row(db, ch, bob, 1)
    db.commit()

    first = run_job(app, "gamification.close_challenges")
    assert first.status == JobStatus.OK, first.error
    # "announced": people told that a challenge of theirs started (never twice)
    assert first.summary == {"closed": 1, "winners": 1, "announced": 5}
    state = _state(db)
    assert {cid for cid, closed_at in state[0] if closed_at is not None} == {ended.id}
    assert ledger(db, ended) == {ann.id: 50}  # the default CHALLENGE_WON rule

    second = run_job(app, "gamification.close_challenges")
    assert second.status == JobStatus.OK and second.summary == {"closed": 0, "winners": 0,
                                                             "announced": 0}
    assert _state(db) == state


def test_goal_text_is_one_translatable_sentence_with_its_plural(app):
    from app.gamification.challenges import goal_text
    from app.gamification.models import Challenge, ChallengeGoal, ChallengeMode

    one = Challenge(goal=ChallengeGoal.SHARES, mode=ChallengeMode.EACH, target=1)
    many = Challenge(goal=ChallengeGoal.UNIQUE_CLICKS, mode=ChallengeMode.TEAM, target=200)
    with app.test_request_context():
        assert goal_text(one) == "1 share each"
        assert goal_text(many) == "200 unique clicks together"
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        from flask_babel import force_locale

        with force_locale("fr"):
            assert goal_text(one) == "1 partage par participant"
