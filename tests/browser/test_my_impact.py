"""End-to-end: an employee with a few days of history (shares on LinkedIn and X, clicks, a
conversion; tallied) opens "My impact" from the user menu, sees the trend chart drawn and
its table with the same numbers, the network comparison, and downloads the trend CSV;
then the page at phone width. Real app, headless Chromium; the CSP must block nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import USER_PASSWORD, playwright_expect

expect = playwright_expect()

pytestmark = pytest.mark.browser

EMAIL = "ivy@acme.example"
NAME = "Ivy Impact"
PHONE = {"width": 390, "height": 844}


def _history(live_server, user_id: int) -> dict:
    """One share a day over the last four days: LinkedIn three days ago (3 unique clicks,
    a conversion), two days ago (none) and yesterday (1 click), X today (no click), each a
    minute after midnight UTC. Tallied. Returns the expected figures."""
    from app.accounts.models import User
    from app.accounts.policy import accept_policy, latest_policy
    from app.analytics import tally
    from app.common.actor import SYSTEM
    from app.content.models import ContentItem, ContentStatus
    from app.db import utcnow
    from app.sharing.models import Click, Conversion, Share, ShareMethod, ShareStatus

    now = utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        accept_policy(db, SYSTEM, db.get(User, user_id), latest_policy(db))
        item = ContentItem(url="https://www.acme.example/impact", slug="impact",
                           title="Impact story", status=ContentStatus.PUBLISHED,
                           published_at=now - timedelta(days=10))
        db.add(item)
        db.flush()
        shares = []
        for n, (network, days_ago) in enumerate((("linkedin", 3), ("linkedin", 2),
                                                  ("linkedin", 1), ("x", 0))):
            share = Share(code=f"impact{n:04d}", user_id=user_id, item_id=item.id,
                          network=network, method=ShareMethod.INTENT, status=ShareStatus.OPENED,
                          text="Worth a read", reach=400,
                          created_at=midnight - timedelta(days=days_ago) + timedelta(minutes=1))
            db.add(share)
            shares.append(share)
        db.flush()
        for visitor in ("a", "b", "c"):
            db.add(Click(share_id=shares[0].id, at=shares[0].created_at + timedelta(minutes=1),
                         visitor_hash=visitor, is_bot=False, is_self=False))
        db.add(Click(share_id=shares[2].id, at=shares[2].created_at + timedelta(minutes=1),
                     visitor_hash="d", is_bot=False, is_self=False))
        db.add(Conversion(event_id="impact-1", share_id=shares[0].id, type="lead",
                          value=None, currency="", occurred_at=shares[0].created_at
                          + timedelta(minutes=2)))
        db.flush()
        tally.tally(db, now)
    return {"shares": "4", "unique_clicks": "4", "conversions": "1"}


def _sign_in(page, live_server) -> None:
    page.goto(live_server.url + "/login")
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(USER_PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_an_employee_sees_their_impact(live_server, open_tab):
    expected = _history(live_server, live_server.add_user(EMAIL, NAME))
    tab = open_tab(locale="en-US")
    page = tab.page
    _sign_in(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {NAME}")

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("my-impact-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My impact")
    for key, value in expected.items():
        expect(page.get_by_test_id(f"kpi-{key}").get_by_test_id("kpi-value")).to_have_text(value)

    # the trend chart is drawn by charts.js (Chart.js sets the canvas' size) …
    canvas = page.locator("canvas#chart-trend")
    expect(canvas).to_have_attribute("data-drawn", "1")
    assert canvas.evaluate("c => c.width > 0 && c.height > 0")
    # … and its table holds the same numbers: unique clicks and shares per day
    page.get_by_test_id("chart-table-toggle-trend").click()
    table = page.get_by_test_id("chart-table-trend")
    expect(table).to_be_visible()
    header = table.locator("thead th").all_inner_texts()
    unique, shares = header.index("Unique clicks"), header.index("Shares")
    body = [row.locator("th, td").all_inner_texts() for row in table.locator("tbody tr").all()]
    assert len(body) == 30  # the last 30 days, one row per day
    assert sum(int(r[unique]) for r in body) == 4 and sum(int(r[shares]) for r in body) == 4
    assert [(r[unique], r[shares]) for r in body[-4:]] == [("3", "1"), ("0", "1"), ("1", "1"),
                                                           ("0", "1")]

    # the networks against my average: LinkedIn 4 clicks / 3 shares vs 4 / 4 overall
    row = page.locator('[data-testid="network-row"][data-network="linkedin"]')
    expect(row.get_by_test_id("clicks-ratio")).to_have_text("1.3×")
    expect(page.locator('[data-testid="network-row"][data-network="x"]')
           .get_by_test_id("clicks-ratio")).to_have_text("0.0×")
    expect(page.get_by_test_id("effectiveness")).to_contain_text("LinkedIn")

    with page.expect_download() as download:
        page.get_by_test_id("csv-trend").click()
    assert download.value.suggested_filename.startswith("my-impact-trend-")
    tab.assert_styled()
    tab.assert_clean()

    # at phone width: everything still there, the chart drawn
    phone = open_tab(locale="en-US", viewport=PHONE)
    _sign_in(phone.page, live_server)
    phone.page.goto(live_server.url + "/me/impact")
    expect(phone.page.locator("canvas#chart-trend")).to_have_attribute("data-drawn", "1")
    expect(phone.page.get_by_test_id("kpi-unique_clicks").get_by_test_id("kpi-value")
           ).to_have_text("4")
    assert phone.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.assert_clean()
