"""The leaderboards page for every period × scope × metric, who may ask for which board,
opt-out and anonymous boards as people see them, and a report's activity page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.accounts.models import Role
from app.db import utcnow
from app.gamification import leaderboards
from app.gamification.leaderboards import PERIOD_ROWS, BoardPeriod
from app.gamification.models import (
    Action,
    Badge,
    BadgeCriterion,
    GamificationProfile,
    LedgerEntry,
    Metric,
    UserBadge,
)
from app.gamification.services import award
from tests.factories import GroupFactory, UserFactory
from tests.factories_boards import board_settings, challenge, opt_out, progress_row, total
from tests.test_leaderboards import statements

ROW = re.compile(r'<tr data-testid="board-row"(?P<attrs>[^>]*)>\s*'
                 r'<td class="text-end" data-testid="rank">(?P<rank>\d+)</td>\s*'
                 r'<td class="text-break" data-testid="name">(?P<name>[^<]*?)\s*(?:<span|</td>)'
                 r'.*?data-testid="value">(?P<value>[\d,]+)</td>', re.S)


def html(response) -> str:
    return response.get_data(as_text=True)


def rows(response) -> list[tuple[int, str, int]]:
    return [(int(m["rank"]), m["name"].strip(), int(m["value"].replace(",", "")))
            for m in ROW.finditer(html(response))]


# --- every period × scope × metric ---

PERIODS = ["week", "month", "quarter", "all", "challenge"]
SCOPES = ["company", "group", "team"]
P_INDEX = {p: i for i, p in enumerate(PERIODS, start=1)}
M_INDEX = {m: i for i, m in enumerate(Metric, start=1)}
#: who is where: team = the manager's reports (tina direct, ted indirect); group = gus, tina
BASE = {"Tina Team": 4, "Ted Team": 3, "Gus Group": 2, "Olaf Other": 1}
IN_SCOPE = {"company": set(BASE), "group": {"Gus Group", "Tina Team"},
            "team": {"Tina Team", "Ted Team"}}


def expected_value(name: str, period: str, metric: Metric) -> int:
    if period == "challenge":
        return 7 * BASE[name]  # the challenge's own count: the metric does not apply
    return BASE[name] + 10 * P_INDEX[period] + 100 * M_INDEX[metric]


@pytest.fixture
def world(db):
    group = GroupFactory(name="Sales")
    manager = UserFactory(name="Mona Manager", role=Role.MANAGER)
    tina = UserFactory(name="Tina Team", manager=manager, groups=[group])
    people = {"Tina Team": tina,
              "Ted Team": UserFactory(name="Ted Team", manager=tina),
              "Gus Group": UserFactory(name="Gus Group", groups=[group]),
              "Olaf Other": UserFactory(name="Olaf Other")}
    ch = challenge(db, title="Share week")
    for name, user in people.items():
        for period in PERIODS[:4]:
            total(db, user, period=PERIOD_ROWS[BoardPeriod(period)],
                  **{m.value: expected_value(name, period, m) for m in Metric})
        progress_row(db, ch, user, expected_value(name, "challenge", Metric.POINTS))
    return dict(group=group, manager=manager, challenge=ch, **people)


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("metric", list(Metric))
def test_every_board_lists_the_right_people_and_values(client, auth, world, period, scope,
                                                       metric):
    auth.login(world["manager"])
    period_arg = f"challenge-{world['challenge'].id}" if period == "challenge" else period
    scope_arg = f"group-{world['group'].id}" if scope == "group" else scope

    response = client.get("/leaderboards", query_string={
        "period": period_arg, "scope": scope_arg, "metric": metric.value})

    assert response.status_code == 200
    expected = sorted(((expected_value(n, period, metric), n) for n in IN_SCOPE[scope]),
                      reverse=True)
    assert rows(response) == [(i, n, v) for i, (v, n) in enumerate(expected, start=1)]
    page = html(response)
    assert f'value="{period_arg}" selected' in page  # the pickers show the board's choice
    assert f'value="{scope_arg}" selected' in page


def test_the_default_board_is_this_months_company_points(client, auth, world):
    auth.login(world["Gus Group"])
    response = client.get("/leaderboards")
    assert response.status_code == 200
    assert [r[1] for r in rows(response)] == ["Tina Team", "Ted Team", "Gus Group",
                                              "Olaf Other"]
    assert rows(response)[2] == (3, "Gus Group", expected_value("Gus Group", "month",
                                                                Metric.POINTS))
    assert 'data-viewer="1"' in html(response)
    assert "This month" in html(response)


def test_htmx_gets_only_the_board(client, auth, world):
    auth.login(world["Gus Group"])
    response = client.get("/leaderboards?period=week&metric=reach",
                          headers={"HX-Request": "true"})
    page = html(response)
    assert response.status_code == 200
    assert '<section id="board"' in page
    assert "<html" not in page and "board-pickers" not in page
    assert rows(response)[0] == (1, "Tina Team", expected_value("Tina Team", "week",
                                                                Metric.REACH))


# --- who may ask for what ---


def test_an_employee_cannot_ask_for_a_team_board(client, auth, world):
    auth.login(world["Gus Group"])
    assert client.get("/leaderboards?scope=team").status_code == 403
    assert "My team" not in html(client.get("/leaderboards")).split("board-pickers")[1] \
        .split("</form>")[0]


def test_a_manager_sees_only_their_own_team(client, auth, world):
    other = UserFactory(name="Otto Boss", role=Role.MANAGER)
    UserFactory(name="Olga Report", manager=other)
    auth.login(other)
    response = client.get("/leaderboards?scope=team")
    assert response.status_code == 200
    assert rows(response) == []
    assert 'data-testid="board-empty"' in html(response)
    # asking for someone else's team is not possible: there is no manager parameter
    response = client.get(f"/leaderboards?scope=team&manager={world['manager'].id}")
    assert rows(response) == []


@pytest.mark.parametrize("query", [
    "scope=group-999999", "scope=group-abc", "scope=group", "scope=planet", "period=decade",
    "period=challenge-999999", "period=challenge", "metric=likes"])
def test_unknown_boards_are_404(client, auth, world, query):
    auth.login(world["manager"])
    assert client.get(f"/leaderboards?{query}").status_code == 404


def test_a_challenge_board_outside_ones_audience_is_404(client, auth, db, world):
    restricted = challenge(db, title="Sales only", groups=[world["group"]])
    upcoming = challenge(db, title="Later", starts_at=utcnow() + timedelta(days=2))
    auth.login(world["Olaf Other"])
    assert client.get(f"/leaderboards?period=challenge-{restricted.id}").status_code == 404
    assert client.get(f"/leaderboards?period=challenge-{upcoming.id}").status_code == 404
    page = html(client.get("/leaderboards"))
    assert "Sales only" not in page and "Share week" in page  # the picker offers its own
    auth.login(world["Gus Group"])
    assert client.get(f"/leaderboards?period=challenge-{restricted.id}").status_code == 200


# --- opt-out and anonymous boards, as seen on the page ---


def test_an_opted_out_person_is_hidden_from_others_and_told_so(client, auth, db, world):
    opt_out(db, world["Tina Team"])
    leaderboards.invalidate()
    auth.login(world["Gus Group"])
    names = [r[1] for r in rows(client.get("/leaderboards"))]
    assert "Tina Team" not in names and names == ["Ted Team", "Gus Group", "Olaf Other"]
    assert 'data-testid="opt-out-notice"' not in html(client.get("/leaderboards"))

    auth.login(world["Tina Team"])
    response = client.get("/leaderboards")
    assert rows(response)[0] == (1, "Tina Team", expected_value("Tina Team", "month",
                                                                Metric.POINTS))
    assert 'data-testid="opt-out-notice"' in html(response)


def test_an_anonymous_board_shows_initials(client, auth, db, world):
    board_settings(db, anonymous=True)
    auth.login(world["Gus Group"])
    response = client.get("/leaderboards")
    assert [r[1] for r in rows(response)] == ["T. T.", "T. T.", "Gus Group", "O. O."]
    page = html(response)
    assert 'data-testid="anonymous-note"' in page
    assert "Tina Team" not in page and "Olaf Other" not in page


def test_the_viewer_far_down_sees_their_row_under_the_top(client, auth, db, world):
    board_settings(db, size=3)
    leaderboards.invalidate()
    auth.login(world["Olaf Other"])
    found = rows(client.get("/leaderboards"))
    assert [r[1] for r in found] == ["Tina Team", "Ted Team", "Gus Group", "Olaf Other"]
    assert found[-1][0] == 4


def test_the_page_costs_the_same_statements_for_5_and_50_people(client, auth, db, app):
    counts = []
    for n in (5, 50):
        group = GroupFactory()
        for i in range(n):
            total(db, UserFactory(groups=[group]), 10 + i)
        viewer = UserFactory(role=Role.MANAGER, groups=[group])
        total(db, viewer, 1)
        auth.login(viewer)
        leaderboards.invalidate()
        with statements(app.extensions["relais_db"].engine) as seen:
            response = client.get(f"/leaderboards?scope=group-{group.id}")
        assert response.status_code == 200 and len(rows(response)) == min(n, 10) + 1
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_nav_links_to_the_leaderboards_and_challenges(client, auth):
    auth.as_role(Role.EMPLOYEE)
    page = html(client.get("/"))
    assert 'href="/leaderboards"' in page and 'href="/challenges"' in page


def test_an_empty_board_says_so(client, auth):
    auth.as_role(Role.EMPLOYEE)
    page = html(client.get("/leaderboards?period=week&metric=conversions"))
    assert 'data-testid="board-empty"' in page


# --- a report's activity, for their manager ---


@pytest.fixture
def history(db, world):
    now = utcnow()
    ted = world["Ted Team"]
    award(db, user_id=ted.id, action=Action.SHARE, key="t:share:1", occurred_at=now, shares=1,
          now=now)
    badge = Badge(key="first-share-test", emoji="🚀", name_en="First share",
                  name_fr="Premier partage", criterion=BadgeCriterion.SHARES, threshold=1)
    db.add(badge)
    db.flush()
    db.add(UserBadge(user_id=ted.id, badge_id=badge.id, awarded_at=now))
    db.add(GamificationProfile(user_id=ted.id, level=3, leaderboard_opt_out=False))
    db.flush()
    return ted


def test_a_manager_sees_an_indirect_reports_activity(client, auth, db, world, history):
    auth.login(world["manager"])
    response = client.get(f"/team/{history.id}/activity")
    page = html(response)
    assert response.status_code == 200
    assert "Ted Team" in page and "First share" in page
    assert 'data-testid="level"' in page and "Level 3" in page
    assert page.count('data-testid="history-row"') == db.query(LedgerEntry).filter_by(
        user_id=history.id).count() == 1
    month_row = page[page.index('data-testid="totals-month"'):]
    shares = re.search(r'data-testid="shares">([\d,]+)<', month_row)[1]
    assert int(shares) == 1  # the share counted by the award, in this month's totals
    assert "Share" in page  # the history says what paid


def test_a_direct_report_is_visible_too(client, auth, world):
    auth.login(world["manager"])
    assert client.get(f"/team/{world['Tina Team'].id}/activity").status_code == 200


def test_a_manager_cannot_see_another_teams_report(client, auth, world, history):
    other = UserFactory(role=Role.MANAGER)
    own = UserFactory(manager=other)
    auth.login(other)
    assert client.get(f"/team/{own.id}/activity").status_code == 200
    for user in (history, world["Gus Group"], world["manager"]):
        assert client.get(f"/team/{user.id}/activity").status_code == 404
    assert client.get("/team/999999/activity").status_code == 404


def test_a_report_cannot_see_their_managers_activity(client, auth, world):
    world["Tina Team"].role = Role.MANAGER
    auth.login(world["Tina Team"])
    assert client.get(f"/team/{world['manager'].id}/activity").status_code == 404
    assert client.get(f"/team/{world['Ted Team'].id}/activity").status_code == 200


def test_an_employee_gets_403_and_an_admin_sees_anyone(client, auth, world, history):
    auth.login(world["Gus Group"])
    assert client.get(f"/team/{history.id}/activity").status_code == 403
    auth.as_role(Role.ADMIN)
    assert client.get(f"/team/{history.id}/activity").status_code == 200
    assert client.get(f"/team/{world['Olaf Other'].id}/activity").status_code == 200


def test_an_erased_person_has_no_activity_page(client, auth, db, world):
    world["Ted Team"].erased_at = utcnow()
    db.flush()
    auth.login(world["manager"])
    assert client.get(f"/team/{world['Ted Team'].id}/activity").status_code == 404


def test_the_team_page_links_to_the_activity_and_the_team_board(client, auth, world):
    auth.login(world["manager"])
    page = html(client.get("/team"))
    assert f'href="/team/{world["Tina Team"].id}/activity"' in page
    assert f'href="/team/{world["Ted Team"].id}/activity"' in page
    assert 'href="/leaderboards?scope=team"' in page


def test_an_activity_page_without_anything_yet(client, auth, world):
    auth.login(world["manager"])
    page = html(client.get(f"/team/{world['Tina Team'].id}/activity"))
    assert 'data-testid="no-history"' in page and 'data-testid="no-badges"' in page
