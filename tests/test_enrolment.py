"""Self-enrolment over HTTP: asking to join from an allowed domain, and the admin's
decision (approve → invitation email, reject → rejection email)."""

from __future__ import annotations

import re

from markupsafe import escape
from sqlalchemy import select

from app.accounts.models import (
    AllowedDomain,
    EnrolmentRequest,
    EnrolmentStatus,
    Role,
    User,
    UserStatus,
)
from app.audit.models import AuditEvent
from tests.factories import UserFactory

LINK = re.compile(r"http://relais\.test(/invitation/[A-Za-z0-9_\-]+)")


def html(response) -> str:
    return response.get_data(as_text=True)


def events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def requests(db) -> list[EnrolmentRequest]:
    db.expire_all()
    return list(db.scalars(select(EnrolmentRequest).order_by(EnrolmentRequest.id)))


def allow(db, domain: str = "acme.example") -> AllowedDomain:
    row = AllowedDomain(domain=domain)
    db.add(row)
    db.flush()
    return row


def join(client, email: str, name: str = "Jo Joiner", message: str = ""):
    return client.post("/join", data={"email": email, "name": name, "message": message})


def test_join_page_shows_the_form(client):
    response = client.get("/join")
    assert response.status_code == 200
    page = html(response)
    assert 'name="email"' in page and 'name="name"' in page and 'name="message"' in page


def test_join_with_an_allowed_domain_creates_a_pending_request(client, db):
    allow(db)

    response = join(client, "Jo.Joiner@ACME.example", "  Jo Joiner ", "I run our blog.")

    assert response.status_code == 200
    assert "Thank you" in html(response)
    [req] = requests(db)
    assert req.email == "jo.joiner@acme.example"
    assert req.name == "Jo Joiner"
    assert req.message == "I run our blog."
    assert req.status == EnrolmentStatus.PENDING
    assert req.decided_at is None
    [requested] = events(db, "enrolment.requested")
    assert requested.actor_id is None and requested.details == {"email": "jo.joiner@acme.example"}
    # nobody gets an account before an admin approves
    assert db.scalar(select(User).where(User.email == "jo.joiner@acme.example")) is None


def test_the_answer_is_the_same_whether_the_address_has_an_account_or_not(client, db):
    allow(db)
    UserFactory(email="known@acme.example")

    unknown = join(client, "unknown@acme.example")
    known = join(client, "known@acme.example")

    assert unknown.status_code == known.status_code == 200
    assert html(unknown) == html(known)
    assert [r.email for r in requests(db)] == ["unknown@acme.example"]
    assert len(events(db, "enrolment.duplicate")) == 1


def test_asking_twice_keeps_one_pending_request(client, db):
    allow(db)
    first = join(client, "twice@acme.example")
    second = join(client, "twice@acme.example", "Other Name")
    assert html(first) == html(second)
    assert len(requests(db)) == 1


def test_a_domain_not_on_the_list_is_refused_clearly(client, db):
    allow(db)

    response = join(client, "someone@elsewhere.example")

    assert response.status_code == 422
    assert str(escape("Self-enrolment is not open for elsewhere.example addresses. Ask your "
                      "administrator for an invitation.")) in html(response)
    assert requests(db) == []


def test_enrolment_is_closed_without_any_domain(client, db):
    response = join(client, "someone@acme.example")
    assert response.status_code == 422
    assert "Self-enrolment is not open for acme.example addresses" in html(response)
    assert requests(db) == []


def test_join_form_validation(client, db):
    allow(db)
    assert join(client, "not-an-email").status_code == 422
    assert join(client, "ok@acme.example", name="").status_code == 422
    assert requests(db) == []


def _pending(client, db, email="new.person@acme.example", name="Nora New"):
    allow(db)
    join(client, email, name)
    [req] = [r for r in requests(db) if r.email == email]
    return req


def test_admin_sees_pending_requests(client, auth, db):
    req = _pending(client, db)
    auth.as_role("admin")

    page = html(client.get("/admin/enrolments"))

    assert "Nora New" in page and "new.person@acme.example" in page
    assert f"/admin/enrolments/{req.id}" in page
    assert "Approve" in page and "Reject" in page
    assert "No request here." in html(client.get("/admin/enrolments?status=rejected"))
    # an unknown status falls back to the pending tab
    assert "Nora New" in html(client.get("/admin/enrolments?status=bogus"))


def test_approve_invites_the_person_by_email(client, auth, db, mail):
    req = _pending(client, db)
    admin = auth.as_role("admin")

    response = client.post(f"/admin/enrolments/{req.id}", data={"decision": "approve"},
                           follow_redirects=True)

    assert response.status_code == 200
    assert "Approved: an invitation is on its way to new.person@acme.example." in html(response)
    db.expire_all()
    req = db.get(EnrolmentRequest, req.id)
    assert req.status == EnrolmentStatus.APPROVED
    assert req.decided_by_id == admin.id and req.decided_at is not None
    person = db.scalar(select(User).where(User.email == "new.person@acme.example"))
    assert person.status == UserStatus.INVITED
    assert person.name == "Nora New" and person.role == Role.EMPLOYEE
    assert len(events(db, "enrolment.approved")) == 1
    assert len(events(db, "user.invited")) == 1
    message = mail.wait_for("new.person@acme.example")
    assert message["Subject"] == "You are invited to join Relais"
    path = LINK.search(message.get_body(("plain",)).get_content()).group(1)
    auth.logout()
    assert client.get(path).status_code == 200
    # the request moved to the approved tab
    auth.login(admin)
    assert "Nora New" in html(client.get("/admin/enrolments?status=approved"))
    assert "Nora New" not in html(client.get("/admin/enrolments"))


def test_reject_sends_a_rejection_email(client, auth, db, mail):
    req = _pending(client, db, "reject.me@acme.example", "Rory Reject")
    admin = auth.as_role("admin")

    response = client.post(f"/admin/enrolments/{req.id}", data={"decision": "reject"},
                           follow_redirects=True)

    assert "Request rejected." in html(response)
    db.expire_all()
    req = db.get(EnrolmentRequest, req.id)
    assert req.status == EnrolmentStatus.REJECTED and req.decided_by_id == admin.id
    assert db.scalar(select(User).where(User.email == "reject.me@acme.example")) is None
    message = mail.wait_for("reject.me@acme.example")
    assert message["Subject"] == "Your request to join Relais"
    text = message.get_body(("plain",)).get_content()
    assert "Hello Rory Reject" in text and "not approved" in text
    assert "/invitation/" not in text
    assert len(events(db, "enrolment.rejected")) == 1


def test_deciding_twice_is_refused(client, auth, db, mail):
    req = _pending(client, db)
    auth.as_role("admin")
    client.post(f"/admin/enrolments/{req.id}", data={"decision": "approve"})
    mail.wait_for("new.person@acme.example")

    for decision in ("approve", "reject"):
        response = client.post(f"/admin/enrolments/{req.id}", data={"decision": decision})
        assert response.status_code == 303
        assert "This request was already decided." in html(
            client.get(response.headers["Location"]))
    db.expire_all()
    assert db.get(EnrolmentRequest, req.id).status == EnrolmentStatus.APPROVED
    assert len(events(db, "enrolment.approved")) == 1
    assert len(mail.to("new.person@acme.example")) == 1


def test_approving_someone_who_got_an_account_meanwhile_changes_nothing(client, auth, db,
                                                                         mail):
    req = _pending(client, db, "meanwhile@acme.example")
    UserFactory(email="meanwhile@acme.example")  # invited and joined in the meantime
    auth.as_role("admin")

    response = client.post(f"/admin/enrolments/{req.id}", data={"decision": "approve"})

    assert response.status_code == 303
    assert "meanwhile@acme.example already has an account." in html(
        client.get(response.headers["Location"]))
    db.expire_all()
    # the refused approval left no trace: the request is still pending, nothing was logged
    assert db.get(EnrolmentRequest, req.id).status == EnrolmentStatus.PENDING
    assert events(db, "enrolment.approved") == []
    assert mail.to("meanwhile@acme.example") == []


def test_unknown_request_is_404(client, auth):
    auth.as_role("admin")
    assert client.post("/admin/enrolments/424242", data={"decision": "approve"}).status_code \
        == 404


def test_only_admins_decide(client, auth, db):
    req = _pending(client, db)
    auth.as_role("manager")
    assert client.get("/admin/enrolments").status_code == 403
    assert client.post(f"/admin/enrolments/{req.id}",
                       data={"decision": "approve"}).status_code == 403
    db.expire_all()
    assert db.get(EnrolmentRequest, req.id).status == EnrolmentStatus.PENDING


def test_spaces_around_the_address_are_ignored(client, db):
    """Regression: " jo@acme.example " failed the email check on /join."""
    allow(db)
    response = join(client, "  jo.spaces@acme.example  ")
    assert response.status_code == 200
    assert [r.email for r in requests(db)] == ["jo.spaces@acme.example"]
