"""End-to-end: an employee connects X (the fake provider of tests/fake_provider.py, on
127.0.0.1) from Profile → Social accounts, posts an item through the connected account,
visitors follow the tracked link (humans, a link-preview bot, a HEAD, the employee
themself), the CRM reports a signed conversion (twice: idempotent), and My shares shows
what counts. Real app, headless Chromium; the CSP must block nothing."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import http.server
import json
import re
import threading
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.browser.conftest import USER_PASSWORD, playwright_expect
from tests.browser.test_invitation_journey import accept_policy, path_is
from tests.browser.test_queue_journey import seed_items
from tests.fake_provider import fake, fake_provider_server  # noqa: F401

expect = playwright_expect()

pytestmark = pytest.mark.browser

WEBHOOK_SECRET = "journey-webhook-secret-0123456789"
#: a Fernet key (32 bytes, URL-safe base64), fixed so the test needs no key generation
TOKEN_KEY = "dGhpcy1pcy1hLTMyLWJ5dGUtdGVzdC1rZXktMDAwMDA="
EMPLOYEE_EMAIL = "ada@acme.example"
HUMAN_UA = ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
OTHER_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
BOT_UA = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"


class _CompanyPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.visits.append(self.path)
        body = b"<!doctype html><html lang=en><title>Acme news</title><h1>Acme news</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def company_site():
    """The company's website, where the tracked link lands (on 127.0.0.1: the test stays
    offline, and Playwright's routes do not see the second request of a redirect)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CompanyPage)
    server.visits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def seed_item(live_server, url: str) -> None:
    """One published item (with its X text, hashtags and disclaimer) pointing at ``url``."""
    from app.content.models import ContentItem

    seed_items(live_server, 1)
    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        db.scalar(select(ContentItem)).url = url


@pytest.fixture
def live_server_config(fake):  # noqa: F811
    return {**fake.config(), "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
            "CONVERSION_WEBHOOK_SECRET": WEBHOOK_SECRET}


def request(live_server, method: str, path: str, *, headers: dict | None = None,
            body: bytes | None = None) -> http.client.HTTPResponse:
    """One plain HTTP request to the live server: no cookies, redirects not followed."""
    parts = urlsplit(live_server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.body = response.read()
        return response
    finally:
        conn.close()


def visit(live_server, path: str, user_agent: str, method: str = "GET") -> str:
    response = request(live_server, method, path, headers={"User-Agent": user_agent})
    assert response.status == 302, (method, user_agent, response.status, response.body)
    return response.getheader("Location")


def post_conversion(live_server, event: dict) -> tuple[int, dict]:
    body = json.dumps(event).encode()
    ts = str(int(time.time()))
    signature = hmac.new(WEBHOOK_SECRET.encode(), ts.encode() + b"." + body,
                         hashlib.sha256).hexdigest()
    response = request(live_server, "POST", "/api/v1/conversions", body=body, headers={
        "Content-Type": "application/json", "X-Relais-Timestamp": ts,
        "X-Relais-Signature": f"sha256={signature}"})
    return response.status, json.loads(response.body)


def clicks_of(live_server, code: str) -> list[tuple[bool, bool]]:
    """(is_bot, is_self) of every recorded click on the share ``code``."""
    from app.sharing.models import Click, Share

    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        return [(c.is_bot, c.is_self) for c in db.scalars(
            select(Click).join(Share, Share.id == Click.share_id)
            .where(Share.code == code).order_by(Click.id))]


def test_connected_share_journey(live_server, open_tab, fake, company_site):  # noqa: F811
    item_url = f"http://127.0.0.1:{company_site.server_port}/news/0"
    seed_item(live_server, item_url)
    live_server.add_user(EMPLOYEE_EMAIL, "Ada Employee")
    tab = open_tab(locale="en-US")
    page = tab.page

    page.goto(live_server.url + "/login")
    page.locator("#email").fill(EMPLOYEE_EMAIL)
    page.locator("#password").fill(USER_PASSWORD)
    page.locator("main form button[type=submit]").click()
    accept_policy(page, live_server, "I have read and accept the policy")

    # Profile → Social accounts → "Connect X": the fake provider approves at once and
    # sends the browser back with a code
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name="Social accounts", exact=True).click()
    expect(page).to_have_url(path_is(live_server, "/profile/social"))
    x_card = page.get_by_test_id("connector-x")
    expect(x_card).to_contain_text("not connected")
    tab.assert_clean()
    with page.expect_request(re.compile(re.escape(fake.base_url) + "/i/oauth2/authorize")):
        x_card.get_by_test_id("connect-x").click()
    expect(page).to_have_url(path_is(live_server, "/profile/social"))
    expect(page.locator(".alert-success")).to_contain_text("Your X account is connected.")
    x_card = page.get_by_test_id("connector-x")
    expect(x_card).to_contain_text("Ada Lovelace")
    expect(x_card).to_contain_text("1,234 followers")
    expect(x_card.get_by_role("button", name="Disconnect")).to_be_visible()
    assert fake.calls_to("/2/oauth2/token") == 1
    tab.assert_clean()
    tab.assert_styled()

    # the queue → Share → X → "Post it for me", now
    page.goto(live_server.url + "/")
    page.get_by_test_id("queue-item").first.get_by_test_id("share").click()
    page.get_by_test_id("network-picker").get_by_role("link", name="X").click()
    form = page.get_by_test_id("api-share-form")
    expect(form).to_contain_text("Ada Lovelace")
    expect(form.locator("#api-text")).to_have_value("Short and sweet")
    expect(form.locator("#api-when-now")).to_be_checked()
    form.get_by_test_id("api-share-submit").click()
    expect(page.locator(".alert-success")).to_contain_text("Posted on X.")
    tab.assert_clean()

    [post] = fake.state.posts.values()
    assert post["network"] == "x"
    assert post["author"] == fake.state.users["x"]["id"]
    found = re.findall(re.escape(live_server.url) + r"/r/([A-Za-z0-9_-]{11})", post["text"])
    assert len(found) == 1, post["text"]
    code = found[0]
    assert post["text"].startswith("Short and sweet")
    assert "#acme" in post["text"] and "I work at Acme." in post["text"]
    path = f"/r/{code}"

    # visitors (no cookies: the fast path): one person twice within a minute, another
    # person once, LinkedIn's link-preview robot, and a HEAD
    target = visit(live_server, path, HUMAN_UA)
    assert target.startswith(item_url + "?")
    assert f"utm_content={code}" in target
    assert visit(live_server, path, HUMAN_UA) == target
    assert visit(live_server, path, OTHER_UA) == target
    assert visit(live_server, path, BOT_UA) == target
    assert visit(live_server, path, HUMAN_UA, method="HEAD") == target
    # the employee follows their own link (the session cookie: the Flask path)
    page.goto(live_server.url + path)
    expect(page).to_have_url(target)
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme news")
    landing = urlsplit(target)
    assert company_site.visits[0] == f"{landing.path}?{landing.query}"

    # recorded: 3 human clicks, the bot, the self click (flagged); the HEAD is not
    recorded = clicks_of(live_server, code)
    assert len(recorded) == 5, recorded
    assert recorded[:3] == [(False, False)] * 3
    assert recorded[3] == (True, False)
    assert recorded[4][1] is True  # is_self (headless Chromium is also a bot by its agent)

    # the CRM reports a lead worth 120 EUR, then retries the very same event
    event = {"event_id": "crm-lead-journey-1", "share_code": code, "type": "lead",
             "value": 120, "currency": "EUR"}
    status, answer = post_conversion(live_server, event)
    assert (status, answer["status"], answer["share_code"]) == (201, "created", code)
    status, again = post_conversion(live_server, event)
    assert (status, again) == (200, {"status": "duplicate",
                                     "conversion_id": answer["conversion_id"]})

    # My shares: 3 clicks, 2 unique visitors, 1 conversion worth 120
    page.goto(live_server.url + "/")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("my-shares-link").click()
    row = page.get_by_test_id("share-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("connected account")
    expect(row.get_by_test_id("status")).to_have_text("posted")
    expect(row.get_by_test_id("link")).to_have_value(live_server.url + path)
    expect(row.get_by_test_id("reach")).to_have_text("1,234")
    expect(row.get_by_test_id("human")).to_have_text("3")
    expect(row.get_by_test_id("unique")).to_have_text("2")
    expect(row.get_by_test_id("conversions")).to_have_text("1")
    expect(row.get_by_test_id("value")).to_have_text("120")
    expect(page.get_by_test_id("total-shares")).to_have_text("1")
    expect(page.get_by_test_id("total-human")).to_have_text("3")
    expect(page.get_by_test_id("total-unique")).to_have_text("2")
    expect(page.get_by_test_id("total-conversions")).to_have_text("1")
    expect(page.get_by_test_id("total-value")).to_have_text("value 120")
    tab.assert_clean()
    tab.assert_styled()
