""""Password login disabled for SSO users": people linked to the provider cannot sign in
or reset a password with a password, and are told to use the provider; everybody else,
and everybody while the setting or single sign-on is off, keeps their password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import sso_services
from app.accounts.models import AccountToken, TokenPurpose
from app.accounts.tokens import issue_token
from tests.factories import PASSWORD, UserFactory
from tests.factories_sso import SsoIdentityFactory, SsoSettingsFactory, bind, events
from tests.fake_idp import fake_idp_server, idp  # noqa: F401

EMAIL = "rita@acme.example"
SSO_MESSAGE = "Your account signs in with Acme ID: use the “Sign in with Acme ID” button."
GENERIC_FAILURE = "Wrong email or password, or the account cannot sign in."


@pytest.fixture
def app_overrides(idp):  # noqa: F811
    return idp.config()


@pytest.fixture
def rita(db, idp):  # noqa: F811
    """Rita has a password and is linked to the provider."""
    bind(db)
    user = UserFactory(email=EMAIL, name="Rita Hayworth")
    SsoIdentityFactory(user_id=user.id, issuer=idp.issuer, subject="rita-at-acme-id")
    return user


def password_only_for_sso_people(db, on: bool = True) -> None:
    bind(db)
    SsoSettingsFactory(password_login_disabled=on)


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def login(client, email=EMAIL, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def test_a_linked_person_is_sent_to_the_provider(app, db, client, rita):
    password_only_for_sso_people(db)
    response = login(client)
    assert response.status_code == 200
    assert SSO_MESSAGE in text(response)
    assert "Sign in with Acme ID" in text(response)
    assert not signed_in(client)
    [failed] = events(db, "auth.login_failed")
    assert (failed.target_id, failed.details) == (rita.id, {"reason": "sso_required"})
    assert events(db, "auth.login") == []
    db.refresh(rita)
    assert rita.last_login_at is None


def test_a_wrong_password_says_nothing_about_single_sign_on(app, db, client, rita):
    password_only_for_sso_people(db)
    response = login(client, password="not the password")
    assert GENERIC_FAILURE in text(response)
    assert SSO_MESSAGE not in text(response)
    db.refresh(rita)
    assert rita.failed_logins == 1  # the lock still counts
    assert events(db, "auth.login_failed")[0].details == {"reason": "bad_password"}


def test_with_the_setting_off_a_linked_person_keeps_their_password(app, db, client, rita):
    password_only_for_sso_people(db, on=False)
    response = login(client)
    assert response.status_code == 302
    assert signed_in(client)


def test_people_not_linked_keep_their_password(app, db, client, rita):
    password_only_for_sso_people(db)
    UserFactory(email="bob@acme.example")
    assert login(client, "bob@acme.example").status_code == 302


def test_nobody_is_locked_out_while_single_sign_on_is_off(db, rita):
    on = sso_services.SsoConfig(enabled=True, issuer="https://id.acme.example", client_id="c",
                                client_secret="s", password_login_disabled=True)
    assert sso_services.is_sso_only(db, on, rita)
    for off in (sso_services.SsoConfig(enabled=False, issuer="https://id.acme.example",
                                       client_id="c", client_secret="s",
                                       password_login_disabled=True),
                sso_services.SsoConfig(enabled=True, issuer="https://id.acme.example",
                                       client_id="c", client_secret="",
                                       password_login_disabled=True)):
        assert not sso_services.is_sso_only(db, off, rita)


def test_a_reset_request_gets_an_email_pointing_to_the_provider(app, db, client, mail, rita):
    password_only_for_sso_people(db)
    response = client.post("/forgot-password", data={"email": EMAIL}, follow_redirects=True)
    # the page says the same as for anybody: nobody learns how an address signs in
    assert "If an active account uses this address, we sent it a link" in text(response)
    message = mail.wait_for(EMAIL)
    assert message["Subject"] == "Your Relais account uses Acme ID"
    body = message.get_body(("plain",)).get_content()
    assert "Your account signs in with Acme ID" in body
    assert "http://relais.test/login" in body
    assert "/reset/" not in body
    assert db.scalar(select(AccountToken).where(AccountToken.user_id == rita.id)) is None
    assert events(db, "auth.reset_refused")[0].details == {"reason": "sso_required"}


def test_others_still_get_a_reset_link(app, db, client, mail, rita):
    password_only_for_sso_people(db)
    UserFactory(email="bob@acme.example")
    client.post("/forgot-password", data={"email": "bob@acme.example"})
    body = mail.wait_for("bob@acme.example").get_body(("plain",)).get_content()
    assert re.search(r"http://relais\.test/reset/[A-Za-z0-9_-]+", body)


def test_a_reset_link_sent_before_the_rule_no_longer_works(app, db, client, rita):
    token = issue_token(db, rita, TokenPurpose.RESET, timedelta(hours=1))
    password_only_for_sso_people(db)
    response = client.get(f"/reset/{token}")
    assert response.status_code == 403
    assert SSO_MESSAGE in text(response)
    response = client.post(f"/reset/{token}", data={"password": "a brand new passphrase",
                                                    "confirm": "a brand new passphrase"})
    assert response.status_code == 403
    db.expire_all()
    row = db.scalar(select(AccountToken).where(AccountToken.user_id == rita.id))
    assert row.used_at is None
    assert login(client).status_code == 200  # the old password still cannot sign in
