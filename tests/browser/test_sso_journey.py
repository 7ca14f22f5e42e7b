"""End-to-end single sign-on: the admin configures the identity provider (the fake one of
tests/fake_idp.py, on 127.0.0.1) on Administration → Single sign-on, tests its discovery
and maps its "acme-marketing" group to Marketing; an employee who has no account yet
clicks "Sign in with Acme ID" on the sign-in page (at phone width), the provider sends the
browser back, and she lands on the portal, provisioned into Marketing. Real app, headless
Chromium; the CSP must block nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.conftest import playwright_expect
from tests.browser.test_invitation_journey import path_is
from tests.fake_idp import CLIENT_ID, CLIENT_SECRET, fake_idp_server, idp  # noqa: F401

expect = playwright_expect()

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ACCEPT = "I have read and accept the policy"


@pytest.fixture
def live_server_config():
    # the provider is on 127.0.0.1: let the SSRF-safe fetcher reach loopback (tests only)
    return {"FETCH_ALLOW_LOOPBACK": True}


def accept_policy(page, live_server) -> None:
    """The policy page comes first after a first sign-in; accepting it leads to the portal."""
    main = page.locator("body > main")
    expect(page).to_have_url(path_is(live_server, "/policy", query=True))
    expect(main.get_by_role("heading", level=1)).to_have_text(live_server.policy_title)
    main.get_by_role("button", name=ACCEPT, exact=True).click()
    expect(page).to_have_url(path_is(live_server, "/"))


def admin_signs_in(page, live_server) -> None:
    page.goto(live_server.url + "/login")
    page.get_by_label("Email", exact=True).fill(live_server.admin_email)
    page.get_by_label("Password", exact=True).fill(live_server.admin_password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    accept_policy(page, live_server)


def test_an_employee_signs_in_through_the_provider_into_the_mapped_group(
        live_server, open_tab, idp):  # noqa: F811
    live_server.add_group("Marketing")
    live_server.add_group("Sales")

    # --- the admin sets single sign-on up --------------------------------------------------
    admin = open_tab()
    page = admin.page
    admin_signs_in(page, live_server)
    page.goto(live_server.url + "/admin/domains")
    page.get_by_label("Email domain").fill("acme.example")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("@acme.example")).to_be_visible()

    page.get_by_role("button", name="Administration").click()
    page.get_by_role("link", name="Single sign-on", exact=True).click()
    expect(page).to_have_url(path_is(live_server, "/admin/sso"))
    expect(page.get_by_test_id("sso-status")).to_contain_text("Single sign-on is off.")
    expect(page.get_by_test_id("sso-redirect-uri")).to_have_text(
        live_server.url + "/login/sso/callback")
    form = page.get_by_test_id("sso-settings")
    form.get_by_label("Offer single sign-on on the sign-in page").check()
    form.get_by_label("Provider name, shown on the sign-in button").fill("Acme ID")
    form.get_by_label("Issuer URL").fill(idp.issuer)
    form.get_by_label("Client ID").fill(CLIENT_ID)
    form.get_by_label("Client secret").fill(CLIENT_SECRET)
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").filter(has_text="Single sign-on settings saved.")
           ).to_be_visible()
    expect(page.get_by_test_id("sso-status")).to_contain_text(
        "Single sign-on is on: the sign-in page offers “Sign in with Acme ID”.")

    page.get_by_role("button", name="Test the discovery").click()
    result = page.get_by_test_id("sso-test-result")
    expect(result).to_contain_text("The provider answered.")
    expect(result).to_contain_text("2 keys (RS256, ES256)")

    mapping = page.get_by_test_id("sso-mapping-form")
    mapping.get_by_label("Value in the groups claim").fill("acme-marketing")
    mapping.get_by_label("Relais group").select_option(label="Marketing (department)")
    mapping.get_by_role("button", name="Add the mapping").click()
    expect(page.get_by_test_id("sso-mappings")).to_contain_text("acme-marketing")
    expect(page.get_by_test_id("sso-mappings")).to_contain_text("Marketing")
    admin.assert_clean()
    admin.assert_styled()
    admin.screenshot("sso-admin.png")

    # --- Ada, who has no account, signs in with the provider on her phone ---------------------
    ada = open_tab(viewport=PHONE)
    page = ada.page
    page.goto(live_server.url + "/login")
    button = page.get_by_role("link", name="Sign in with Acme ID")
    expect(button).to_be_visible()
    assert button.bounding_box()["width"] <= PHONE["width"]  # fits the phone's screen
    ada.screenshot("sso-login-phone.png")
    button.click()
    # the provider approved her at once and sent the browser back; the policy comes first
    accept_policy(page, live_server)
    expect(page.locator("body > main").get_by_role("heading", level=1)).to_have_text(
        "Hello, Ada Lovelace")
    ada.assert_clean()
    ada.assert_styled()

    assert ("GET", "/realms/acme/protocol/openid-connect/auth") in idp.state.calls
    [request] = idp.state.authorize_requests
    assert request["code_challenge_method"] == "S256" and request["nonce"]
    assert request["redirect_uri"] == live_server.url + "/login/sso/callback"

    from app.accounts.models import Role, User, UserStatus
    from app.accounts.sso_models import SsoIdentity

    with live_server.app.app_context(), live_server.database.unit_of_work() as db:
        user = db.scalar(select(User).where(User.email == "ada@acme.example"))
        assert (user.name, user.role, user.status) == ("Ada Lovelace", Role.EMPLOYEE,
                                                       UserStatus.ACTIVE)
        assert [g.name for g in user.groups] == ["Marketing"]
        assert db.scalar(select(SsoIdentity.issuer).where(SsoIdentity.user_id == user.id)) \
            == idp.issuer

    # the admin finds her among the people, in Marketing
    page = admin.page
    page.goto(live_server.url + "/admin/people?q=ada")
    row = page.locator("tr", has_text="ada@acme.example")
    expect(row).to_contain_text("Ada Lovelace")
