"""Analytics rollups and a person's stats through the API: the dashboards' numbers
(``app.analytics.dashboard``) with the dashboards' permissions — the company for curators
and admins, a manager's team, an employee's own numbers.

The scene is the dashboards' (tests/factories_analytics.py ``dashboard_scene``), on
T0's day (2026-03-02): Mia manages Ana and Ben, Cid reports to Ben; Dan and Eve are
outside her team. Sales = Ana, Ben, Eve; Tech = Cid, Dan.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.accounts.models import Role
from app.analytics import dashboard
from app.analytics.dashboard import Period, Scope
from app.api.shares import money
from app.common.actor import Actor
from app.db import utcnow
from app.gamification import badges, levels, services
from app.gamification.models import BadgeCriterion
from app.gamification.services import correct
from tests import factories_analytics as f
from tests.factories import UserFactory
from tests.factories_api import Api, assert_problem
from tests.factories_gamification import badge
from tests.test_leaderboards import statements

DAY = "from=2026-03-02&to=2026-03-02"


@pytest.fixture
def api(client, db):
    return Api(client, db)


@pytest.fixture
def s(db):
    scene = f.dashboard_scene(db)
    scene.mia.role = Role.MANAGER  # the team dashboard's role
    db.flush()
    return scene


def get(api, path: str, status: int = 200) -> dict:
    response = api.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def numbers(body: dict, *fields: str) -> dict:
    fields = fields or ("shares", "unique_clicks", "conversions")
    return {row["label"]: tuple(row[name] for name in fields) for row in body["items"]}


# --- breakdowns ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["curator", "admin"])
def test_curators_and_admins_break_the_company_down_by_person(api, s, role):
    api.as_role(role)
    body = get(api, f"/analytics/user?{DAY}")
    assert numbers(body, "shares", "reach", "human_clicks", "unique_clicks", "bot_clicks",
                   "conversions", "conversion_value", "points") == {
        "Ana Alpha": (3, 3000, 4, 4, 0, 1, "100.00", 10),
        "Ben Beta": (1, 500, 3, 2, 1, 0, "0.00", 0),
        "Cid Gamma": (3, 600, 1, 1, 0, 2, "100.00", 0),
        "Dan Delta": (1, 300, 5, 5, 0, 0, "0.00", 5),
    }
    assert [row["id"] for row in body["items"]] == sorted(row["id"] for row in body["items"])
    assert all(row["day"] is None for row in body["items"])
    assert body["scope"] == {"kind": "company", "group_id": None, "manager_id": None,
                             "user_id": None}
    assert (body["from"], body["to"], body["dimension"]) == ("2026-03-02", "2026-03-02",
                                                             "user")
    assert body["currency"] == "EUR"


def test_every_dimension_sums_the_same_rollups(api, db, s):
    api.as_role("admin")
    assert numbers(get(api, f"/analytics/item?{DAY}")) == {
        "Item one": (4, 9, 1), "Item two": (1, 2, 0), "Item three": (3, 1, 2)}
    assert numbers(get(api, f"/analytics/group?{DAY}")) == {
        "Sales": (4, 6, 1), "Tech": (4, 6, 2)}
    days = get(api, "/analytics/day?from=2026-03-01&to=2026-03-03")
    assert [(row["day"], row["id"], row["shares"], row["unique_clicks"], row["reach"],
             row["points"]) for row in days["items"]] == [("2026-03-02", None, 8, 12, 4400, 15)]
    # earned media value: the dashboards' own figure
    company = dashboard.summary(db, Period(date(2026, 3, 2), date(2026, 3, 2)),
                                Scope.company())
    assert days["items"][0]["emv"] == money(company.emv) and company.emv > 0


def test_a_group_and_a_person_narrow_the_company(api, s):
    api.as_role("curator")
    body = get(api, f"/analytics/user?{DAY}&group_id={s.sales.id}")
    assert set(numbers(body)) == {"Ana Alpha", "Ben Beta"}
    assert body["scope"]["kind"] == "group" and body["scope"]["group_id"] == s.sales.id
    body = get(api, f"/analytics/item?{DAY}&user_id={s.dan.id}")
    assert numbers(body) == {"Item one": (1, 5, 0)}
    assert body["scope"] == {"kind": "person", "group_id": None, "manager_id": None,
                             "user_id": s.dan.id}
    assert_problem(api.get(f"/analytics/user?{DAY}&group_id=99999"), 404, "not-found")
    assert_problem(api.get(f"/analytics/user?{DAY}&user_id=99999"), 404, "not-found")


def test_a_manager_reads_their_team_only(api, s):
    api.as_user(s.mia)
    body = get(api, f"/analytics/user?{DAY}")
    assert set(numbers(body)) == {"Ana Alpha", "Ben Beta", "Cid Gamma"}
    assert body["scope"]["kind"] == "team" and body["scope"]["manager_id"] == s.mia.id
    assert numbers(get(api, f"/analytics/group?{DAY}")) == {
        "Sales": (4, 6, 1), "Tech": (3, 1, 2)}  # Dan (Tech) is not in her team
    assert "Item one" in numbers(get(api, f"/analytics/item?{DAY}"))
    assert numbers(get(api, f"/analytics/item?{DAY}"))["Item one"] == (3, 4, 1)
    # a group within the team: Tech is only Cid for her
    tech = get(api, f"/analytics/user?{DAY}&group_id={s.tech.id}")
    assert set(numbers(tech)) == {"Cid Gamma"} and tech["scope"]["group_id"] == s.tech.id
    assert set(numbers(get(api, f"/analytics/user?{DAY}&user_id={s.cid.id}"))) == {
        "Cid Gamma"}
    assert_problem(api.get(f"/analytics/user?{DAY}&user_id={s.dan.id}"), 404, "not-found")


def test_an_employee_reads_their_own_numbers_only(api, s):
    api.as_user(s.ana)
    body = get(api, f"/analytics/user?{DAY}")
    assert numbers(body) == {"Ana Alpha": (3, 4, 1)}
    assert body["scope"] == {"kind": "person", "group_id": None, "manager_id": None,
                             "user_id": s.ana.id}
    assert [row["shares"] for row in get(api, f"/analytics/day?{DAY}")["items"]] == [3]
    assert numbers(get(api, f"/analytics/user?{DAY}&user_id={s.ana.id}")) == {
        "Ana Alpha": (3, 4, 1)}
    assert_problem(api.get(f"/analytics/user?{DAY}&user_id={s.ben.id}"), 404, "not-found")
    for path in (f"/analytics/item?{DAY}", f"/analytics/group?{DAY}",
                 f"/analytics/user?{DAY}&group_id={s.sales.id}"):
        assert_problem(api.get(path), 403, "forbidden")
    api.as_user(s.eve)  # never shared: nothing, not an error
    assert get(api, f"/analytics/user?{DAY}")["items"] == []


def test_breakdowns_are_paginated(api, s):
    api.as_role("admin")
    response = api.get(f"/analytics/user?{DAY}&per_page=3")
    body = response.get_json()
    assert body["total"] == 4 and body["pages"] == 2 and len(body["items"]) == 3
    assert response.headers["X-Total-Count"] == "4"
    assert body["links"]["next"] == (
        "/api/v1/analytics/user?from=2026-03-02&to=2026-03-02&page=2&per_page=3")
    second = get(api, f"/analytics/user?{DAY}&per_page=3&page=2")
    assert [row["label"] for row in second["items"]] == ["Dan Delta"]
    beyond = get(api, f"/analytics/user?{DAY}&per_page=3&page=5")
    assert beyond["items"] == [] and beyond["total"] == 4


def test_the_period(api, s):
    api.as_role("admin")
    body = get(api, "/analytics/day")
    today = utcnow().date()
    assert (body["from"], body["to"]) == ((today - timedelta(days=29)).isoformat(),
                                          today.isoformat())
    week = get(api, "/analytics/day?period=7d")
    assert week["from"] == (today - timedelta(days=6)).isoformat()
    assert get(api, "/analytics/user?from=2026-03-03&to=2026-03-09")["items"] == []
    for query, field in (("from=2026-03-02", "to"), ("to=2026-03-02", "from"),
                         ("period=7d&from=2026-03-01&to=2026-03-02", "period"),
                         ("from=2026-03-05&to=2026-03-02", "from"),
                         ("from=2020-01-01&to=2026-03-02", "from"),
                         ("period=decade", "period"), ("from=yesterday&to=today", "from")):
        problem = assert_problem(api.get(f"/analytics/user?{query}"), 422, "invalid-request")
        assert problem["errors"][0]["field"] == field, (query, problem)
    assert_problem(api.get("/analytics/country"), 404, "not-found")


@pytest.mark.parametrize("role", ["employee", "manager", "curator", "admin"])
def test_every_role_may_ask_and_a_token_needs_the_analytics_scope(api, s, role):
    api.as_role(role)
    assert api.get(f"/analytics/day?{DAY}").status_code == 200
    api.as_role(role, scopes="shares:read")
    assert_problem(api.get(f"/analytics/day?{DAY}"), 403, "insufficient-scope")
    assert_problem(api.get(f"/users/{api.user.id}/stats"), 403, "insufficient-scope")
    assert_problem(api.get("/analytics/day", secret=""), 401, "unauthorized")


def test_breakdowns_cost_the_same_whatever_the_data(api, db, s):
    api.as_role("admin")

    def count() -> int:
        with statements(db.get_bind()) as seen:
            assert api.get(f"/analytics/user?{DAY}&per_page=100").status_code == 200
        return len(seen)

    count()  # the token's first use is recorded once
    few = count()
    f.add_sharers(db, s, 12)
    assert count() == few


# --- a person's stats ---------------------------------------------------------------------------


def test_a_persons_stats_over_the_period_with_points_level_and_badges(api, db, s):
    correct(db, user_id=s.ana.id, points=30, reason="Welcome", actor=Actor(None))
    first = badge(db, BadgeCriterion.SHARES, 1)
    badges.grant(db, [(s.ana.id, first)], utcnow())
    api.as_user(s.ana)
    body = get(api, f"/users/{s.ana.id}/stats?{DAY}")
    assert body["totals"] == {**body["totals"], "shares": 3, "reach": 3000,
                              "human_clicks": 4, "unique_clicks": 4, "bot_clicks": 0,
                              "engagements": 0, "conversions": 1,
                              "conversion_value": "100.00", "points": 10}
    mine = dashboard.summary(db, Period(date(2026, 3, 2), date(2026, 3, 2)),
                             Scope.person(s.ana.id))
    assert body["totals"]["emv"] == money(mine.emv)
    assert (body["from"], body["to"], body["currency"]) == ("2026-03-02", "2026-03-02", "EUR")
    assert body["points_balance"] == 30  # all time, from the ledger's totals
    level = services.profile(db, s.ana.id).level
    assert level > 1  # the correction's points took her up a level
    assert (body["level"], body["level_name"], body["badges"]) == (
        level, levels.level_name(level), 1)
    quiet = get(api, f"/users/{s.ana.id}/stats?from=2026-04-01&to=2026-04-30")
    assert quiet["totals"]["shares"] == 0 and quiet["points_balance"] == 30


def test_stats_are_yours_your_teams_or_anyones_for_curators_and_admins(api, s):
    api.as_user(s.eve)
    assert_problem(api.get(f"/users/{s.ana.id}/stats?{DAY}"), 404, "not-found")
    api.as_user(s.mia)
    assert get(api, f"/users/{s.cid.id}/stats?{DAY}")["totals"]["conversions"] == 2
    assert_problem(api.get(f"/users/{s.dan.id}/stats?{DAY}"), 404, "not-found")
    for role in ("curator", "admin"):
        api.as_role(role)
        assert get(api, f"/users/{s.dan.id}/stats?{DAY}")["totals"]["unique_clicks"] == 5
    assert_problem(api.get("/users/99999/stats"), 404, "not-found")
    assert_problem(api.get(f"/users/{s.dan.id}/stats?from=2026-03-02"), 422,
                   "invalid-request")


def test_a_manager_without_reports_has_an_empty_team(api, s):
    api.as_user(UserFactory(role=Role.MANAGER))
    body = get(api, f"/analytics/user?{DAY}")
    assert body["items"] == [] and body["scope"]["kind"] == "team"
