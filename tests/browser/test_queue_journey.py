"""End-to-end: the employee's queue (cap, show more, copy text + link, not for me and undo)
and suggesting a link. Real app, headless Chromium; the CSP must block nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import playwright_expect
from tests.browser.test_invitation_journey import accept_policy, sign_in

expect = playwright_expect()

pytestmark = pytest.mark.browser


def seed_items(live_server, n: int) -> list[str]:
    from app.content.models import ContentItem, ContentStatus, ContentText
    from app.db import utcnow

    now = utcnow()
    urls = []
    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        for i in range(n):
            item = ContentItem(url=f"https://www.acme.example/news/{i}", slug=f"news-{i}",
                               title=f"News number {i}", summary="Read all about it.",
                               status=ContentStatus.PUBLISHED, hashtags="acme",
                               disclaimer="I work at Acme.", published_at=now - timedelta(hours=i))
            if i == 0:
                item.texts = [ContentText(network="linkedin", text="Proud of this one"),
                              ContentText(network="x", text="Short and sweet")]
            db.add(item)
            urls.append(item.url)
    return urls


def cards(page):
    return page.get_by_test_id("queue-item")


def test_queue_journey(live_server, open_tab):
    urls = seed_items(live_server, 7)
    tab = open_tab(locale="en-US")
    tab.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                  origin=live_server.url)
    page = tab.page
    sign_in(page, live_server)
    accept_policy(page, live_server, "I have read and accept the policy")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {live_server.admin_name}")

    # the daily cap, then "Show more" appends the rest in place
    expect(cards(page)).to_have_count(5)
    expect(page.get_by_test_id("queue-empty")).to_have_count(0)
    page.get_by_test_id("queue-more").click()
    expect(cards(page)).to_have_count(7)
    expect(page.get_by_test_id("queue-more")).to_have_count(0)

    # per-network texts in tabs; the share button leads to the share page of the item
    first = cards(page).first
    expect(first.get_by_role("tab")).to_have_text(["LinkedIn", "X"])
    expect(first.get_by_test_id("share")).to_have_attribute(
        "href", "/share/" + first.get_attribute("data-item-id"))
    first.get_by_role("tab", name="X").click()
    pane = first.locator("[data-network=x]")
    expect(pane).to_be_visible()
    pane.get_by_test_id("copy-text").click()
    expect(pane.get_by_test_id("copy-text")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"Short and sweet\n\n#acme\n\nI work at Acme.\n\n{urls[0]}"
    expect(pane.get_by_test_id("copy-text")).to_have_text("Copy text + link", timeout=4000)

    # not for me → the card gives way to an undo; undo puts it back
    second = page.locator("#queue-item-2")
    second.get_by_test_id("dismiss").click()
    expect(page.get_by_test_id("queue-dismissed")).to_be_visible()
    expect(cards(page)).to_have_count(6)
    page.get_by_test_id("undo-dismiss").click()
    expect(cards(page)).to_have_count(7)
    expect(page.locator("#queue-item-2").get_by_test_id("dismiss")).to_be_visible()
    page.locator("#queue-item-2").get_by_test_id("dismiss").click()
    expect(cards(page)).to_have_count(6)
    page.reload()
    expect(cards(page)).to_have_count(5)
    expect(page.get_by_text("News number 1", exact=True)).to_have_count(0)

    # suggest a link, and see it in "My suggestions"
    page.get_by_role("link", name="Suggest a link").first.click()
    page.get_by_label("Link").fill("https://blog.acme.example/great-read")
    page.get_by_label("Why should colleagues share it?").fill("Our customers love it")
    page.get_by_role("button", name="Send the suggestion").click()
    expect(page.get_by_role("alert")).to_contain_text("Thanks!")
    expect(page.get_by_test_id("my-suggestion")).to_have_count(1)
    expect(page.get_by_test_id("suggestion-status")).to_have_text("in review")
    tab.assert_clean()
    tab.assert_styled()
