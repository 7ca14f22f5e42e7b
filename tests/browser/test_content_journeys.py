"""End-to-end content journeys (issue 3, "Done when"): a curator adds a feed, turns an inbox
entry into an item, writes per-network texts, targets a department and schedules it; the
publishing job publishes it; only that department's employee sees it in their queue. And
an employee suggests a link that a curator approves. Real app, a real RSS feed on
127.0.0.1, the local SMTP server, headless Chromium; the CSP must block nothing."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.browser.conftest import USER_PASSWORD, playwright_expect
from tests.browser.test_invitation_journey import accept_policy, path_is

expect = playwright_expect()

pytestmark = pytest.mark.browser

ACCEPT = "I have read and accept the policy"
CURATOR_TZ = "Europe/Paris"
LAB_TITLE = "Acme opens a robotics lab in Lyon"
OTHER_TITLE = "Acme joins the open hardware alliance"
LINKEDIN_TEXT = "Proud of our new lab!"
#: an address far longer than 23 characters: X counts it as 23 anyway
LONG_LINK = "https://news.acme.example/2026/06/a-very-long-address-for-the-robotics-lab-opening"
X_TEXT = f"Worth a read {LONG_LINK}"


@pytest.fixture
def live_server_config():
    """The feed is served on 127.0.0.1: loopback fetches are allowed for this app only."""
    return {"FETCH_ALLOW_LOOPBACK": True}


def _rss() -> bytes:
    now = datetime.now(UTC)
    entries = [(LAB_TITLE, "https://news.acme.example/robotics-lab",
                "The lab opens in June with forty engineers.", now - timedelta(hours=2)),
               (OTHER_TITLE, "https://news.acme.example/alliance",
                "Open hardware, together.", now - timedelta(hours=5))]
    items = "".join(f"""
  <item>
    <title>{title}</title>
    <link>{link}</link>
    <description>{summary}</description>
    <pubDate>{format_datetime(when, usegmt=True)}</pubDate>
  </item>""" for title, link, summary, when in entries)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Acme newsroom</title>
  <link>https://news.acme.example/</link>
  <description>News from Acme</description>{items}
</channel></rss>
""".encode()


@pytest.fixture
def feed_url():
    """An RSS feed with two entries at http://127.0.0.1:<port>/feed.xml (a thread)."""
    body = _rss()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            if self.path != "/feed.xml":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="rss-feed", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def sign_in_as(tab, live_server, email: str, password: str = USER_PASSWORD) -> None:
    """Sign in through the form and accept the policy (first visit): the portal home."""
    page = tab.page
    page.goto(live_server.url + "/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    accept_policy(page, live_server, ACCEPT)


def content_menu(page, entry: str) -> None:
    """Navbar: Content → ``entry``."""
    page.get_by_test_id("content-menu").click()
    page.locator("nav .dropdown-menu").get_by_role("link", name=entry, exact=True).click()


def item_status(page):
    """The status badge next to the item's title (curator item and edit pages)."""
    return page.locator("h1 ~ [data-status]")


def test_curator_schedules_a_feed_entry_for_one_department(live_server, open_tab, feed_url):
    from app.content.models import ContentItem
    from app.content.networks import compose, count
    from app.jobs.runner import run_job

    sales = live_server.add_group("Sales")
    marketing = live_server.add_group("Marketing")
    live_server.add_user("cleo@acme.example", "Cleo Curator", role="curator",
                         timezone=CURATOR_TZ)
    live_server.add_user("sam@acme.example", "Sam Sales", groups=(sales,))
    live_server.add_user("mia@acme.example", "Mia Marketing", groups=(marketing,))

    curator = open_tab()
    page = curator.page
    sign_in_as(curator, live_server, "cleo@acme.example")

    # Content → Sources → add the feed and check it now: its two entries arrive
    content_menu(page, "Sources")
    expect(page).to_have_url(path_is(live_server, "/curate/sources"))
    page.locator("main").get_by_role("link", name="Add a source").first.click()
    page.get_by_label("Name", exact=True).fill("Acme newsroom")
    page.get_by_label("Feed address (RSS or Atom)").fill(feed_url)
    page.get_by_role("button", name="Add and check now").click()
    expect(page).to_have_url(path_is(live_server, "/curate/sources"))
    expect(page.get_by_role("alert").first).to_contain_text("Source added.")
    expect(page.get_by_role("alert").last).to_contain_text("Acme newsroom checked. OK: 2 new")
    row = page.locator("tbody tr").filter(has_text="Acme newsroom")
    expect(row).to_contain_text(feed_url)
    expect(row.locator("td").nth(5)).to_have_text("2")

    # the inbox lists both entries; "Make a draft" on one
    page.locator("main").get_by_role("link", name="Inbox", exact=True).click()
    expect(page).to_have_url(path_is(live_server, "/curate/inbox"))
    entries = page.locator("[data-testid^=entry-]")
    expect(entries).to_have_count(2)
    expect(entries.get_by_role("heading")).to_have_text([LAB_TITLE, OTHER_TITLE])
    entries.filter(has_text=LAB_TITLE).get_by_role("button", name="Make a draft").click()

    # the draft's page
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/curate/items/\d+$"))
    item_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("alert")).to_contain_text("Draft created from the feed entry")
    expect(page.get_by_role("heading", level=1)).to_have_text(LAB_TITLE)
    expect(item_status(page)).to_have_attribute("data-status", "draft")
    expect(page.get_by_test_id("audience")).to_have_text("Every employee")
    curator.assert_clean()

    # the editor: per-network texts with live counters
    page.get_by_test_id("actions").get_by_role("link", name="Edit").click()
    expect(page).to_have_url(path_is(live_server, f"/curate/items/{item_id}/edit"))
    expect(page.locator("#title")).to_have_value(LAB_TITLE)
    linkedin_count = page.get_by_test_id("counter-linkedin").locator("[data-count]")
    x_count = page.get_by_test_id("counter-x").locator("[data-count]")
    expect(linkedin_count).to_have_text("0")
    expect(x_count).to_have_text("0")
    expect(page.get_by_test_id("counter-x")).to_contain_text("/ 280")

    placeholder = page.locator("#placeholder-link").input_value()
    assert len(placeholder) == 23
    page.locator("#text_linkedin").press_sequentially("Proud")
    # text + blank line + the tracked link's placeholder
    expect(linkedin_count).to_have_text(str(len("Proud") + 2 + 23))
    page.locator("#text_linkedin").press_sequentially(LINKEDIN_TEXT[len("Proud"):])
    expect(linkedin_count).to_have_text(str(len(LINKEDIN_TEXT) + 2 + 23))

    page.locator("#text_x").fill(X_TEXT)
    x_expected = len("Worth a read ") + 23 + 2 + 23  # the long address counts 23
    assert len(LONG_LINK) > 23 and x_expected < len(X_TEXT) + 2 + 23
    assert x_expected == count("x", compose("x", X_TEXT, link=placeholder))  # as the server
    expect(x_count).to_have_text(str(x_expected))
    page.locator("[data-network-block=x] summary").click()
    expect(page.locator("[data-preview-for=x]")).to_contain_text(LONG_LINK)

    # target Sales, publish in two minutes, in the curator's time zone (Paris)
    page.locator("#group_ids").select_option(label="Sales")
    expect(page.get_by_test_id("timezone")).to_contain_text(CURATOR_TZ)
    publish_local = (datetime.now(ZoneInfo(CURATOR_TZ)) + timedelta(minutes=2)).replace(
        second=0, microsecond=0)
    page.locator("#publish_at").fill(publish_local.strftime("%Y-%m-%dT%H:%M"))
    curator.assert_clean()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_url(path_is(live_server, f"/curate/items/{item_id}"))
    expect(page.get_by_role("alert")).to_contain_text("Changes saved.")
    expect(page.get_by_test_id("audience")).to_have_text("Sales")
    expect(page.get_by_test_id("text-linkedin")).to_contain_text(LINKEDIN_TEXT)
    expect(page.get_by_test_id("text-linkedin")).to_contain_text(
        f"{len(LINKEDIN_TEXT) + 2 + 23} / 3000 characters")
    expect(page.get_by_test_id("text-x")).to_contain_text(f"{x_expected} / 280 characters")

    # the lifecycle: submit for review, then approve → scheduled (the time is ahead)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert")).to_contain_text("Sent for review.")
    expect(item_status(page)).to_have_attribute("data-status", "in_review")
    page.get_by_role("button", name="Approve and schedule").click()
    expect(page.get_by_role("alert")).to_contain_text("Scheduled:")
    expect(item_status(page)).to_have_attribute("data-status", "scheduled")
    expect(item_status(page)).to_have_text("scheduled")
    expect(page.locator("main")).to_contain_text("Will be published")
    curator.assert_clean()
    curator.assert_styled()

    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        item = db.get(ContentItem, item_id)
        assert item.publish_at == publish_local.astimezone(UTC)  # Paris time, stored in UTC
        assert [t.network for t in item.texts] == ["linkedin", "x"]
        assert [g.name for g in item.groups] == ["Sales"]

    # the scheduler's job, three minutes later: the item is published
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=3), tick=True):
        result = run_job(live_server.app, "content.publish_scheduled")
    assert result.ok, result.error
    assert result.summary == {"published": 1}
    page.reload()
    expect(item_status(page)).to_have_attribute("data-status", "published")
    expect(page.get_by_test_id("history")).to_contain_text("published on schedule")

    # the Sales employee sees it in their queue
    sam = open_tab()
    sign_in_as(sam, live_server, "sam@acme.example")
    expect(sam.page.get_by_role("heading", level=1)).to_have_text("Hello, Sam Sales")
    cards = sam.page.get_by_test_id("queue-item")
    expect(cards).to_have_count(1)
    expect(cards.get_by_role("heading", level=2)).to_have_text(LAB_TITLE)
    expect(cards.get_by_role("tab")).to_have_text(["LinkedIn", "X"])
    expect(sam.page.get_by_test_id("queue-empty")).to_have_count(0)
    sam.assert_styled()
    sam.assert_clean()

    # the Marketing employee does not
    mia = open_tab()
    sign_in_as(mia, live_server, "mia@acme.example")
    expect(mia.page.get_by_role("heading", level=1)).to_have_text("Hello, Mia Marketing")
    expect(mia.page.get_by_test_id("queue-empty")).to_be_visible()
    expect(mia.page.get_by_test_id("queue-item")).to_have_count(0)
    expect(mia.page.get_by_text(LAB_TITLE)).to_have_count(0)
    mia.assert_clean()
    curator.assert_clean()


def test_an_employee_suggests_a_link_and_a_curator_approves_it(live_server, open_tab):
    live_server.add_user("cleo@acme.example", "Cleo Curator", role="curator")
    live_server.add_user("eve@acme.example", "Eve Employee")
    link = "https://blog.acme.example/hybrid-work"
    comment = "Our customers keep asking about this"

    # the employee suggests a link and finds it in "My suggestions", in review
    employee = open_tab()
    page = employee.page
    sign_in_as(employee, live_server, "eve@acme.example")
    page.locator("nav").get_by_role("link", name="Suggest a link").click()
    expect(page).to_have_url(path_is(live_server, "/suggest"))
    expect(page.get_by_text("You have not suggested anything yet.")).to_be_visible()
    page.get_by_label("Link").fill(link)
    page.get_by_label("Why should colleagues share it?").fill(comment)
    page.get_by_role("button", name="Send the suggestion").click()
    expect(page.get_by_role("alert")).to_contain_text("Thanks!")
    mine = page.get_by_test_id("my-suggestion")
    expect(mine).to_have_count(1)
    expect(mine.get_by_role("link")).to_have_text("blog.acme.example")
    expect(mine).to_contain_text(comment)
    expect(mine.get_by_test_id("suggestion-status")).to_have_text("in review")
    employee.assert_clean()

    # the curator's review queue shows who suggested it and why; approve
    curator = open_tab()
    review = curator.page
    sign_in_as(curator, live_server, "cleo@acme.example")
    content_menu(review, "Review queue")
    expect(review).to_have_url(path_is(live_server, "/curate/review"))
    row = review.get_by_test_id("review-item").filter(has_text="blog.acme.example")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("suggestion")).to_contain_text("Suggested by Eve Employee")
    expect(row.get_by_test_id("suggestion")).to_contain_text(comment)
    expect(row).to_contain_text(link)
    row.get_by_role("button", name="Approve").click()
    expect(review).to_have_url(path_is(live_server, "/curate/review"))
    expect(review.get_by_role("alert")).to_contain_text("Published.")
    expect(review.get_by_test_id("review-item")).to_have_count(0)
    expect(review.get_by_text("Nothing waits for review.")).to_be_visible()
    curator.assert_styled()
    curator.assert_clean()

    # the employee's suggestion is accepted, and the email says so
    page.reload()
    expect(mine.get_by_test_id("suggestion-status")).to_have_text("accepted")
    message = live_server.mail.wait_for("eve@acme.example")
    assert message["Subject"] == "Your suggestion was accepted"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Hello Eve Employee," in text
    assert link in text
    employee.assert_clean()
