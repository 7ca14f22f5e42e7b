"""Points: the award (once per key, caps, inactive rules, period totals), corrections,
the rules, and the evaluation of badges and levels with their notices."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.gamification import levels, services
from app.gamification.models import (
    Action,
    BadgeCriterion,
    GamificationProfile,
    Period,
    PointRule,
    UserBadge,
)
from app.notifications.models import Notice
from tests import factories_gamification as g
from tests.factories import UserFactory

T = g.T


def pay(db, user, action=Action.SHARE, key=None, at=T, **kw):
    return services.award(db, user_id=user.id, action=action, key=key or f"k:{at}:{kw}",
                          occurred_at=at, **kw)


def test_award_pays_the_rule_once_per_key_and_fills_every_period_total(db):
    user = UserFactory()
    entry = services.award(db, user_id=user.id, action=Action.CONVERSION, key="conversion:1",
                           occurred_at=T, source_type="conversion", source_id=1, conversions=1)
    assert (entry.points, entry.action, entry.reason, entry.source_type, entry.source_id) == (
        25, Action.CONVERSION, "", "conversion", 1)
    assert services.award(db, user_id=user.id, action=Action.CONVERSION, key="conversion:1",
                          occurred_at=T, conversions=1) is None
    rows = {(t.period, t.period_start): (t.points, t.conversions)
            for p in Period for t in g.totals(db, user, p)}
    assert rows == {(Period.DAY, date(2026, 5, 13)): (25, 1),
                    (Period.WEEK, date(2026, 5, 11)): (25, 1),
                    (Period.MONTH, date(2026, 5, 1)): (25, 1),
                    (Period.QUARTER, date(2026, 4, 1)): (25, 1),
                    (Period.ALL, date(1970, 1, 1)): (25, 1)}
    assert len(g.ledger(db, user)) == 1


def test_period_starts_follow_iso_weeks_months_and_quarters():
    assert services.period_starts(date(2026, 1, 1)) == {
        Period.DAY: date(2026, 1, 1), Period.WEEK: date(2025, 12, 29),
        Period.MONTH: date(2026, 1, 1), Period.QUARTER: date(2026, 1, 1),
        Period.ALL: date(1970, 1, 1)}
    assert services.period_start(Period.QUARTER, date(2026, 12, 31)) == date(2026, 10, 1)


def test_the_daily_cap_pays_what_fits_then_zero_with_a_reason_and_resets_next_day(db):
    user = UserFactory()
    paid = [pay(db, user, key=f"share:{i}", at=T + timedelta(minutes=i), shares=1).points
            for i in range(7)]
    assert paid == [5, 5, 5, 5, 5, 0, 0]  # share: 5 points, 25 a day
    capped = g.ledger(db, user)[-1]
    assert capped.reason == services.REASON_CAPPED
    tomorrow = pay(db, user, key="share:next-day", at=T + timedelta(days=1), shares=1)
    assert tomorrow.points == 5
    day = {t.period_start: (t.points, t.shares) for t in g.totals(db, user, Period.DAY)}
    assert day == {date(2026, 5, 13): (25, 7), date(2026, 5, 14): (5, 1)}


def test_a_cap_that_is_not_a_multiple_pays_the_remainder(db):
    admin = UserFactory()
    services.save_rule(db, Actor(user_id=admin.id), Action.SHARE, points=10, daily_cap=25,
                       active=True)
    user = UserFactory()
    assert [pay(db, user, key=f"s{i}", at=T + timedelta(seconds=i)).points
            for i in range(4)] == [10, 10, 5, 0]


def test_a_batch_fills_the_cap_in_the_order_events_happened(db):
    user = UserFactory()
    events = [services.PointEvent(user_id=user.id, action=Action.UNIQUE_CLICK,
                                  key=f"uclick:{i}", occurred_at=T + timedelta(seconds=60 - i),
                                  unique_clicks=1) for i in range(60)]
    paid = services.award_many(db, events)
    assert sum(p.points for p in paid) == 50  # 1 point, 50 a day
    zero = {p.event.key for p in paid if p.points == 0}
    assert zero == {f"uclick:{i}" for i in range(10)}  # the latest ten clicks of the day
    assert g.all_time(db, user).unique_clicks == 60


def test_an_inactive_rule_pays_zero_but_the_event_still_counts(db):
    admin = UserFactory()
    services.save_rule(db, Actor(user_id=admin.id), Action.SHARE, points=5, daily_cap=25,
                       active=False)
    user = UserFactory()
    entry = pay(db, user, key="share:x", shares=1, reach=300)
    assert (entry.points, entry.reason) == (0, services.REASON_INACTIVE)
    total = g.all_time(db, user)
    assert (total.points, total.shares, total.reach) == (0, 1, 300)


def test_rules_default_until_saved_and_saving_is_audited(db):
    admin = UserFactory()
    effective = services.rules(db)
    assert {a: (r.points, r.daily_cap) for a, r in effective.items()} == {
        Action.SHARE: (5, 25), Action.SHARE_FEATURED: (8, 40), Action.UNIQUE_CLICK: (1, 50),
        Action.CONVERSION: (25, None), Action.SUGGESTION_ACCEPTED: (15, None),
        Action.COURSE_COMPLETED: (20, None), Action.QUIZ_PASSED: (10, None),
        Action.WEEKLY_STREAK: (10, None), Action.CHALLENGE_WON: (50, None)}
    assert db.scalar(select(func.count()).select_from(PointRule)) == 0  # reading never writes
    assert services.save_rule(db, Actor(user_id=admin.id), Action.CONVERSION, points=40,
                              daily_cap=None, active=True)
    assert not services.save_rule(db, Actor(user_id=admin.id), Action.CONVERSION, points=40,
                                  daily_cap=None, active=True)
    assert services.rules(db)[Action.CONVERSION].points == 40
    event = db.scalar(select(AuditEvent).where(AuditEvent.action ==
                                               "gamification.rule_updated"))
    assert event.details["before"]["points"] == 25 and event.details["after"]["points"] == 40
    with pytest.raises(ServiceError):
        services.save_rule(db, Actor(user_id=admin.id), Action.SHARE, points=-1,
                           daily_cap=None, active=True)
    with pytest.raises(ServiceError):
        services.save_rule(db, Actor(user_id=admin.id), Action.SHARE, points=1,
                           daily_cap=-5, active=True)
    assert services.ensure_default_rules(db) == 8
    assert services.ensure_default_rules(db) == 0


def test_a_correction_is_a_new_audited_entry_with_its_reason(db):
    admin, user = UserFactory(), UserFactory()
    pay(db, user, action=Action.CONVERSION, key="conversion:9", conversions=1)
    entry = services.correct(db, user_id=user.id, points=-10, reason="Duplicate lead",
                             actor=Actor(user_id=admin.id))
    assert (entry.action, entry.points, entry.reason, entry.created_by_id) == (
        Action.CORRECTION, -10, "Duplicate lead", admin.id)
    assert entry.idempotency_key.startswith("correction:")
    assert services.points_balance(db, user.id) == 15
    assert g.all_time(db, user).conversions == 1  # a correction moves points only
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "gamification.correction"))
    assert audit.actor_id == admin.id and audit.details["points"] == -10
    assert len(g.ledger(db, user)) == 2  # nothing changed, one entry added


@pytest.mark.parametrize("points, reason, message", [
    (0, "why", "other than 0"), (5, "  ", "reason"), (-100, "too much", "below 0"),
    (200_000, "typo", "at most")])
def test_a_correction_needs_points_a_reason_and_a_balance_that_stays_positive(
        db, points, reason, message):
    admin, user = UserFactory(), UserFactory()
    pay(db, user, action=Action.CONVERSION, key="conversion:1")
    with pytest.raises(ServiceError, match=message):
        services.correct(db, user_id=user.id, points=points, reason=reason,
                         actor=Actor(user_id=admin.id))


def test_corrections_are_never_capped(db):
    admin, user = UserFactory(), UserFactory()
    for _ in range(3):
        services.correct(db, user_id=user.id, points=30, reason="Event host",
                         actor=Actor(user_id=admin.id))
    assert services.points_balance(db, user.id) == 90


def test_evaluate_awards_each_badge_once_with_a_notice_in_both_languages(db, app):
    user = UserFactory()
    first = g.badge(db, BadgeCriterion.SHARES, 1, emoji="🚀", name="First share")
    ten = g.badge(db, BadgeCriterion.SHARES, 10)
    pay(db, user, key="share:1", shares=1)
    new = services.evaluate(db, [user.id], T)
    assert [(ub.user_id, ub.badge_id) for ub in new] == [(user.id, first.id)]
    assert services.evaluate(db, [user.id], T) == []
    notice = db.scalar(select(Notice).where(Notice.user_id == user.id,
                                            Notice.kind == "gamification.badge"))
    assert notice.params == {"badge_id": first.id, "emoji": "🚀", "name_en": "First share",
                             "name_fr": "First share (fr)"}
    assert notice.link_endpoint == "gamification.my_points"
    from flask_babel import force_locale

    from app.notifications.kinds import render_notice

    with app.test_request_context(), force_locale("fr"):
        assert "First share (fr)" in render_notice("gamification.badge", notice.params)
    with app.test_request_context(), force_locale("en"):
        assert render_notice("gamification.badge", notice.params) == \
            "You earned the badge 🚀 First share."
    assert db.scalar(select(func.count()).select_from(UserBadge)
                     .where(UserBadge.badge_id == ten.id)) == 0


def test_inactive_badges_are_not_awarded(db):
    user = UserFactory()
    badge = g.badge(db, BadgeCriterion.SHARES, 1)
    badge.active = False
    pay(db, user, key="share:1", shares=1)
    assert services.evaluate(db, [user.id], T) == []


def test_each_criterion_kind(db):
    user, other = UserFactory(), UserFactory()
    course = g.course(db)
    kinds = {
        "clicks": g.badge(db, BadgeCriterion.UNIQUE_CLICKS, 2),
        "conversions": g.badge(db, BadgeCriterion.CONVERSIONS, 1),
        "points": g.badge(db, BadgeCriterion.POINTS, 30),
        "suggestions": g.badge(db, BadgeCriterion.SUGGESTIONS_ACCEPTED, 1),
        "course": g.badge(db, BadgeCriterion.COURSE_PASSED, course_id=course.id),
        "streak": g.badge(db, BadgeCriterion.STREAK_WEEKS, 3),
        "level": g.badge(db, BadgeCriterion.LEVEL, 2),
    }
    for i in range(2):
        pay(db, user, Action.UNIQUE_CLICK, key=f"uclick:{i}", unique_clicks=1)
    pay(db, user, Action.CONVERSION, key="conversion:1", conversions=1)
    pay(db, user, Action.SUGGESTION_ACCEPTED, key="suggestion:1")
    pay(db, user, Action.COURSE_COMPLETED, key=f"course:{course.id}:user:{user.id}",
        source_type="course", source_id=course.id)
    for week in range(3):  # three consecutive ISO weeks with a share
        pay(db, user, key=f"share:w{week}", at=T + timedelta(weeks=week), shares=1)
    pay(db, other, key="share:lonely", shares=1)
    pay(db, other, key="share:gap", at=T + timedelta(weeks=2), shares=1)
    services.evaluate(db, [user.id, other.id], T)
    owned = set(db.scalars(select(UserBadge.badge_id).where(UserBadge.user_id == user.id)))
    assert owned == {b.id for b in kinds.values()}
    assert not set(db.scalars(select(UserBadge.badge_id).where(UserBadge.user_id == other.id)))


def test_levels_need_every_requirement_not_only_points(db):
    user = UserFactory()
    course = g.course(db)
    levels.install_defaults(db, course_for_level_2=course.id)
    pay(db, user, Action.CHALLENGE_WON, key="challenge:1:user", at=T)  # 50 points
    services.evaluate(db, [user.id], T)
    assert db.get(GamificationProfile, user.id).level == 1  # the course is missing
    stats = levels.stats_for(db, [user.id])[user.id]
    progress = levels.progress(db, stats, levels.config(db))
    assert [(str(r.label), r.met) for r in progress.requirements] == [
        ("Points", True), ("Pass the course “Social-media policy”", False)]
    pay(db, user, Action.COURSE_COMPLETED, key=f"course:{course.id}:user:{user.id}",
        source_type="course", source_id=course.id)
    services.evaluate(db, [user.id], T + timedelta(minutes=1))
    profile = db.get(GamificationProfile, user.id)
    assert profile.level == 2 and profile.level_reached_at == T + timedelta(minutes=1)
    notices = list(db.scalars(select(Notice).where(Notice.kind == "gamification.level")))
    assert [n.params for n in notices] == [{"level": 2}]


def test_a_correction_can_lower_the_level_without_a_notice(db):
    admin, user = UserFactory(), UserFactory()
    pay(db, user, Action.CHALLENGE_WON, key="challenge:1:user:x")  # 50 points ≥ 25
    services.evaluate(db, [user.id], T)
    assert db.get(GamificationProfile, user.id).level == 2
    services.correct(db, user_id=user.id, points=-40, reason="Challenge cancelled",
                     actor=Actor(user_id=admin.id))
    assert db.get(GamificationProfile, user.id).level == 1
    assert db.scalar(select(func.count()).select_from(Notice)
                     .where(Notice.kind == "gamification.level")) == 1


def test_level_five_needs_outcomes_and_co_creation(db):
    user = UserFactory()
    cfg = levels.config(db)
    rich = levels.Stats(points=100_000, shares=500, unique_clicks=10_000, conversions=50)
    assert levels.level_for(rich, cfg) == 4  # no accepted suggestion
    rich.accepted_suggestions = 1
    assert levels.level_for(rich, cfg) == 5
    assert levels.progress(db, rich, cfg).next_level is None
    assert user.id  # (a person, for the sake of the session)


def test_saving_levels_checks_and_audits(db):
    admin = UserFactory()
    actor = Actor(user_id=admin.id)
    reqs = [levels.LevelReq(n, min_points=p) for n, p in ((2, 10), (3, 100), (4, 50),
                                                          (5, 1000))]
    with pytest.raises(ServiceError, match="at least as many points"):
        levels.save_levels(db, actor, reqs)
    reqs[2] = levels.LevelReq(4, min_points=500, min_conversions=2)
    assert levels.save_levels(db, actor, reqs)
    assert levels.config(db)[4].min_conversions == 2
    assert not levels.save_levels(db, actor, reqs)
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "gamification.levels_updated")) == 1


def test_opt_out_is_stored_on_the_profile(db):
    user = UserFactory()
    assert services.profile(db, user.id).leaderboard_opt_out is False
    assert db.get(GamificationProfile, user.id) is None
    services.set_opt_out(db, user.id, True)
    assert db.get(GamificationProfile, user.id).leaderboard_opt_out is True


def test_passing_a_translation_counts_as_passing_the_course(db):
    user = UserFactory()
    english = g.course(db, slug="ambassador-en", title="Ambassador")
    french = g.course(db, slug="ambassador-fr", title="Ambassadeur")
    french.translation_of_id = english.id
    db.flush()
    badge = g.badge(db, BadgeCriterion.COURSE_PASSED, course_id=english.id)
    levels.install_defaults(db, course_for_level_2=english.id)
    pay(db, user, Action.CHALLENGE_WON, key="c:1")
    pay(db, user, Action.COURSE_COMPLETED, key=f"course:{french.id}:user:{user.id}",
        source_type="course", source_id=french.id)
    [new] = services.evaluate(db, [user.id], T)
    assert new.badge_id == badge.id
    assert db.get(GamificationProfile, user.id).level == 2
