"""Leaderboards, the points ledger and badges through the API, with the pages' rules:
opt-out and anonymous boards, the caller's own rank, the team board for managers only;
a ledger and badges are one's own, a manager's reports', anyone's for an admin (a 404
otherwise); adjustments are an admin's, audited, idempotent."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.api.models import ApiToken
from app.audit.models import AuditEvent
from app.common.actor import Actor
from app.gamification import badges
from app.gamification.leaderboards import BoardPeriod
from app.gamification.models import Action, BadgeCriterion, LedgerEntry
from app.gamification.services import award, correct, points_balance
from tests.factories import GroupFactory, UserFactory
from tests.factories_api import Api, assert_problem
from tests.factories_boards import board_settings, board_total, opt_out
from tests.factories_gamification import T, badge
from tests.test_leaderboards import statements


@pytest.fixture
def app_overrides():
    # no cached boards: every test's board is read from its own rows
    return {"LEADERBOARD_CACHE_SECONDS": 0}


@pytest.fixture
def api(client, db):
    return Api(client, db)


@pytest.fixture
def people(db):
    """Mona manages Rita, who manages Ivan (Mona's indirect report); Otto is outside her
    team; Gus and Rita are in the group Sales. This month's points: Rita 40, Ivan 30,
    Otto 30, Gus 20, Mona 10."""
    sales = GroupFactory(name="Sales")
    mona = UserFactory(role=Role.MANAGER, name="Mona Manager")
    rita = UserFactory(name="Rita Report", manager=mona, groups=[sales])
    ivan = UserFactory(name="Ivan Indirect", manager=rita)
    otto = UserFactory(name="Otto Outsider")
    gus = UserFactory(name="Gus Group", groups=[sales])
    for person, points in ((rita, 40), (ivan, 30), (otto, 30), (gus, 20), (mona, 10)):
        board_total(db, person, BoardPeriod.MONTH, points=points, unique_clicks=100 - points)
    return {"mona": mona, "rita": rita, "ivan": ivan, "otto": otto, "gus": gus,
            "sales": sales}


def board(api, query: str = "", status: int = 200) -> dict:
    response = api.get(f"/leaderboards{query}")
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def ranked(body: dict) -> list[tuple[int, str, int]]:
    return [(row["rank"], row["name"], row["value"]) for row in body["items"]]


# --- leaderboards ------------------------------------------------------------------------------


def test_the_company_board_of_the_month_with_ranks_and_your_own_row(api, people):
    api.as_user(people["gus"])
    body = board(api)
    assert (body["period"], body["scope"], body["metric"]) == ("month", "company", "points")
    assert body["period_start"].endswith("-01") and body["anonymous"] is False
    assert ranked(body) == [(1, "Rita Report", 40), (2, "Ivan Indirect", 30),
                            (2, "Otto Outsider", 30), (4, "Gus Group", 20),
                            (5, "Mona Manager", 10)]
    assert body["you"] == {"rank": 4, "user_id": people["gus"].id, "name": "Gus Group",
                           "value": 20, "is_you": True}
    assert [row["is_you"] for row in body["items"]] == [False, False, False, True, False]
    assert body["items"][0]["user_id"] == people["rita"].id


def test_other_metrics_and_periods(api, db, people):
    api.as_user(people["gus"])
    assert ranked(board(api, "?metric=unique_clicks"))[0] == (1, "Mona Manager", 90)
    board_total(db, people["otto"], BoardPeriod.ALL, points=500)
    body = board(api, "?period=all")
    assert ranked(body) == [(1, "Otto Outsider", 500)]
    assert body["period_start"] == "1970-01-01" and body["you"] is None
    assert board(api, "?period=week")["items"] == []


def test_the_board_is_paginated_within_the_admins_board_size(api, db, people):
    board_settings(db, size=4)
    api.as_user(people["mona"])
    response = api.get("/leaderboards?per_page=3")
    body = response.get_json()
    assert body["board_size"] == 4 and body["total"] == 4 and body["pages"] == 2
    assert [r["name"] for r in body["items"]] == ["Rita Report", "Ivan Indirect",
                                                  "Otto Outsider"]
    assert body["links"]["next"].endswith("page=2&per_page=3")
    assert response.headers["X-Total-Count"] == "4" and 'rel="next"' in response.headers["Link"]
    second = board(api, "?per_page=3&page=2")
    assert [r["name"] for r in second["items"]] == ["Gus Group"] and "next" not in second["links"]
    # Mona (5th) is below the board: her own row still comes, in "you"
    assert second["you"]["rank"] == 5 and second["you"]["name"] == "Mona Manager"


def test_people_who_opted_out_are_only_on_their_own_board(api, db, people):
    opt_out(db, people["rita"])
    api.as_user(people["gus"])
    assert "Rita Report" not in [r["name"] for r in board(api)["items"]]
    assert board(api)["you"]["rank"] == 3  # Rita no longer counts above Gus
    api.as_user(people["rita"])
    body = board(api)
    assert body["items"][0]["name"] == "Rita Report" and body["items"][0]["is_you"]
    assert body["you"]["rank"] == 1


def test_an_anonymous_board_shows_initials_and_no_ids_but_your_own(api, db, people):
    board_settings(db, anonymous=True)
    api.as_user(people["otto"])
    body = board(api)
    assert body["anonymous"] is True
    assert body["items"][0] == {"rank": 1, "user_id": None, "name": "R. R.", "value": 40,
                                "is_you": False}
    mine = [r for r in body["items"] if r["is_you"]]
    assert mine == [{"rank": 2, "user_id": people["otto"].id, "name": "Otto Outsider",
                     "value": 30, "is_you": True}]
    assert all(r["user_id"] is None for r in body["items"] if not r["is_you"])


def test_the_team_board_is_for_managers_and_holds_only_their_reports(api, people):
    api.as_user(people["mona"])
    body = board(api, "?scope=team")
    assert ranked(body) == [(1, "Rita Report", 40), (2, "Ivan Indirect", 30)]
    assert body["you"] is None  # a manager is not in their own team
    api.as_user(people["gus"])
    problem = assert_problem(api.get("/leaderboards?scope=team"), 403, "forbidden")
    assert "manage a team" in problem["detail"]


def test_a_group_board_needs_an_existing_group(api, people):
    api.as_user(people["otto"])
    body = board(api, f"?scope=group&group_id={people['sales'].id}")
    assert ranked(body) == [(1, "Rita Report", 40), (2, "Gus Group", 20)]
    assert body["group_id"] == people["sales"].id and body["you"] is None
    problem = assert_problem(api.get("/leaderboards?scope=group"), 422, "invalid-request")
    assert problem["errors"][0]["field"] == "group_id"
    assert_problem(api.get(f"/leaderboards?group_id={people['sales'].id}"), 422,
                   "invalid-request")
    assert_problem(api.get("/leaderboards?scope=group&group_id=99999"), 404, "not-found")
    assert_problem(api.get("/leaderboards?period=challenge"), 422, "invalid-request")
    assert_problem(api.get("/leaderboards?metric=likes"), 422, "invalid-request")


@pytest.mark.parametrize("role", ["employee", "manager", "curator", "admin"])
def test_every_role_reads_the_company_board(api, people, role):
    api.as_role(role)
    assert len(board(api)["items"]) == 5


def test_a_token_needs_the_gamification_scope(api, people):
    api.as_user(people["gus"], scopes="shares:read")
    assert_problem(api.get("/leaderboards"), 403, "insufficient-scope")
    api.as_user(people["otto"], scopes="gamification:read")
    assert api.get("/leaderboards").status_code == 200
    assert_problem(api.get("/leaderboards", secret=""), 401, "unauthorized")


# --- the points ledger --------------------------------------------------------------------


@pytest.fixture
def ledgers(db, people):
    """Paid events: Rita a share (10 points) and a correction, Otto a share."""
    for person in (people["rita"], people["otto"]):
        award(db, user_id=person.id, action=Action.SHARE, key=f"test:{person.id}",
              occurred_at=T)
    correct(db, user_id=people["rita"].id, points=5, reason="Great post", actor=Actor(None))
    return people


def entries(api, query: str = "", status: int = 200) -> dict:
    response = api.get(f"/points{query}")
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_your_own_ledger_newest_first_with_the_balance(api, db, ledgers):
    rita = api.as_user(ledgers["rita"])
    body = entries(api)
    assert body["user_id"] == rita.id and body["balance"] == points_balance(db, rita.id)
    assert [(e["action"], e["reason"]) for e in body["items"]] == [
        ("correction", "Great post"), ("share", "")]
    assert body["items"][0]["action_label"] == "Correction"
    assert body["items"][0]["points"] == 5 and body["items"][0]["created_by_id"] is None
    assert body["balance"] == sum(e["points"] for e in body["items"])
    assert entries(api, f"?user_id={rita.id}")["total"] == 2


def test_someone_elses_ledger_is_a_404_unless_you_manage_them_or_are_an_admin(api, ledgers):
    api.as_user(ledgers["otto"])
    assert_problem(api.get(f"/points?user_id={ledgers['rita'].id}"), 404, "not-found")
    api.as_user(ledgers["mona"])  # Rita's manager
    assert entries(api, f"?user_id={ledgers['rita'].id}")["total"] == 2
    assert entries(api, f"?user_id={ledgers['ivan'].id}")["total"] == 0  # indirect report
    assert_problem(api.get(f"/points?user_id={ledgers['otto'].id}"), 404, "not-found")
    api.as_role("curator")
    assert_problem(api.get(f"/points?user_id={ledgers['otto'].id}"), 404, "not-found")
    api.as_role("admin")
    assert entries(api, f"?user_id={ledgers['otto'].id}")["total"] == 1
    assert_problem(api.get("/points?user_id=99999"), 404, "not-found")


def test_the_ledger_is_paginated(api, db, people):
    gus = api.as_user(people["gus"])
    for n in range(3):
        correct(db, user_id=gus.id, points=n + 1, reason=f"Reason {n}", actor=Actor(None))
    body = entries(api, "?per_page=2&page=2")
    assert body["total"] == 3 and body["pages"] == 2 and len(body["items"]) == 1
    assert body["items"][0]["reason"] == "Reason 0" and "prev" in body["links"]


def test_an_admin_adjusts_points_audited_and_idempotent(api, db, ledgers):
    admin = api.as_role("admin")
    key = str(uuid.uuid4())
    payload = {"user_id": ledgers["otto"].id, "points": -3, "reason": "Duplicate share"}
    before = points_balance(db, ledgers["otto"].id)
    first = api.post("/points/adjustments", json=payload, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.get_json()
    assert (body["action"], body["points"], body["reason"]) == ("correction", -3,
                                                                "Duplicate share")
    assert body["created_by_id"] == admin.id
    assert points_balance(db, ledgers["otto"].id) == before - 3
    again = api.post("/points/adjustments", json=payload, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == body
    assert points_balance(db, ledgers["otto"].id) == before - 3
    corrections = db.scalars(select(LedgerEntry).where(
        LedgerEntry.user_id == ledgers["otto"].id, LedgerEntry.action == Action.CORRECTION))
    assert len(list(corrections)) == 1
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "gamification.correction"
                                               ).order_by(AuditEvent.id.desc()))
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == admin.id))
    assert event.actor_id == admin.id and event.details["api_token_id"] == token_id
    assert event.details["points"] == -3
    # the person sees it in their own ledger
    api.as_user(ledgers["otto"])
    assert entries(api)["items"][0]["reason"] == "Duplicate share"


def test_adjustments_keep_the_rules(api, ledgers):
    api.as_role("admin")
    otto = ledgers["otto"].id
    problem = assert_problem(api.post("/points/adjustments", json={
        "user_id": otto, "points": -1000, "reason": "Too much"}), 422, "refused")
    assert "below 0" in problem["detail"] and problem["errors"][0]["field"] == "points"
    assert_problem(api.post("/points/adjustments", json={
        "user_id": otto, "points": 0, "reason": "Nothing"}), 422, "refused")
    assert_problem(api.post("/points/adjustments", json={
        "user_id": otto, "points": 5, "reason": "   "}), 422, "refused")
    assert_problem(api.post("/points/adjustments", json={
        "user_id": 99999, "points": 5, "reason": "Who?"}), 422, "refused")
    problem = assert_problem(api.post("/points/adjustments", json={
        "user_id": otto, "points": 10**9, "reason": "Huge"}), 422, "invalid-request")
    assert problem["errors"][0]["field"] == "points"
    assert_problem(api.post("/points/adjustments", json={"user_id": otto, "points": 5}), 422,
                   "invalid-request")
    assert_problem(api.post("/points/adjustments", json={
        "user_id": otto, "points": 5, "reason": "x", "extra": 1}), 422, "invalid-request")


@pytest.mark.parametrize("role", ["employee", "manager", "curator"])
def test_only_admins_adjust_points(api, ledgers, role):
    api.as_role(role)
    assert_problem(api.post("/points/adjustments", json={
        "user_id": ledgers["otto"].id, "points": 5, "reason": "Nice"}), 403, "forbidden")


def test_adjusting_needs_the_write_scope(api, ledgers):
    api.as_role("admin", scopes="gamification:read")
    assert_problem(api.post("/points/adjustments", json={
        "user_id": ledgers["otto"].id, "points": 5, "reason": "Nice"}), 403,
        "insufficient-scope")
    assert api.get("/points").status_code == 200
    api.as_role("admin", scopes="gamification:write")
    assert api.post("/points/adjustments", json={
        "user_id": ledgers["otto"].id, "points": 5, "reason": "Nice"}).status_code == 201


# --- badges -----------------------------------------------------------------------------------


@pytest.fixture
def catalogue(db, people):
    """Two active badges and one deactivated; Rita earned the first and the deactivated
    one."""
    first = badge(db, BadgeCriterion.SHARES, 5, emoji="📣", name="Megaphone")
    second = badge(db, BadgeCriterion.POINTS, 100, name="Centurion")
    retired = badge(db, BadgeCriterion.UNIQUE_CLICKS, 1, name="Retired")
    badges.grant(db, [(people["rita"].id, first), (people["rita"].id, retired)], T)
    badges.set_badge_active(db, Actor(None), retired, False)
    return {"first": first, "second": second, "retired": retired, **people}


def test_the_catalogue_lists_the_active_badges_with_what_earns_them(api, catalogue):
    api.as_user(catalogue["otto"])
    response = api.get("/badges")
    assert response.status_code == 200
    body = response.get_json()
    by_name = {b["name"]: b for b in body["items"]}
    assert set(by_name) == {"Megaphone", "Centurion"} and body["total"] == 2
    assert by_name["Megaphone"]["how_to_earn"] == "Share 5 times"
    assert by_name["Megaphone"]["emoji"] == "📣" and by_name["Megaphone"]["criterion"] == "shares"
    assert by_name["Centurion"]["how_to_earn"] == "Earn 100 points"
    paged = api.get("/badges?per_page=1&page=2").get_json()
    assert len(paged["items"]) == 1 and paged["pages"] == 2


def test_the_catalogue_is_in_the_callers_language(api, catalogue):
    api.as_user(UserFactory(language="fr"))
    names = {b["name"] for b in api.get("/badges").get_json()["items"]}
    assert names == {"Megaphone (fr)", "Centurion (fr)"}


def test_earned_badges_are_yours_your_reports_or_anyones_for_an_admin(api, catalogue):
    rita = catalogue["rita"].id
    api.as_user(catalogue["rita"])
    body = api.get(f"/users/{rita}/badges").get_json()
    # a deactivated badge stays with the people who have it
    assert {b["badge"]["name"] for b in body["items"]} == {"Megaphone", "Retired"}
    assert all(b["awarded_at"].startswith("2026-05-13") for b in body["items"])
    api.as_user(catalogue["mona"])
    assert api.get(f"/users/{rita}/badges").get_json()["total"] == 2
    assert api.get(f"/users/{catalogue['ivan'].id}/badges").get_json()["total"] == 0
    api.as_user(catalogue["otto"])
    assert_problem(api.get(f"/users/{rita}/badges"), 404, "not-found")
    api.as_role("curator")
    assert_problem(api.get(f"/users/{rita}/badges"), 404, "not-found")
    api.as_role("admin")
    assert api.get(f"/users/{rita}/badges").get_json()["total"] == 2
    assert_problem(api.get("/users/99999/badges"), 404, "not-found")


def test_badges_need_the_gamification_scope(api, catalogue):
    api.as_user(catalogue["rita"], scopes="training:read")
    assert_problem(api.get("/badges"), 403, "insufficient-scope")
    assert_problem(api.get(f"/users/{catalogue['rita'].id}/badges"), 403,
                   "insufficient-scope")


def test_the_ledger_reads_a_constant_number_of_statements(api, db, people):
    rita = api.as_user(people["rita"])

    def count() -> int:
        with statements(db.get_bind()) as seen:
            assert api.get("/points?per_page=50").status_code == 200
        return len(seen)

    award(db, user_id=rita.id, action=Action.SHARE, key="one", occurred_at=T)
    count()  # the token's first use is recorded once
    few = count()
    for n in range(20):
        award(db, user_id=rita.id, action=Action.SHARE, key=f"more:{n}", occurred_at=T)
    assert count() == few
