"""The dashboard pages and their CSV exports: who may open them, a manager sees their
team only, filters, empty states, formula-safe CSV, and the demo company's dashboards."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import config
from app.accounts.models import PolicyVersion, Role, User
from tests import factories_analytics as f
from tests.factories_analytics import T0

D0 = T0.date()
#: the scene's day, as a custom period (the pages' presets end today)
PERIOD = {"period": "custom", "from": (D0 - timedelta(days=6)).isoformat(),
          "to": D0.isoformat()}
PAGES = ["/analytics", "/analytics/export/ambassadors.csv", "/analytics/team",
         "/analytics/team/export/ambassadors.csv"]
#: the lowest role allowed on each page
LOWEST = {"/analytics": Role.CURATOR, "/analytics/export/ambassadors.csv": Role.CURATOR,
          "/analytics/team": Role.MANAGER, "/analytics/team/export/ambassadors.csv": Role.MANAGER}
TABLES = ["summary", "trend", "networks", "groups", "content", "ambassadors",
          "concentration", "topics"]


@pytest.fixture
def scene(db):
    return f.dashboard_scene(db)


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# --- who may see what -------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", [None, "employee", "manager", "curator", "admin"])
def test_every_page_for_every_role(client, auth, url, role):
    auth.as_role(role)
    response = client.get(url)
    if role is None:
        assert response.status_code == 302 and "/login" in response.location
    elif Role(role).rank >= LOWEST[url].rank:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_the_admin_sees_the_whole_company(client, auth, scene):
    auth.as_role("admin")
    page = client.get("/analytics", query_string=PERIOD).get_data(as_text=True)
    for name in ("Ana Alpha", "Ben Beta", "Cid Gamma", "Dan Delta", "Item one", "Sales",
                 "Tech", "AI", "Cloud"):
        assert name in page
    assert 'data-testid="no-data"' not in page
    assert 'data-chart="line"' in page and 'data-chart="bar"' in page
    assert "chart.umd.min.js" in page and "js/charts.js" in page
    summary = dict(rows_of(client.get("/analytics/export/summary.csv", query_string=PERIOD)))
    assert summary["Unique clicks"] == "12" and summary["Enrolled people"] == "7"  # + admin
    assert summary["Earned media value"] == "145.80"


def test_a_manager_sees_only_their_team(client, auth, scene):
    auth.login(scene.mia)
    page = client.get("/analytics/team", query_string=PERIOD).get_data(as_text=True)
    assert "Ana Alpha" in page and "Cid Gamma" in page  # Cid: an indirect report
    assert "Dan Delta" not in page and "Eve Epsilon" not in page
    for table in TABLES:
        text = client.get(f"/analytics/team/export/{table}.csv",
                          query_string=PERIOD).get_data(as_text=True)
        assert "Dan Delta" not in text, table
    ambassadors = rows_of(client.get("/analytics/team/export/ambassadors.csv",
                                     query_string=PERIOD))
    assert [r[0] for r in ambassadors[1:]] == ["Ana Alpha", "Ben Beta", "Cid Gamma"]
    summary = dict(rows_of(client.get("/analytics/team/export/summary.csv",
                                      query_string=PERIOD)))
    assert (summary["Shares"], summary["Unique clicks"]) == ("7", "7")
    # the company's dashboard stays closed, whatever the parameters
    assert client.get("/analytics", query_string=PERIOD).status_code == 403
    assert client.get("/analytics/export/ambassadors.csv").status_code == 403


def test_a_curator_with_reports_also_has_a_team(client, auth, db, scene):
    scene.mia.role = Role.CURATOR
    auth.login(scene.mia)
    page = client.get("/analytics", query_string=PERIOD).get_data(as_text=True)
    assert 'data-testid="link-team"' in page
    team = client.get("/analytics/team", query_string=PERIOD).get_data(as_text=True)
    assert "Ben Beta" in team and "Dan Delta" not in team


def test_someone_without_reports_gets_an_empty_team_page(client, auth, scene):
    auth.as_role("admin")
    page = client.get("/analytics/team").get_data(as_text=True)
    assert 'data-testid="no-team"' in page and "Ana Alpha" not in page
    assert rows_of(client.get("/analytics/team/export/ambassadors.csv"))[1:] == []


def test_the_group_filter(client, auth, scene):
    auth.as_role("curator")
    args = PERIOD | {"group": scene.sales.id}
    page = client.get("/analytics", query_string=args).get_data(as_text=True)
    assert "Ana Alpha" in page and "Dan Delta" not in page
    assert f'<option value="{scene.sales.id}" selected>' in page
    summary = dict(rows_of(client.get("/analytics/export/summary.csv", query_string=args)))
    assert (summary["Shares"], summary["Enrolled people"]) == ("4", "3")
    gone = client.get("/analytics", query_string=PERIOD | {"group": 999_999})
    assert gone.status_code == 200 and 'data-testid="period-error"' in gone.get_data(
        as_text=True)


def test_periods_presets_and_errors(client, auth, scene):
    auth.as_role("admin")
    quiet = client.get("/analytics", query_string={"period": "7d"}).get_data(as_text=True)
    assert 'data-testid="no-data"' in quiet  # the scene happened in 2026-03
    assert '<option value="7d" selected>' in quiet
    bad = client.get("/analytics", query_string={"period": "custom", "from": D0.isoformat(),
                                                 "to": (D0 - timedelta(days=1)).isoformat()})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "The start date must be on or before the end date." in text
    assert client.get("/analytics/export/summary.csv",
                      query_string={"period": "nonsense"}).status_code == 400
    assert client.get("/analytics/export/nonsense.csv").status_code == 404


@pytest.mark.parametrize("table", TABLES)
def test_every_table_exports_with_the_same_filters(client, auth, scene, table):
    auth.as_role("admin")
    response = client.get(f"/analytics/export/{table}.csv", query_string=PERIOD)
    rows = rows_of(response)
    assert len(rows) >= 2 and all(len(r) == len(rows[0]) for r in rows)
    assert f"company-{table}-{PERIOD['from']}-{PERIOD['to']}.csv" in response.headers[
        "Content-Disposition"]
    page = client.get("/analytics", query_string=PERIOD).get_data(as_text=True)
    assert f"/analytics/export/{table}.csv?period=custom" in page


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, auth, db, scene):
    scene.dan.name = "=HYPERLINK(\"http://evil.example\",\"x\")"
    scene.item1.title = "+SUM(A1:A9)"
    db.flush()
    auth.as_role("admin")
    ambassadors = rows_of(client.get("/analytics/export/ambassadors.csv", query_string=PERIOD))
    assert ambassadors[1][0] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    content = rows_of(client.get("/analytics/export/content.csv", query_string=PERIOD))
    assert content[1][0] == "'+SUM(A1:A9)"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in ambassadors + content
                   for cell in row)


def test_the_nav_links_to_the_dashboards(client, auth):
    auth.as_role("admin")
    page = client.get("/analytics/team").get_data(as_text=True)
    assert 'data-testid="nav-analytics"' in page
    assert 'data-testid="admin-analytics-dashboard"' in page
    auth.as_role("manager")
    page = client.get("/analytics/team").get_data(as_text=True)
    assert 'data-testid="nav-team-analytics"' in page and 'data-testid="nav-analytics"' not in page
    auth.as_role("employee")
    page = client.get("/").get_data(as_text=True)
    assert "nav-analytics" not in page and "nav-team-analytics" not in page


# --- the demo company --------------------------------------------------------------------------


def test_the_demo_company_has_live_dashboards(app, client, auth, db, monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    # the demo publishes a social-media policy: these people have accepted it
    version = db.scalar(select(func.max(PolicyVersion.version)))
    auth.as_role("admin", accepted_policy_version=version)
    summary = dict(rows_of(client.get("/analytics/export/summary.csv",
                                      query_string={"period": "90d"})))
    assert int(summary["Human clicks"]) > 0 and int(summary["Unique clicks"]) > 0
    assert int(summary["Active ambassadors"]) > 0
    assert int(summary["Engagements"]) > 0 and int(summary["Conversions"]) > 0
    page = client.get("/analytics", query_string={"period": "90d"})
    assert page.status_code == 200 and 'data-testid="no-data"' not in page.get_data(as_text=True)
    concentration = rows_of(client.get("/analytics/export/concentration.csv",
                                       query_string={"period": "90d"}))
    assert float(concentration[3][2]) > 0.2  # the top 20 % bring more than 20 % (skewed)
    # a manager of the demo company: their team page shows their reports only
    manager = db.scalar(select(User).where(User.role == Role.MANAGER,
                                           User.reports.any()).limit(1))
    assert manager is not None
    manager.accepted_policy_version = version
    auth.login(manager)
    team = client.get("/analytics/team", query_string={"period": "90d"})
    assert team.status_code == 200 and 'data-testid="no-team"' not in team.get_data(
        as_text=True)
    ambassadors = rows_of(client.get("/analytics/team/export/ambassadors.csv",
                                     query_string={"period": "90d"}))
    names = {r[0] for r in ambassadors[1:]}
    from app.accounts.queries import team_ids

    allowed = {u.name for u in db.scalars(select(User).where(
        User.id.in_(team_ids(db, manager.id))))}
    assert names <= allowed
