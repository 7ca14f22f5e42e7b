"""End-to-end: an admin invites a person, who joins through the emailed link (EN and FR),
and the portal works at phone width. Real app, real SMTP server, headless Chromium."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import playwright_expect

expect = playwright_expect()

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def path_is(live_server, path: str, query: bool = False):
    """A URL matcher for ``path`` on the live server (optionally with a query string)."""
    tail = r"(\?.*)?$" if query else r"$"
    return re.compile("^" + re.escape(live_server.url + path) + tail)


def sign_in(page, live_server) -> None:
    page.goto(live_server.url + "/login")
    page.locator("#email").fill(live_server.admin_email)
    page.locator("#password").fill(live_server.admin_password)
    page.locator("main form button[type=submit]").click()


def accept_policy(page, live_server, button_text: str) -> None:
    expect(page).to_have_url(path_is(live_server, "/policy", query=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(live_server.policy_title)
    page.get_by_role("button", name=button_text, exact=True).click()
    expect(page).to_have_url(path_is(live_server, "/"))


def one_person_form(page):
    """The "One person" card (its heading and its form)."""
    return page.locator(".card-body").filter(has=page.locator("input[name=mode][value=one]"))


def switch_language(page, code: str) -> None:
    page.locator(f"nav form button[name=lang][value={code}]").click()
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page.locator(f"nav button[name=lang][value={code}]")).to_have_class(
        re.compile(r"\bbtn-secondary\b"))


def test_invitation_journey_in_english(live_server, open_tab):
    admin = open_tab(locale="en-US")
    page = admin.page

    # the admin signs in, is sent to the policy, accepts it and reaches the portal
    page.goto(live_server.url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Relais")
    page.get_by_label("Email", exact=True).fill(live_server.admin_email)
    page.get_by_label("Password", exact=True).fill(live_server.admin_password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    accept_policy(page, live_server, "I have read and accept the policy")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {live_server.admin_name}")

    # Administration → Invite → "One person"
    page.get_by_role("button", name="Administration").click()
    page.get_by_role("link", name="Invite", exact=True).click()
    expect(page).to_have_url(path_is(live_server, "/admin/invite"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite people")
    form = one_person_form(page)
    expect(form.get_by_role("heading", name="One person")).to_be_visible()
    form.get_by_label("Email", exact=True).fill("ada@acme.example")
    form.get_by_label("Name", exact=True).fill("Ada L.")
    expect(form.get_by_label("Language", exact=True)).to_have_value("en")
    form.get_by_role("button", name="Send the invitation").click()

    # the invitations page lists the person
    expect(page).to_have_url(path_is(live_server, "/admin/invitations"))
    expect(page.get_by_role("alert")).to_contain_text("Invitation sent to ada@acme.example.")
    row = page.locator("tbody tr").filter(has_text="ada@acme.example")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ada L.")
    expect(row).to_contain_text("waiting")

    # the email arrives at the local SMTP server, in English, with a link to this server
    message, link = live_server.invitation_link("ada@acme.example")
    assert message["Subject"] == "You are invited to join Relais"
    assert "Hello Ada L.," in message.get_body(preferencelist=("plain",)).get_content()

    # the invitee opens it in a fresh context (no admin cookies), names herself, joins
    invitee = open_tab(locale="en-US")
    guest = invitee.page
    guest.goto(link)
    expect(guest.locator("html")).to_have_attribute("lang", "en")
    expect(guest.get_by_role("heading", level=1)).to_have_text("Welcome to Relais")
    expect(guest.locator("main")).to_contain_text("You were invited as ada@acme.example.")
    expect(guest.get_by_label("Your name")).to_have_value("Ada L.")
    guest.get_by_label("Your name").fill("Ada Lovelace")
    guest.get_by_label("New password", exact=True).fill("analytical engine 1843")
    guest.get_by_label("Repeat the new password", exact=True).fill("analytical engine 1843")
    guest.get_by_role("button", name="Join Relais").click()

    # policy first, then the portal home
    accept_policy(guest, live_server, "I have read and accept the policy")
    expect(guest.get_by_role("heading", level=1)).to_have_text("Hello, Ada Lovelace")
    expect(guest.get_by_test_id("queue-empty")).to_be_visible()
    expect(guest.get_by_test_id("user-menu")).to_have_text("Ada Lovelace")
    invitee.assert_styled()
    invitee.screenshot("portal-en.png")

    # the link worked once
    assert invitee.context.request.get(link).status == 404
    # the person left the open invitations
    page.reload()
    expect(page.locator("tbody tr").filter(has_text="ada@acme.example")).to_have_count(0)

    admin.assert_clean()
    invitee.assert_clean()


def test_invitation_journey_in_french(live_server, open_tab):
    def fr(message: str, **variables) -> str:
        return live_server.gettext(message, "fr", **variables)

    admin = open_tab(locale="en-US")
    page = admin.page
    sign_in(page, live_server)
    accept_policy(page, live_server, "I have read and accept the policy")
    page.goto(live_server.url + "/admin/invite")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # the admin switches the UI to French with the navbar's FR button, and stays on the page
    switch_language(page, "fr")
    expect(page).to_have_url(path_is(live_server, "/admin/invite"))
    expect(page.get_by_role("heading", level=1)).to_have_text(fr("Invite people"))

    # invites one person in French (ids, not labels: the labels are French now)
    form = one_person_form(page)
    form.locator("#one-email").fill("camille@acme.example")
    form.locator("#one-name").fill("Camille Martin")
    form.locator("#one-language").select_option("fr")
    expect(form.locator("#one-language option:checked")).to_have_text("Français")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(path_is(live_server, "/admin/invitations"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("alert")).to_contain_text(
        fr("Invitation sent to %(email)s.", email="camille@acme.example"))
    expect(page.locator("tbody tr").filter(has_text="camille@acme.example")).to_contain_text(
        "Camille Martin")

    # the email is in French
    message, link = live_server.invitation_link("camille@acme.example")
    assert message["Subject"] == fr("You are invited to join Relais")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert fr("Hello %(name)s,", name="Camille Martin") in text

    # the invitee's browser is English, yet the invitation page speaks the invitation's language
    invitee = open_tab(locale="en-US")
    guest = invitee.page
    guest.goto(link)
    expect(guest.locator("html")).to_have_attribute("lang", "fr")
    expect(guest.get_by_role("heading", level=1)).to_have_text(fr("Welcome to Relais"))
    expect(guest.locator("#name")).to_have_value("Camille Martin")
    guest.locator("#password").fill("le petit prince 1943")
    guest.locator("#confirm").fill("le petit prince 1943")
    guest.locator("main form button[type=submit]").click()

    # policy (in French), then the portal in French
    expect(guest).to_have_url(path_is(live_server, "/policy", query=True))
    expect(guest.locator("html")).to_have_attribute("lang", "fr")
    accept_policy(guest, live_server, fr("I have read and accept the policy"))
    expect(guest.locator("html")).to_have_attribute("lang", "fr")
    expect(guest.get_by_role("heading", level=1)).to_have_text(
        fr("Hello, %(name)s", name="Camille Martin"))
    expect(guest.get_by_test_id("queue-empty")).to_be_visible()
    expect(guest.locator("nav button[name=lang][value=fr]")).to_have_class(
        re.compile(r"\bbtn-secondary\b"))
    invitee.assert_styled()
    invitee.screenshot("portal-fr.png")

    # and back to English for the admin
    switch_language(page, "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open invitations")

    admin.assert_clean()
    invitee.assert_clean()


def test_portal_at_phone_width(live_server, open_tab):
    phone = open_tab(locale="en-US", viewport=PHONE)
    page = phone.page
    sign_in(page, live_server)
    accept_policy(page, live_server, "I have read and accept the policy")
    expect(page.get_by_test_id("queue-empty")).to_be_visible()

    toggler = page.locator("button.navbar-toggler")
    menu = page.locator("#nav")
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    expect(menu).to_have_class(re.compile(r"\bshow\b"))  # the collapse animation finished
    expect(menu.get_by_role("link", name="Portal")).to_be_visible()
    expect(menu.get_by_role("button", name="Administration")).to_be_visible()
    expect(menu.get_by_test_id("user-menu")).to_be_visible()

    # nothing wider than the screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways ({width}px)"
    phone.assert_styled()
    phone.screenshot("portal-phone.png")
    phone.assert_clean()
