"""End-to-end: from the queue to the share page (live counter as X counts it, hashtags and
disclaimer appended), sharing by intent (CSRF on), the page that opens X with the tracked
link, and My shares. Real app, headless Chromium; the CSP must block nothing."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import playwright_expect
from tests.browser.test_invitation_journey import accept_policy, sign_in
from tests.browser.test_queue_journey import seed_items

expect = playwright_expect()

pytestmark = pytest.mark.browser


def test_share_journey(live_server, open_tab):
    seed_items(live_server, 1)
    tab = open_tab(locale="en-US")
    page = tab.page
    sign_in(page, live_server)
    accept_policy(page, live_server, "I have read and accept the policy")

    page.get_by_test_id("queue-item").first.get_by_test_id("share").click()
    page.get_by_test_id("network-picker").get_by_role("link", name="X").click()
    text = page.locator("textarea[data-share-text]")
    expect(text).to_have_value("Short and sweet")
    counter = page.get_by_test_id("share-counter")
    # "Short and sweet" 15 + "\n\n#acme" 7 + "\n\nI work at Acme." 17 + "\n\n" + link 23
    expect(counter).to_have_text("64 / 280")
    expect(page.get_by_test_id("appended")).to_contain_text("#acme")
    text.fill("x" * 250)
    expect(counter).to_have_text("299 / 280")
    expect(counter).to_have_class(re.compile("text-danger"))
    page.get_by_test_id("share-intent").click()  # the server refuses it too (422)
    expect(page.get_by_test_id("text-error")).to_contain_text("too long for X")
    tab.console.clear()  # Chromium logs the intended 422 as a failed resource
    page.locator("textarea[data-share-text]").fill("My words")
    expect(page.get_by_test_id("share-counter")).to_have_text("57 / 280")
    page.get_by_test_id("share-intent").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your share is ready")
    link = page.get_by_test_id("tracked-link").input_value()
    assert re.fullmatch(r"http://[^/]+/r/[A-Za-z0-9_-]{11}", link)
    opener = page.get_by_test_id("open-network")
    expect(opener).to_have_attribute("target", "_blank")
    query = parse_qs(urlsplit(opener.get_attribute("href")).query)
    assert query == {"text": ["My words\n\n#acme\n\nI work at Acme."], "url": [link]}

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("my-shares-link").click()
    expect(page.get_by_test_id("share-row")).to_have_count(1)
    expect(page.get_by_test_id("share-row").get_by_test_id("link")).to_have_value(link)
    page.goto(live_server.url + "/")
    expect(page.get_by_test_id("queue-item")).to_have_count(0)  # shared: out of the queue
    tab.assert_clean()
