"""Password reset through HTTP and a real SMTP server: a generic answer, a single-use and
expiring link, the password rules, and the old password no longer working."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.accounts.models import AccountToken, LoginThrottle, TokenPurpose, UserStatus
from app.audit.models import AuditEvent
from app.db import utcnow
from tests import factories
from tests.factories import PASSWORD

#: the forms validate addresses for real: ".test" is a reserved domain they refuse
EMAIL = "rita@acme.example"
NEW_PASSWORD = "lighthouse keeper 1987"
SENT = ("If an active account uses this address, we sent it a link to choose a new password. "
        "The link works for one hour.")
LINK = re.compile(r"http://relais\.test(/reset/([A-Za-z0-9_\-]+))")


def alerts(response) -> list[str]:
    html = response.get_data(as_text=True)
    found = re.findall(r'<div class="alert alert-(\w+)[^"]*" role="alert">(.*?)<button', html,
                       re.S)
    return [f"{kind}: {' '.join(text.split())}" for kind, text in found]


def ask_for_link(client, mail, email=EMAIL) -> str:
    response = client.post("/forgot-password", data={"email": email})
    assert response.status_code == 302
    message = mail.wait_for(email)
    match = LINK.search(message.get_body(("plain",)).get_content())
    assert match, "the email carries a reset link"
    return match.group(1)


def sign_in(client, password, email=EMAIL):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def user(db):
    return factories.UserFactory(email=EMAIL, name="Rita Hayworth", language="en")


def test_forgot_password_page_renders(client):
    response = client.get("/forgot-password")
    assert response.status_code == 200
    assert 'name="email"' in response.get_data(as_text=True)


def test_reset_request_sends_a_real_email_with_a_link(client, db, mail, user):
    response = client.post("/forgot-password", data={"email": EMAIL}, follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/login"
    assert alerts(response) == [f"info: {SENT}"]

    message = mail.wait_for(EMAIL)
    assert message["Subject"] == "Reset your Relais password"
    assert message["To"] == EMAIL
    text = message.get_body(("plain",)).get_content()
    assert "Hello Rita Hayworth," in text
    assert "60 minutes" in text
    path, token = LINK.search(text).groups()
    assert len(token) >= 40  # 256 random bits
    html = message.get_body(("html",)).get_content()
    assert path in html

    # only a hash of the token is stored
    db.expire_all()
    row = db.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert row.purpose == TokenPurpose.RESET
    assert token not in row.token_hash
    assert client.get(path).status_code == 200


def test_unknown_email_gets_the_same_answer_and_no_email(client, db, mail, user):
    known = client.post("/forgot-password", data={"email": EMAIL}, follow_redirects=True)
    mail.wait_for(EMAIL)
    unknown = client.post("/forgot-password", data={"email": "nobody@acme.example"},
                          follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert alerts(known) == alerts(unknown) == [f"info: {SENT}"]
    assert mail.to("nobody@acme.example") == []
    assert len(mail.messages) == 1
    db.expire_all()
    reasons = [e.details["email_known"] for e in db.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.reset_requested")
        .order_by(AuditEvent.id))]
    assert reasons == [True, False]


@pytest.mark.parametrize("status", [UserStatus.DEACTIVATED, UserStatus.INVITED])
def test_inactive_account_gets_the_same_answer_and_no_email(client, db, mail, status):
    factories.UserFactory(email="ivan@acme.example", status=status)
    response = client.post("/forgot-password", data={"email": "ivan@acme.example"},
                           follow_redirects=True)
    assert alerts(response) == [f"info: {SENT}"]
    assert mail.to("ivan@acme.example") == []


def test_invalid_email_is_refused_with_422(client, mail):
    response = client.post("/forgot-password", data={"email": "not an address"})
    assert response.status_code == 422
    assert "Invalid email address." in response.get_data(as_text=True)
    assert mail.messages == []


def test_reset_changes_the_password_once(client, db, mail, user):
    path = ask_for_link(client, mail)
    form = client.get(path)
    assert form.status_code == 200
    assert 'name="password"' in form.get_data(as_text=True)

    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"

    # the old password fails, the new one works
    assert sign_in(client, PASSWORD).status_code == 200
    assert sign_in(client, NEW_PASSWORD).status_code == 302
    db.expire_all()
    assert user.session_version == 2
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "auth.password_reset",
                                              AuditEvent.target_id == user.id)) is not None

    # the link worked once
    again = client.get(path)
    assert again.status_code == 404
    assert "This link is no longer valid" in again.get_data(as_text=True)
    post_again = client.post(path, data={"password": "yet another passphrase",
                                         "confirm": "yet another passphrase"})
    assert post_again.status_code == 404
    client.post("/logout")
    assert sign_in(client, NEW_PASSWORD).status_code == 302


def test_reset_ends_existing_sessions(app, client, db, mail, user):
    elsewhere = app.test_client()
    assert sign_in(elsewhere, PASSWORD).status_code == 302
    assert elsewhere.get("/").status_code == 200
    path = ask_for_link(client, mail)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    response = elsewhere.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_reset_clears_a_lock(app, client, db, mail, user):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(client, "wrong password here")
    db.expire_all()
    assert db.get(LoginThrottle, (user.id, "127.0.0.1")).locked_until is not None
    path = ask_for_link(client, mail)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert sign_in(client, NEW_PASSWORD).status_code == 302


def test_expired_link_is_refused(app, client, db, mail, user):
    path = ask_for_link(client, mail)
    ttl = timedelta(minutes=app.config["PASSWORD_RESET_TTL_MINUTES"])
    with time_machine.travel(utcnow() + ttl - timedelta(minutes=1), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(utcnow() + ttl + timedelta(seconds=1), tick=False):
        response = client.get(path)
        assert response.status_code == 404
        assert "This link is no longer valid" in response.get_data(as_text=True)
        response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 404
    assert sign_in(client, PASSWORD).status_code == 302  # the password did not change


def test_a_new_request_revokes_the_previous_link(client, db, mail, user):
    first = ask_for_link(client, mail)
    mail.clear()
    second = ask_for_link(client, mail)
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


@pytest.mark.parametrize("token", ["not-a-token", "x" * 300])
def test_made_up_token_is_refused(client, token):
    response = client.get(f"/reset/{token}")
    assert response.status_code == 404
    assert "This link is no longer valid" in response.get_data(as_text=True)


@pytest.mark.parametrize("password, confirm, error", [
    ("short", "short", "Use at least 12 characters."),
    ("password1234", "password1234", "This password is too easy to guess."),
    ("rita hayworth forever", "rita hayworth forever", "This password is too easy to guess."),
    (NEW_PASSWORD, NEW_PASSWORD + "x", "The passwords differ."),
    ("", "", "This field is required."),
])
def test_weak_or_mismatched_password_is_refused_and_the_link_still_works(
        client, db, mail, user, password, confirm, error):
    path = ask_for_link(client, mail)
    response = client.post(path, data={"password": password, "confirm": confirm})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert error in html
    assert 'name="password"' in html
    db.expire_all()
    assert user.session_version == 1
    # nothing changed: the old password still works, the link is still good
    assert sign_in(client, PASSWORD).status_code == 302
    client.post("/logout")
    assert client.post(path, data={"password": NEW_PASSWORD,
                                   "confirm": NEW_PASSWORD}).status_code == 302
    assert sign_in(client, NEW_PASSWORD).status_code == 302


def test_deactivated_after_the_request_the_link_stops_working(app, client, db, mail, user):
    from tests.conftest import Auth

    path = ask_for_link(client, mail)
    admin = app.test_client()
    Auth(admin, db).as_role("admin")
    assert admin.post(f"/admin/people/{user.id}/status", data={"active": "0"}).status_code == 302
    assert client.get(path).status_code == 404
