"""End-to-end: an employee shares an item through the real share flow (CSRF on), the award
job runs, the bell shows the "First share" badge notice, and the leaderboard shows the
employee's own row (with the people around them) — then the same at phone width. Real
app, headless Chromium; the CSP must block nothing."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import USER_PASSWORD, playwright_expect
from tests.browser.test_queue_journey import seed_items

expect = playwright_expect()

pytestmark = pytest.mark.browser

EMAIL = "erin@acme.example"
NAME = "Erin Employee"


def _setup(live_server, employee_id: int) -> None:
    """The default badges, two colleagues who already earned points this month (one ahead
    of what a first share pays, one behind), and the employee's accepted policy (the
    policy page has journeys of its own)."""
    from app.accounts.models import User
    from app.accounts.policy import accept_policy, latest_policy
    from app.common.actor import SYSTEM
    from app.db import utcnow
    from app.gamification import badges
    from app.gamification.models import Action
    from app.gamification.services import award

    ahead = live_server.add_user("ada@acme.example", "Ada Ahead")
    behind = live_server.add_user("bo@acme.example", "Bo Behind")
    now = utcnow()
    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        accept_policy(db, SYSTEM, db.get(User, employee_id), latest_policy(db))
        badges.install_defaults(db, SYSTEM)
        award(db, user_id=ahead, action=Action.CONVERSION, key="journey:conv:1",
              occurred_at=now, conversions=1, now=now)
        award(db, user_id=behind, action=Action.UNIQUE_CLICK, key="journey:click:1",
              occurred_at=now, unique_clicks=1, now=now)


def _sign_in(page, live_server) -> None:
    page.goto(live_server.url + "/login")
    page.locator("#email").fill(EMAIL)
    page.locator("#password").fill(USER_PASSWORD)
    page.locator("main form button[type=submit]").click()


def test_an_employee_earns_a_badge_and_sees_the_board(live_server, open_tab):
    from app.jobs.models import JobStatus
    from app.jobs.runner import run_job

    seed_items(live_server, 1)
    _setup(live_server, live_server.add_user(EMAIL, NAME))
    tab = open_tab(locale="en-US")
    page = tab.page
    _sign_in(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {NAME}")

    # nothing yet: no bell count, not on the board
    expect(page.get_by_test_id("bell")).to_be_visible()
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    page.get_by_test_id("nav-leaderboards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leaderboards")
    expect(page.get_by_test_id("board-row")).to_have_count(2)
    expect(page.get_by_test_id("not-ranked")).to_be_visible()

    # share through the real flow
    page.goto(live_server.url + "/")
    page.get_by_test_id("queue-item").first.get_by_test_id("share").click()
    page.get_by_test_id("network-picker").get_by_role("link", name="LinkedIn").click()
    page.get_by_test_id("share-intent").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your share is ready")

    # the scheduler's award job counts it
    result = run_job(live_server.app, "gamification.award")
    assert result.status == JobStatus.OK, result.error

    page.goto(live_server.url + "/")
    expect(page.get_by_test_id("bell-count")).to_contain_text(re.compile(r"[1-9]"))
    page.get_by_test_id("bell").click()
    expect(page.locator("main")).to_contain_text("You earned the badge 🚀 First share.")

    page.get_by_test_id("nav-leaderboards").click()
    rows = page.get_by_test_id("board-row")
    expect(rows).to_have_count(3)
    mine = page.locator('[data-testid="board-row"][data-viewer="1"]')
    expect(mine).to_have_count(1)
    expect(mine.get_by_test_id("name")).to_contain_text(NAME)
    expect(mine.get_by_test_id("rank")).to_have_text("2")
    expect(rows.nth(0).get_by_test_id("name")).to_have_text("Ada Ahead")
    expect(rows.nth(2).get_by_test_id("name")).to_have_text("Bo Behind")
    expect(page.get_by_test_id("not-ranked")).to_have_count(0)

    # the pickers swap the board in place (htmx): this week's shares
    page.locator("#metric").select_option("reach")
    expect(page).to_have_url(re.compile(r"metric=reach"))
    expect(page.get_by_role("heading", level=2)).to_contain_text("Reach")
    page.locator("#period").select_option("all")
    expect(page).to_have_url(re.compile(r"period=all"))
    expect(page.get_by_role("heading", level=2)).to_contain_text("All time")
    tab.assert_clean()
    tab.assert_styled()

    # at phone width the board fits the screen without sideways scrolling
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + "/leaderboards")
    expect(mine).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide at phone width"
    tab.assert_clean()
