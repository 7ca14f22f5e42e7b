"""Accepting an invitation through HTTP: the admin invites (a real email goes out), the
invitee follows the link, chooses a password and is signed in; the link works once,
expires, and stops working when the admin revokes it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.accounts.models import Role, User, UserStatus
from app.audit.models import AuditEvent
from app.db import utcnow
from tests import factories
from tests.conftest import Auth
from tests.factories import PASSWORD

#: the forms validate addresses for real: ".test" is a reserved domain they refuse
INVITEE = "nora@acme.example"
CHOSEN = "a quiet morning walk"
LINK = re.compile(r"http://relais\.test(/invitation/([A-Za-z0-9_\-]+))")


@pytest.fixture
def admin_client(app, db):
    admin_client = app.test_client()
    Auth(admin_client, db).as_role(Role.ADMIN, email="boss@acme.test")
    return admin_client


def invite(admin_client, mail, email=INVITEE, name="Nora Batty") -> str:
    """The admin invites someone; returns the path of the link in the email."""
    response = admin_client.post("/admin/invite", data={
        "one-email": email, "one-name": name, "one-role": "employee", "one-language": "en",
        "one-manager_id": "0"})
    assert response.status_code == 302, response.get_data(as_text=True)
    message = mail.wait_for(email)
    assert message["Subject"] == "You are invited to join Relais"
    match = LINK.search(message.get_body(("plain",)).get_content())
    assert match, "the email carries an invitation link"
    return match.group(1)


def invitee(db, email=INVITEE) -> User:
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


def accept(client, path, password=CHOSEN, confirm=None, name="Nora B."):
    return client.post(path, data={"name": name, "password": password,
                                   "confirm": password if confirm is None else confirm})


def test_invitation_link_shows_the_form(client, admin_client, db, mail):
    path = invite(admin_client, mail)
    assert invitee(db).status == UserStatus.INVITED
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Welcome to Relais" in html
    assert INVITEE in html
    assert 'value="Nora Batty"' in html  # the name is filled in
    assert 'name="password"' in html and 'name="confirm"' in html


def test_accepting_activates_signs_in_and_goes_to_the_portal(client, admin_client, db, mail):
    path = invite(admin_client, mail)
    response = accept(client, path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"

    user = invitee(db)
    assert user.status == UserStatus.ACTIVE
    assert user.name == "Nora B."
    assert user.password_hash and CHOSEN not in user.password_hash

    home = client.get("/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert "Welcome to Relais, Nora B.!" in html
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.invitation_accepted",
                                              AuditEvent.target_id == user.id)) is not None

    # and the chosen password works from another browser
    other = client.application.test_client()
    assert other.post("/login", data={"email": INVITEE,
                                      "password": CHOSEN}).status_code == 302


def test_accepting_with_a_policy_leads_to_the_policy(client, admin_client, db, mail):
    path = invite(admin_client, mail)
    factories.PolicyFactory()  # published after the invitation (the admin has not accepted it)
    response = client.post(path, data={"name": "Nora", "password": CHOSEN, "confirm": CHOSEN},
                           follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/policy"


def test_accepting_starts_a_new_session(client, admin_client, db, mail):
    path = invite(admin_client, mail)
    client.get(path)
    with client.session_transaction() as session:
        session["planted"] = "attacker value"
    accept(client, path)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{invitee(db).id}:")  # id:version:token


def test_mismatched_passwords_are_refused_with_422(client, admin_client, db, mail):
    path = invite(admin_client, mail)
    response = accept(client, path, confirm=CHOSEN + "!")
    assert response.status_code == 422
    assert "The passwords differ." in response.get_data(as_text=True)
    assert invitee(db).status == UserStatus.INVITED
    assert client.get("/").status_code == 302  # not signed in
    assert client.get(path).status_code == 200  # the link still works


@pytest.mark.parametrize("password, error", [
    ("short", "Use at least 12 characters."),
    ("password1234", "This password is too easy to guess."),
])
def test_weak_password_is_refused_with_422(client, admin_client, db, mail, password, error):
    path = invite(admin_client, mail)
    response = accept(client, path, password=password)
    assert response.status_code == 422
    assert error in response.get_data(as_text=True)
    user = invitee(db)
    assert user.status == UserStatus.INVITED
    assert user.password_hash is None


def test_the_link_works_once(app, client, admin_client, db, mail):
    path = invite(admin_client, mail)
    assert accept(client, path).status_code == 302
    stranger = app.test_client()
    response = stranger.get(path)
    assert response.status_code == 404
    assert "This link is no longer valid" in response.get_data(as_text=True)
    response = accept(stranger, path, password="an attacker passphrase")
    assert response.status_code == 404
    assert stranger.get("/").status_code == 302
    # the password stayed the one chosen the first time
    assert stranger.post("/login", data={"email": INVITEE,
                                         "password": CHOSEN}).status_code == 302


def test_expired_invitation_is_refused(app, client, admin_client, db, mail):
    path = invite(admin_client, mail)
    ttl = timedelta(hours=app.config["INVITATION_TTL_HOURS"])
    with time_machine.travel(utcnow() + ttl - timedelta(minutes=1), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(utcnow() + ttl + timedelta(seconds=1), tick=False):
        response = client.get(path)
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert "This link is no longer valid" in html
        assert "Ask your administrator to send a new invitation." in html
        assert accept(client, path).status_code == 404
    assert invitee(db).status == UserStatus.INVITED


def test_revoked_invitation_is_refused(client, admin_client, db, mail):
    path = invite(admin_client, mail)
    user = invitee(db)
    response = admin_client.post(f"/admin/invitations/{user.id}/revoke")
    assert response.status_code == 302
    response = client.get(path)
    assert response.status_code == 404
    assert "This link is no longer valid" in response.get_data(as_text=True)
    assert accept(client, path).status_code == 404
    assert invitee(db).status == UserStatus.INVITED


def test_resending_replaces_the_link(client, admin_client, db, mail):
    first = invite(admin_client, mail)
    mail.clear()
    user = invitee(db)
    assert admin_client.post(f"/admin/invitations/{user.id}/resend").status_code == 302
    second = LINK.search(mail.wait_for(INVITEE).get_body(("plain",)).get_content()).group(1)
    assert second != first
    assert client.get(first).status_code == 404
    assert accept(client, second).status_code == 302


def test_deactivated_invitee_cannot_accept(client, admin_client, db, mail):
    path = invite(admin_client, mail)
    user = invitee(db)
    assert admin_client.post(f"/admin/people/{user.id}/status",
                             data={"active": "0"}).status_code == 302
    assert client.get(path).status_code == 404


def test_made_up_token_is_refused(client):
    response = client.get("/invitation/not-a-real-token")
    assert response.status_code == 404
    assert "This link is no longer valid" in response.get_data(as_text=True)


def test_reset_token_is_not_an_invitation(client, db, mail):
    """A password-reset link cannot be replayed on the invitation page."""
    factories.UserFactory(email="olga@acme.example")
    client.post("/forgot-password", data={"email": "olga@acme.example"})
    token = re.search(r"/reset/([A-Za-z0-9_\-]+)",
                      mail.wait_for("olga@acme.example").get_body(("plain",)).get_content())
    assert client.get(f"/invitation/{token.group(1)}").status_code == 404


def test_accepting_while_someone_else_is_signed_in_switches_person(app, admin_client, db,
                                                                  mail):
    """On a shared computer, the previous person's remember-me cookie must not survive."""
    path = invite(admin_client, mail)
    browser = app.test_client()
    factories.UserFactory(email="previous@acme.example")
    assert browser.post("/login", data={"email": "previous@acme.example", "password": PASSWORD,
                                        "remember": "y"}).status_code == 302
    assert browser.get_cookie("remember_token") is not None

    assert accept(browser, path).status_code == 302
    with browser.session_transaction() as session:
        assert session["_user_id"].startswith(f"{invitee(db).id}:")  # id:version:token
    assert browser.get_cookie("remember_token") is None
    browser.delete_cookie("session")
    assert browser.get("/").status_code == 302  # nobody is signed in any more
