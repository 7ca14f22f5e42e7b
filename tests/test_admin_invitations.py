"""Invitations over HTTP: invite one person or many, resend, revoke, the invitations page.

Every email goes through the real local SMTP server (the ``mail`` fixture); the link in
it is followed like the invitee would. Addresses use ``acme.example``: ``.test`` is a
special-use domain that the email validator refuses.
"""

from __future__ import annotations

import re
from datetime import timedelta

from markupsafe import escape
from sqlalchemy import select

from app.accounts.models import AccountToken, Role, TokenPurpose, User, UserStatus
from app.audit.models import AuditEvent
from app.db import utcnow
from tests.factories import GroupFactory, UserFactory

LINK = re.compile(r"http://relais\.test(/invitation/[A-Za-z0-9_\-]+)")


def events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def html(response) -> str:
    return response.get_data(as_text=True)


def invitation_path(message) -> str:
    text = message.get_body(("plain",)).get_content()
    found = LINK.findall(text)
    assert found, text
    return found[-1]


def wait_for_count(mail, address: str, count: int, timeout: float = 5.0) -> list:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = mail.to(address)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} emails to {address}, got {len(mail.to(address))}")


def user(db, email: str) -> User | None:
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


def invite_one(client, email: str, **fields):
    data = {"mode": "one", "one-email": email, "one-name": "", "one-role": "employee",
            "one-language": "en", "one-manager_id": "0"}
    data.update({f"one-{k}": v for k, v in fields.items()})
    return client.post("/admin/invite", data=data)


def invite_many(client, text: str, **fields):
    data = {"mode": "many", "many-emails": text, "many-role": "employee",
            "many-language": "en"}
    data.update({f"many-{k}": v for k, v in fields.items()})
    return client.post("/admin/invite", data=data)


def test_invite_page_shows_both_forms(client, auth):
    auth.as_role("admin")
    response = client.get("/admin/invite")
    assert response.status_code == 200
    page = html(response)
    assert 'name="one-email"' in page and 'name="many-emails"' in page
    assert 'value="one"' in page and 'value="many"' in page


def test_invite_one_sends_a_working_link(client, auth, db, mail, app):
    admin = auth.as_role("admin")
    boss = UserFactory(name="Bella Boss")
    group = GroupFactory(name="Berlin Office")

    response = invite_one(client, " Ada@ACME.example ", name="Ada Lovelace", role="manager",
                          manager_id=str(boss.id), group_ids=[str(group.id)])

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/invitations")
    assert "Invitation sent to ada@acme.example." in html(client.get("/admin/invitations"))
    ada = user(db, "ada@acme.example")
    assert ada is not None
    assert ada.status == UserStatus.INVITED
    assert ada.name == "Ada Lovelace"
    assert ada.role == Role.MANAGER
    assert ada.manager_id == boss.id
    assert [g.id for g in ada.groups] == [group.id]
    assert ada.password_hash is None
    [invited] = events(db, "user.invited")
    assert invited.actor_id == admin.id and invited.target_id == ada.id
    assert invited.details == {"email": "ada@acme.example", "role": "manager"}

    message = mail.wait_for("ada@acme.example")
    assert message["Subject"] == "You are invited to join Relais"
    assert "Hello Ada Lovelace" in message.get_body(("plain",)).get_content()
    path = invitation_path(message)
    token = db.scalar(select(AccountToken).where(AccountToken.user_id == ada.id))
    assert token.purpose == TokenPurpose.INVITE and token.created_by_id == admin.id
    assert path.split("/")[-1] not in token.token_hash  # only a digest is stored
    assert token.expires_at - token.created_at == timedelta(
        hours=app.config["INVITATION_TTL_HOURS"])

    auth.logout()
    landing = client.get(path)
    assert landing.status_code == 200
    assert "Ada Lovelace" in html(landing)


def test_invitation_email_is_in_the_invitees_language(client, auth, db, mail):
    auth.as_role("admin")
    invite_one(client, "marie@acme.example", name="Marie Curie", language="fr")
    message = mail.wait_for("marie@acme.example")
    assert message["Subject"] == "Invitation à rejoindre Relais"
    assert user(db, "marie@acme.example").language == "fr"


def test_invite_without_a_name_uses_the_address(client, auth, db, mail):
    auth.as_role("admin")
    invite_one(client, "grace.hopper@acme.example")
    assert user(db, "grace.hopper@acme.example").name == "grace.hopper"
    mail.wait_for("grace.hopper@acme.example")


def test_inviting_an_active_person_is_refused(client, auth, db, mail):
    auth.as_role("admin")
    UserFactory(email="taken@acme.example", name="Already Here")

    response = invite_one(client, "TAKEN@acme.example")

    assert response.status_code == 422
    assert "taken@acme.example already has an account." in html(response)
    assert mail.to("taken@acme.example") == []
    assert events(db, "user.invited") == []


def test_inviting_a_bad_address_is_refused(client, auth, db):
    auth.as_role("admin")
    response = invite_one(client, "not-an-address")
    assert response.status_code == 422
    assert "Enter a valid email address." in html(response)
    assert user(db, "not-an-address") is None


def test_inviting_an_invited_person_again_resends(client, auth, db, mail):
    auth.as_role("admin")
    invite_one(client, "again@acme.example", name="Sam Again")
    first = invitation_path(mail.wait_for("again@acme.example"))
    mail.clear()

    response = invite_one(client, "again@acme.example", name="Other Name")

    assert response.status_code == 302
    second = invitation_path(mail.wait_for("again@acme.example"))
    assert second != first
    db.expire_all()
    assert db.scalars(select(User).where(User.email == "again@acme.example")).all() \
        and user(db, "again@acme.example").name == "Sam Again"
    assert len(events(db, "user.invited")) == 1
    assert len(events(db, "user.invitation_resent")) == 1
    auth.logout()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_invite_many_invites_good_lines_and_reports_bad_ones(client, auth, db, mail):
    auth.as_role("admin")
    UserFactory(email="exists@acme.example")
    group = GroupFactory(name="Lyon Site")
    text = "\n".join([
        "alice@acme.example, Alice Martin",
        "bob@acme.example;Bob Bernard",
        "",
        "carol@acme.example\tCarol Chen",
        "dave@acme.example",
        "not an email, Broken Line",
        "exists@acme.example, Already Here",
    ])

    response = invite_many(client, text, role="curator", language="fr",
                           group_ids=[str(group.id)])

    assert response.status_code == 200
    page = html(response)
    assert "4 invitation(s) sent." in page
    assert "These lines were not invited:" in page
    assert "not an email" in page and "Enter a valid email address." in page
    assert "exists@acme.example" in page and "already has an account" in page
    expected = {"alice@acme.example": "Alice Martin", "bob@acme.example": "Bob Bernard",
                "carol@acme.example": "Carol Chen", "dave@acme.example": "dave"}
    for email, name in expected.items():
        person = user(db, email)
        assert person.status == UserStatus.INVITED
        assert person.name == name
        assert person.role == Role.CURATOR and person.language == "fr"
        assert [g.id for g in person.groups] == [group.id]
        assert invitation_path(mail.wait_for(email))
    assert len(events(db, "user.invited")) == 4
    assert mail.to("exists@acme.example") == []


def test_invite_many_with_only_good_lines_redirects(client, auth, db, mail):
    auth.as_role("admin")
    response = invite_many(client, "one@acme.example, One\ntwo@acme.example, Two\n")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/invitations")
    assert "2 invitation(s) sent." in html(client.get("/admin/invitations"))
    mail.wait_for("one@acme.example")
    mail.wait_for("two@acme.example")


def test_invite_many_with_a_duplicate_line_invites_once(client, auth, db, mail):
    auth.as_role("admin")
    invite_many(client, "dup@acme.example, Dup\ndup@acme.example, Dup Again\n")
    db.expire_all()
    assert len(db.scalars(select(User).where(User.email == "dup@acme.example")).all()) == 1
    # the second line re-sent the invitation: two emails, only the newest link works
    assert len(events(db, "user.invitation_resent")) == 1
    messages = wait_for_count(mail, "dup@acme.example", 2)
    first, second = (invitation_path(m) for m in messages)
    auth.logout()
    assert {client.get(first).status_code, client.get(second).status_code} == {200, 404}


def test_invite_many_refuses_empty_and_oversized_lists(client, auth, db):
    auth.as_role("admin")
    empty = invite_many(client, "  \n \n")
    assert empty.status_code == 422
    too_many = invite_many(client, "\n".join(f"p{i}@acme.example" for i in range(501)))
    assert too_many.status_code == 422
    assert "Invite at most 500 people at once" in html(too_many)
    db.expire_all()
    assert db.scalar(select(User).where(User.email == "p0@acme.example")) is None


def test_resend_creates_a_new_token_and_the_old_link_stops_working(client, auth, db, mail):
    auth.as_role("admin")
    invite_one(client, "resend@acme.example", name="Rae Send")
    old = invitation_path(mail.wait_for("resend@acme.example"))
    person = user(db, "resend@acme.example")
    mail.clear()

    response = client.post(f"/admin/invitations/{person.id}/resend", follow_redirects=True)

    assert response.status_code == 200
    assert "A new invitation is on its way to resend@acme.example." in html(response)
    new = invitation_path(mail.wait_for("resend@acme.example"))
    assert new != old
    db.expire_all()
    tokens = db.scalars(select(AccountToken).where(AccountToken.user_id == person.id)
                        .order_by(AccountToken.id)).all()
    assert len(tokens) == 2
    assert tokens[0].revoked_at is not None and tokens[1].revoked_at is None
    assert len(events(db, "user.invitation_resent")) == 1
    auth.logout()
    assert client.get(old).status_code == 404
    assert "invitation" in html(client.get(old)).lower()
    assert client.get(new).status_code == 200


def test_resend_to_someone_who_joined_is_refused(client, auth, db, mail):
    auth.as_role("admin")
    person = UserFactory(email="joined@acme.example")
    response = client.post(f"/admin/invitations/{person.id}/resend")
    assert response.status_code == 303
    assert "joined@acme.example has already joined." in html(client.get(response.headers[
        "Location"]))
    assert mail.to("joined@acme.example") == []


def test_revoke_makes_the_link_404(client, auth, db, mail):
    admin = auth.as_role("admin")
    invite_one(client, "revoke@acme.example", name="Rev Oke")
    path = invitation_path(mail.wait_for("revoke@acme.example"))
    person = user(db, "revoke@acme.example")

    response = client.post(f"/admin/invitations/{person.id}/revoke", follow_redirects=True)

    assert response.status_code == 200
    assert "The invitation for revoke@acme.example no longer works." in html(response)
    assert "revoked" in html(response)
    [revoked] = events(db, "user.invitation_revoked")
    assert revoked.actor_id == admin.id and revoked.target_id == person.id
    auth.logout()
    assert client.get(path).status_code == 404
    # a POST with the old link cannot set a password either
    post = client.post(path, data={"name": "Rev", "password": "a long enough password",
                                   "confirm": "a long enough password"})
    assert post.status_code == 404
    assert user(db, "revoke@acme.example").status == UserStatus.INVITED


def test_revoke_for_someone_who_joined_is_refused(client, auth, db):
    auth.as_role("admin")
    person = UserFactory()
    response = client.post(f"/admin/invitations/{person.id}/revoke")
    assert response.status_code == 303
    assert str(escape(f"{person.email} has already joined.")) in html(
        client.get(response.headers["Location"]))


def test_unknown_person_is_404(client, auth):
    auth.as_role("admin")
    assert client.post("/admin/invitations/99999/resend").status_code == 404
    assert client.post("/admin/invitations/99999/revoke").status_code == 404


def test_invitations_page_lists_invited_people_with_status(client, auth, db, mail):
    auth.as_role("admin")
    invite_one(client, "waiting@acme.example", name="Wanda Waiting")
    invite_one(client, "revoked@acme.example", name="Rick Revoked")
    revoked = user(db, "revoked@acme.example")
    client.post(f"/admin/invitations/{revoked.id}/revoke")
    expired = UserFactory(name="Ed Expired", status=UserStatus.INVITED, password_hash=None)
    past = utcnow() - timedelta(days=1)
    db.add(AccountToken(user_id=expired.id, purpose=TokenPurpose.INVITE, token_hash="e" * 64,
                        created_at=past - timedelta(days=3), expires_at=past))
    UserFactory(name="Nina Notsent", status=UserStatus.INVITED, password_hash=None)
    UserFactory(name="Jo Joined")
    db.flush()

    response = client.get("/admin/invitations")

    assert response.status_code == 200
    page = html(response)
    assert "(4)" in page
    assert "Jo Joined" not in page

    def row(name):
        start = page.index(name)
        return page[start:page.index("</tr>", start)]

    assert "waiting" in row("Wanda Waiting") and "Revoke" in row("Wanda Waiting")
    assert "revoked" in row("Rick Revoked") and "Revoke<" not in row("Rick Revoked")
    assert "expired" in row("Ed Expired")
    assert "not sent" in row("Nina Notsent")
    for name in ("Wanda Waiting", "Rick Revoked", "Ed Expired", "Nina Notsent"):
        assert "Resend" in row(name)


def test_invitations_page_is_empty_when_everyone_joined(client, auth):
    auth.as_role("admin")
    page = html(client.get("/admin/invitations"))
    assert "No open invitation" in page


def test_accepted_invitation_leaves_the_list(client, auth, db, mail):
    auth.as_role("admin")
    invite_one(client, "joins@acme.example", name="Jay Joins")
    path = invitation_path(mail.wait_for("joins@acme.example"))
    auth.logout()
    accepted = client.post(path, data={"name": "Jay Joins", "password": "a long enough pass 1",
                                       "confirm": "a long enough pass 1"})
    assert accepted.status_code == 302
    assert user(db, "joins@acme.example").status == UserStatus.ACTIVE
    auth.as_role("admin")
    page = html(client.get("/admin/invitations"))
    assert "No open invitation" in page and "joins@acme.example" not in page
    # and the link cannot be used a second time
    auth.logout()
    assert client.get(path).status_code == 404


def test_employees_cannot_invite(client, auth, db, mail):
    auth.as_role("employee")
    response = invite_one(client, "sneaky@acme.example")
    assert response.status_code == 403
    assert user(db, "sneaky@acme.example") is None
    assert mail.to("sneaky@acme.example") == []
