"""The points pages through HTTP: "My points" (balance, level and what the next one needs,
badges earned and to earn, history, leaderboard opt-out), the profile card, and the admin
pages (rules, badges, levels, settings, a person's ledger with corrections)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.db import utcnow
from app.gamification import services
from app.gamification.models import (
    Action,
    Badge,
    BadgeCriterion,
    GamificationProfile,
    GamificationSettings,
    LedgerEntry,
    Level,
    PointRule,
)
from app.notifications.models import Notice
from tests import factories_gamification as g
from tests.factories import UserFactory


def pay(db, user, action=Action.SHARE, key="k", at=None, **kw):
    return services.award(db, user_id=user.id, action=action, key=key,
                          occurred_at=at or utcnow(), **kw)


def text(response) -> str:
    return response.get_data(as_text=True)


# --- My points ------------------------------------------------------------------------------


def test_my_points_starts_empty_with_the_first_level_and_what_the_next_needs(auth, db):
    auth.as_role(Role.EMPLOYEE)
    g.badge(db, BadgeCriterion.SHARES, 1, name="First share")
    html = text(auth.client.get("/me/points"))
    assert 'data-testid="balance">0<' in html
    assert "Level 1 · Discover" in html
    assert 'data-testid="ledger-empty"' in html
    assert 'data-testid="no-badges"' in html and "First share" in html
    assert re.search(r'data-met="no">.*?Points.*?0 / 25', html, re.S)


def test_my_points_shows_balance_level_badges_and_the_history(auth, db):
    user = auth.as_role(Role.EMPLOYEE)
    news = g.item(db, title="Relay Analytics launch")
    share = g.share(db, user, on=news, at=utcnow() - timedelta(hours=2))
    first = g.badge(db, BadgeCriterion.SHARES, 1, name="First share", emoji="🚀")
    g.badge(db, BadgeCriterion.SHARES, 10, name="Regular voice")
    pay(db, user, key=f"share:{share.id}", source_type="share", source_id=share.id,
        item_id=news.id, shares=1)
    pay(db, user, Action.CHALLENGE_WON, key="challenge:1:user", at=utcnow())
    services.evaluate(db, [user.id], utcnow())
    html = text(auth.client.get("/me/points"))
    assert 'data-testid="balance">55<' in html
    assert "Level 2 · Secure" in html  # 55 ≥ 25 points
    assert f'data-badge="{first.key}"' in html and "earned" in html
    assert re.search(r'data-testid="badge-to-earn".*?Regular voice.*?Share 10 times.*?1 / 10',
                     html, re.S)
    rows = re.findall(r'data-testid="ledger-row" data-action="(\w+)"', html)
    assert rows == ["challenge_won", "share"]
    assert "Relay Analytics launch" in html  # what the share paid for
    assert 'data-testid="next-level-requirements"' in html


def test_my_points_costs_the_same_statements_for_one_badge_or_five(auth, db, app):
    """Regression: each earned badge was loaded by its own SELECT from the template."""
    from app.gamification.models import UserBadge
    from tests.test_my_shares import count_statements

    def statements_with(n: int) -> int:
        user = auth.as_role(Role.EMPLOYEE)
        for _ in range(n):
            db.add(UserBadge(user_id=user.id, badge_id=g.badge(db, BadgeCriterion.SHARES).id,
                             awarded_at=utcnow()))
        db.flush()
        with count_statements(app) as statements:
            html = text(auth.client.get("/me/points"))
        assert html.count('data-testid="badge-earned"') == n
        return len(statements)

    assert statements_with(1) == statements_with(5)


def test_the_history_is_paginated(auth, db, app):
    user = auth.as_role(Role.EMPLOYEE)
    per_page = app.config["PER_PAGE"]
    for i in range(per_page + 3):
        pay(db, user, Action.QUIZ_PASSED, key=f"quiz:{i}", at=utcnow() - timedelta(hours=i))
    first = text(auth.client.get("/me/points"))
    second = text(auth.client.get("/me/points?page=2"))
    assert first.count('data-testid="ledger-row"') == per_page
    assert second.count('data-testid="ledger-row"') == 3
    assert "Page 1 of 2" in first


def test_a_capped_entry_shows_its_reason(auth, db):
    user = auth.as_role(Role.EMPLOYEE)
    now = utcnow()
    for i in range(6):
        pay(db, user, key=f"share:{i}", at=now - timedelta(seconds=i), shares=1)
    assert "daily cap reached" in text(auth.client.get("/me/points"))


def test_opting_out_of_the_leaderboards_and_back(auth, db):
    user = auth.as_role(Role.EMPLOYEE)
    html = text(auth.client.get("/me/points"))
    assert "Hide me from the leaderboards" in html
    response = auth.client.post("/me/points/leaderboards", data={"opt_out": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/me/points#leaderboards")
    db.expire_all()
    assert db.get(GamificationProfile, user.id).leaderboard_opt_out is True
    assert "Show me on the leaderboards again" in text(auth.client.get("/me/points"))
    auth.client.post("/me/points/leaderboards", data={"opt_out": "0"})
    db.expire_all()
    assert db.get(GamificationProfile, user.id).leaderboard_opt_out is False


def test_my_points_reads_in_french(auth, db):
    user = auth.as_role(Role.EMPLOYEE, language="fr")
    badge = g.badge(db, BadgeCriterion.SHARES, 1, name="First share")
    pay(db, user, key="share:1", shares=1)
    services.evaluate(db, [user.id], utcnow())
    html = text(auth.client.get("/me/points"))
    assert badge.name_fr in html
    notices = text(auth.client.get("/notices"))
    assert badge.name_fr in notices


def test_the_profile_page_loads_the_level_card(auth, db):
    user = auth.as_role(Role.EMPLOYEE)
    g.badge(db, BadgeCriterion.SHARES, 1, emoji="🚀", name="First share")
    pay(db, user, key="share:1", shares=1)
    services.evaluate(db, [user.id], utcnow())
    profile = text(auth.client.get("/profile"))
    assert 'hx-get="/me/points/card"' in profile
    card = text(auth.client.get("/me/points/card"))
    assert "Level 1 · Discover" in card and "🚀" in card and "5 points" in card
    assert "<html" not in card  # a partial


def test_the_user_menu_links_to_my_points(auth, db):
    auth.as_role(Role.EMPLOYEE)
    assert 'data-testid="my-points-link"' in text(auth.client.get("/me/points"))


# --- admin: rules ---------------------------------------------------------------------------


def test_admin_edits_the_rules(auth, db):
    auth.as_role(Role.ADMIN)
    html = text(auth.client.get("/admin/gamification/rules"))
    assert html.count('data-testid="rule"') == 9
    data = {}
    for action, rule in services.rules(db).items():
        data[f"{action.value}-points"] = str(rule.points)
        data[f"{action.value}-daily_cap"] = "" if rule.daily_cap is None else str(rule.daily_cap)
        data[f"{action.value}-active"] = "y"
    data["share-points"], data["share-daily_cap"] = "3", "9"
    del data["quiz_passed-active"]
    response = auth.client.post("/admin/gamification/rules", data=data)
    assert response.status_code == 302
    db.expire_all()
    rules = services.rules(db)
    assert (rules[Action.SHARE].points, rules[Action.SHARE].daily_cap) == (3, 9)
    assert rules[Action.QUIZ_PASSED].active is False
    assert rules[Action.CONVERSION].points == 25
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "gamification.rule_updated")) == 9  # all stored the first time


def test_invalid_rules_are_refused_and_nothing_is_saved(auth, db):
    auth.as_role(Role.ADMIN)
    response = auth.client.post("/admin/gamification/rules",
                                data={"share-points": "-4", "share-daily_cap": "x"})
    assert response.status_code == 422
    assert "is-invalid" in text(response)
    assert db.scalar(select(func.count()).select_from(PointRule)) == 0


def test_employees_and_curators_cannot_reach_the_admin_pages(auth, db):
    for role in (Role.EMPLOYEE, Role.CURATOR):
        auth.as_role(role)
        for url in ("/admin/gamification/rules", "/admin/gamification/badges",
                    "/admin/gamification/levels", "/admin/gamification/settings"):
            assert auth.client.get(url).status_code == 403


# --- admin: settings and levels -------------------------------------------------------------


def test_admin_settings(auth, db):
    auth.as_role(Role.ADMIN)
    assert "People shown per board" in text(auth.client.get("/admin/gamification/settings"))
    assert auth.client.post("/admin/gamification/settings",
                            data={"board_size": "2"}).status_code == 422
    response = auth.client.post("/admin/gamification/settings",
                                data={"anonymous_boards": "y", "board_size": "25"})
    assert response.status_code == 302
    db.expire_all()
    row = db.get(GamificationSettings, 1)
    assert (row.anonymous_boards, row.board_size) == (True, 25)


def level_data(**changes) -> dict:
    from app.gamification.levels import DEFAULT_LEVELS, FIELDS

    data = {}
    for number in (2, 3, 4, 5):
        for f in FIELDS:
            data[f"level{number}-{f}"] = str(getattr(DEFAULT_LEVELS[number], f))
        data[f"level{number}-required_course_id"] = "0"
    data.update({k: str(v) for k, v in changes.items()})
    return data


def test_admin_sets_level_thresholds_and_a_required_course(auth, db):
    auth.as_role(Role.ADMIN)
    course = g.course(db, title="Social Shift")
    html = text(auth.client.get("/admin/gamification/levels"))
    assert html.count('data-testid="level-form"') == 4 and "Social Shift (EN)" in html
    response = auth.client.post("/admin/gamification/levels", data=level_data(
        **{"level2-required_course_id": course.id, "level5-min_accepted_suggestions": 3}))
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Level, 2).required_course_id == course.id
    assert db.get(Level, 5).min_accepted_suggestions == 3


def test_levels_with_decreasing_points_are_refused(auth, db):
    auth.as_role(Role.ADMIN)
    response = auth.client.post("/admin/gamification/levels",
                                data=level_data(**{"level3-min_points": 10}))
    assert response.status_code == 422
    assert "at least as many points" in text(response)
    assert db.scalar(select(func.count()).select_from(Level)) == 0


# --- admin: badges --------------------------------------------------------------------------


def badge_form(**changes) -> dict:
    data = {"emoji": "🔥", "name_en": "Hot streak", "name_fr": "Série en feu",
            "description_en": "Four weeks", "description_fr": "Quatre semaines",
            "criterion": "streak_weeks", "threshold": "4", "course_id": "0"}
    data.update(changes)
    return data


def test_admin_adds_the_suggested_badges_once(auth, db):
    auth.as_role(Role.ADMIN)
    html = text(auth.client.get("/admin/gamification/badges"))
    assert 'data-testid="no-badges"' in html and 'data-testid="suggested-badges"' in html
    assert auth.client.post("/admin/gamification/badges/defaults").status_code == 302
    html = text(auth.client.get("/admin/gamification/badges"))
    assert html.count('data-testid="badge-row"') == 10
    assert 'data-testid="suggested-badges"' not in html
    auth.client.post("/admin/gamification/badges/defaults")
    assert db.scalar(select(func.count()).select_from(Badge)) == 10


def test_admin_creates_a_badge_from_a_criterion(auth, db):
    auth.as_role(Role.ADMIN)
    assert "Weeks in a row with a share" in text(auth.client.get(
        "/admin/gamification/badges/new"))
    response = auth.client.post("/admin/gamification/badges/new", data=badge_form())
    assert response.status_code == 302
    badge = db.scalar(select(Badge).where(Badge.name_en == "Hot streak"))
    assert (badge.emoji, badge.name_fr, badge.criterion, badge.threshold, badge.key) == (
        "🔥", "Série en feu", BadgeCriterion.STREAK_WEEKS, 4, "hot-streak")
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.target_id == badge.id,
                                                     AuditEvent.target_type == "badges")) \
        == "gamification.badge_created"


def test_a_course_badge_needs_a_course(auth, db):
    auth.as_role(Role.ADMIN)
    response = auth.client.post("/admin/gamification/badges/new",
                                data=badge_form(criterion="course_passed"))
    assert response.status_code == 422 and "Choose the course" in text(response)
    course = g.course(db)
    response = auth.client.post("/admin/gamification/badges/new",
                                data=badge_form(criterion="course_passed",
                                                course_id=str(course.id)))
    assert response.status_code == 302
    assert db.scalar(select(Badge.course_id).where(Badge.name_en == "Hot streak")) == course.id


def test_invalid_badges_are_refused(auth, db):
    auth.as_role(Role.ADMIN)
    for changes in ({"emoji": "ab"}, {"name_fr": ""}, {"threshold": "0"},
                    {"criterion": "level", "threshold": "9"}):
        response = auth.client.post("/admin/gamification/badges/new",
                                    data=badge_form(**changes))
        assert response.status_code == 422, changes
    assert db.scalar(select(func.count()).select_from(Badge)) == 0


def test_an_awarded_badge_keeps_its_criterion_and_cannot_be_deleted(auth, db):
    auth.as_role(Role.ADMIN)
    owner = UserFactory()
    badge = g.badge(db, BadgeCriterion.SHARES, 1)
    pay(db, owner, key="share:1", shares=1)
    services.evaluate(db, [owner.id], utcnow())
    html = text(auth.client.get(f"/admin/gamification/badges/{badge.id}"))
    assert 'data-testid="locked-criterion"' in html and "Share 1 time" in html
    response = auth.client.post(f"/admin/gamification/badges/{badge.id}", data=badge_form(
        criterion="shares", threshold="1", name_en="Renamed"))
    assert response.status_code == 302
    db.expire_all()
    assert (badge.name_en, badge.emoji) == ("Renamed", "🔥")
    response = auth.client.post(f"/admin/gamification/badges/{badge.id}",
                                data=badge_form(criterion="shares", threshold="5"))
    assert response.status_code == 422 and "cannot change" in text(response)
    response = auth.client.post(f"/admin/gamification/badges/{badge.id}/delete")
    assert response.status_code == 303
    assert db.get(Badge, badge.id) is not None
    auth.client.post(f"/admin/gamification/badges/{badge.id}/active", data={"active": "0"})
    db.expire_all()
    assert badge.active is False
    auth.client.post(f"/admin/gamification/badges/{badge.id}/active", data={"active": "1"})
    db.expire_all()
    assert badge.active is True


def test_a_badge_nobody_has_can_be_deleted(auth, db):
    auth.as_role(Role.ADMIN)
    badge = g.badge(db, BadgeCriterion.SHARES, 3)
    badge_id = badge.id
    assert auth.client.post(f"/admin/gamification/badges/{badge_id}/delete").status_code == 302
    db.expire_all()
    assert db.get(Badge, badge_id) is None
    assert auth.client.get(f"/admin/gamification/badges/{badge_id}").status_code == 404


# --- admin: a person's ledger and corrections -----------------------------------------------


def test_the_person_page_links_to_the_ledger(auth, db):
    auth.as_role(Role.ADMIN)
    person = UserFactory()
    html = text(auth.client.get(f"/admin/people/{person.id}"))
    assert f'/admin/gamification/people/{person.id}/points' in html


def test_admin_corrects_a_balance_with_a_reason(auth, db):
    admin = auth.as_role(Role.ADMIN)
    person = UserFactory()
    pay(db, person, Action.CONVERSION, key="conversion:1", conversions=1)
    html = text(auth.client.get(f"/admin/gamification/people/{person.id}/points"))
    assert "25 points" in html and 'data-testid="correction-form"' in html
    response = auth.client.post(f"/admin/gamification/people/{person.id}/points",
                                data={"points": "-10", "reason": "Test lead from QA"})
    assert response.status_code == 302
    db.expire_all()
    entry = db.scalar(select(LedgerEntry).where(LedgerEntry.action == Action.CORRECTION))
    assert (entry.user_id, entry.points, entry.reason, entry.created_by_id) == (
        person.id, -10, "Test lead from QA", admin.id)
    assert "15 points" in text(auth.client.get(
        f"/admin/gamification/people/{person.id}/points"))
    # the person sees it in their history, with the reason
    auth.login(person)
    assert "Test lead from QA" in text(auth.client.get("/me/points"))


def test_an_invalid_correction_is_refused(auth, db):
    auth.as_role(Role.ADMIN)
    person = UserFactory()
    url = f"/admin/gamification/people/{person.id}/points"
    for data in ({"points": "0", "reason": "x"}, {"points": "5", "reason": ""},
                 {"points": "-5", "reason": "below zero"}):
        response = auth.client.post(url, data=data)
        assert response.status_code == 422, data
    assert db.scalar(select(func.count()).select_from(LedgerEntry)) == 0
    assert auth.client.get("/admin/gamification/people/999999/points").status_code == 404


def test_notices_of_badges_and_levels_open_my_points(auth, db):
    user = auth.as_role(Role.EMPLOYEE)
    g.badge(db, BadgeCriterion.SHARES, 1, name="First share", emoji="🚀")
    pay(db, user, Action.CHALLENGE_WON, key="c:1")
    pay(db, user, key="share:1", shares=1)
    services.evaluate(db, [user.id], utcnow())
    html = text(auth.client.get("/notices"))
    assert "You earned the badge 🚀 First share." in html
    assert "You reached level 2: Secure." in html
    notice = db.scalar(select(Notice).where(Notice.user_id == user.id).limit(1))
    response = auth.client.post(f"/notices/{notice.id}/open")
    assert response.headers["Location"].endswith("/me/points")


def test_the_history_says_what_each_entry_paid_for(auth, db):
    user = auth.as_role(Role.EMPLOYEE)
    share = g.share(db, user, on=g.item(db, title="Northwind story"),
                    at=utcnow() - timedelta(hours=3))
    g.click(db, share, "visitor", utcnow() - timedelta(hours=2))
    g.conversion(db, share, at=utcnow() - timedelta(hours=1))
    course = g.course(db, title="Social Shift")
    pay(db, user, Action.COURSE_COMPLETED, key="course:x", source_type="course",
        source_id=course.id)
    from app.gamification import counting

    counting.award_pending(db, utcnow())
    html = text(auth.client.get("/me/points"))
    rows = re.findall(r'data-testid="ledger-row".*?</tr>', html, re.S)
    assert len(rows) == 4
    described = {re.search(r'data-action="(\w+)"', r).group(1): r for r in rows}
    for action in ("share", "unique_click", "conversion"):
        assert "Northwind story" in described[action]
    assert "Social Shift" in described["course_completed"]
