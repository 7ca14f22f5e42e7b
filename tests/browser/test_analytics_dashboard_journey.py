"""End-to-end: an admin opens the analytics dashboard, changes the period, the trend chart
is drawn by Chart.js (static/js/charts.js, no inline script: the CSP blocks nothing) and
its table view shows the same numbers as the chart. Real app, headless Chromium."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import playwright_expect

expect = playwright_expect()

pytestmark = pytest.mark.browser


def _history(live_server) -> None:
    """Two ambassadors: Ada shared 3 days ago (3 unique clicks), Bo 20 days ago (2 unique
    clicks, one conversion); the tally rolls them up; the admin has accepted the policy."""
    from decimal import Decimal

    from sqlalchemy import select

    from app.accounts.models import User
    from app.accounts.policy import accept_policy, latest_policy
    from app.analytics import tally
    from app.common.actor import SYSTEM
    from app.content.models import ContentItem, ContentStatus
    from app.db import utcnow
    from app.sharing.models import Click, Conversion, Share, ShareMethod, ShareStatus

    ada = live_server.add_user("ada@acme.example", "Ada Ambassador")
    bo = live_server.add_user("bo@acme.example", "Bo Ambassador")
    now = utcnow()
    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        admin = db.scalar(select(User).where(User.email == live_server.admin_email))
        accept_policy(db, SYSTEM, admin, latest_policy(db))
        item = ContentItem(url="https://www.acme.example/news", slug="news", title="Acme news",
                           status=ContentStatus.PUBLISHED, published_at=now - timedelta(days=40))
        db.add(item)
        db.flush()
        for n, (who, days, visitors) in enumerate(((ada, 3, 3), (bo, 20, 2))):
            at = now - timedelta(days=days)
            share = Share(code=f"journey{n}", user_id=who, item_id=item.id, network="linkedin",
                          method=ShareMethod.INTENT, status=ShareStatus.OPENED, text="",
                          reach=100, created_at=at)
            db.add(share)
            db.flush()
            for v in range(visitors):
                db.add(Click(share_id=share.id, at=at + timedelta(minutes=v + 1),
                             visitor_hash=f"visitor-{n}-{v}", is_bot=False, is_self=False))
            if who == bo:
                db.add(Conversion(event_id="journey-conv", share_id=share.id, type="lead",
                                  value=Decimal("80.00"), currency="EUR",
                                  occurred_at=at + timedelta(hours=1)))
        db.flush()
        tally.rebuild(db, now)


def _chart_and_table(page, chart_id: str):
    """(the chart's datasets as Chart.js holds them, the table's numbers)"""
    drawn = page.evaluate("""(id) => {
        const canvas = document.getElementById('chart-' + id);
        const chart = window.Chart.getChart(canvas);
        return chart ? {width: canvas.width, labels: chart.data.labels,
                        data: chart.data.datasets.map(d => d.data)} : null;
    }""", chart_id)
    table = page.get_by_test_id(f"chart-table-{chart_id}")
    rows = table.locator("tbody tr")
    cells = [[c.replace(",", "") for c in rows.nth(i).locator("td").all_inner_texts()]
             for i in range(rows.count())]
    labels = rows.locator("th").all_inner_texts()
    return drawn, labels, cells


def test_an_admin_changes_the_period_and_reads_the_chart_as_a_table(live_server, open_tab):
    _history(live_server)
    tab = open_tab(locale="en-US")
    page = tab.page
    page.goto(live_server.url + "/login")
    page.locator("#email").fill(live_server.admin_email)
    page.locator("#password").fill(live_server.admin_password)
    page.locator("main form button[type=submit]").click()
    page.get_by_test_id("nav-analytics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytics")
    # the last 30 days (default): both ambassadors
    expect(page.get_by_test_id("kpi-unique_clicks").get_by_test_id("kpi-value")).to_have_text("5")
    expect(page.get_by_test_id("kpi-active").get_by_test_id("kpi-value")).to_have_text("2")

    page.locator("#period").select_option("7d")
    page.get_by_test_id("apply-period").click()
    page.wait_for_url("**/analytics?period=7d**")
    expect(page.locator("#period")).to_have_value("7d")
    expect(page.get_by_test_id("kpi-unique_clicks").get_by_test_id("kpi-value")).to_have_text("3")
    expect(page.get_by_test_id("kpi-active").get_by_test_id("kpi-value")).to_have_text("1")
    expect(page.get_by_test_id("table-ambassadors")).to_contain_text("Ada Ambassador")
    expect(page.get_by_test_id("table-ambassadors")).not_to_contain_text("Bo Ambassador")

    # the chart is drawn (Chart.js holds it, the canvas has a size) …
    page.wait_for_function("() => document.getElementById('chart-trend').dataset.drawn === '1'")
    # … and the table view, once opened, has the same labels and numbers
    page.get_by_test_id("chart-table-toggle-trend").click()
    expect(page.get_by_test_id("chart-table-trend")).to_be_visible()
    drawn, labels, cells = _chart_and_table(page, "trend")
    assert drawn is not None and drawn["width"] > 0
    assert len(drawn["labels"]) == 7 and labels == drawn["labels"]
    by_column = [[float(row[i]) for row in cells] for i in range(len(drawn["data"]))]
    assert by_column == [[float(v) for v in series] for series in drawn["data"]]
    assert sum(by_column[1]) == 3  # unique clicks of the week

    # the CSV of the same view
    href = page.get_by_test_id("csv-trend").get_attribute("href")
    assert href.startswith("/analytics/export/trend.csv?period=7d")
    # the Lorenz-style chart is drawn too
    page.wait_for_function(
        "() => document.getElementById('chart-concentration').dataset.drawn === '1'")
    tab.assert_clean()
    tab.screenshot("analytics-dashboard.png")

    # at phone width the page still works: no horizontal scrolling of the page itself
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_function("() => document.getElementById('chart-trend').dataset.drawn === '1'")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    tab.screenshot("analytics-dashboard-phone.png")
    tab.assert_clean()
