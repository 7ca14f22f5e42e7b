"""One public service creates invited people — the admin's invitation form, the API and
provisioning all go through ``accounts.services.invite`` (``send=False``: created, no
invitation yet) — and the admin's person page shows the HR system's employee number."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import AccountToken, Role, TokenPurpose, UserStatus
from app.accounts.settings import account_settings
from app.audit.models import AuditEvent
from app.common.actor import Actor
from app.common.errors import ServiceError
from tests.factories import GroupFactory, UserFactory


def invite(app, db, **kwargs):
    return services.invite(db, account_settings(), app.extensions["relais_mailer"],
                           Actor(None), **kwargs)


def invitations(db, user) -> list[AccountToken]:
    return list(db.scalars(select(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.purpose == TokenPurpose.INVITE)))


def test_invite_without_sending_creates_the_person_with_the_forms_rules(app, db):
    manager = UserFactory(role=Role.MANAGER)
    group = GroupFactory()
    user = invite(app, db, email=" Jo.New@ACME.example ", name="", role=Role.CURATOR,
                  language="fr", manager_id=manager.id, group_ids=[group.id], send=False)
    assert (user.email, user.name, user.role, user.status, user.language) == (
        "jo.new@acme.example", "jo.new", Role.CURATOR, UserStatus.INVITED, "fr")
    assert user.manager_id == manager.id and [g.id for g in user.groups] == [group.id]
    assert invitations(db, user) == []  # no token: no email either
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert event.details["invitation_sent"] is False and event.details["role"] == "curator"


def test_invite_with_sending_issues_the_invitation(app, db):
    # (the email itself, sent after the commit: tests/test_admin_invitations.py)
    user = invite(app, db, email="sent@acme.example", name="Sent")
    assert len(invitations(db, user)) == 1
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.invited"))


def test_invite_without_sending_refuses_a_known_email_instead_of_resending(app, db):
    pending = UserFactory(status=UserStatus.INVITED, email="pending@acme.example")
    with pytest.raises(ServiceError):
        invite(app, db, email="pending@acme.example", name="", send=False)
    assert invitations(db, pending) == []
    # the form's behaviour is unchanged: inviting someone still invited sends a new one
    assert invite(app, db, email="pending@acme.example", name="") is pending
    assert len(invitations(db, pending)) == 1


@pytest.mark.parametrize("manager_id, group_ids", [(99999, ()), (None, [99999])])
def test_invite_without_sending_checks_the_manager_and_groups(app, db, manager_id,
                                                              group_ids):
    with pytest.raises(ServiceError):
        invite(app, db, email="x@acme.example", name="", manager_id=manager_id,
               group_ids=group_ids, send=False)


def test_the_person_page_shows_the_employee_number(client, auth, db):
    auth.as_role(Role.ADMIN)
    numbered = UserFactory(employee_number="E-1042")
    page = client.get(f"/admin/people/{numbered.id}").get_data(as_text=True)
    assert 'data-testid="employee-number"' in page and "Employee number: E-1042" in page
    plain = UserFactory()
    page = client.get(f"/admin/people/{plain.id}").get_data(as_text=True)
    assert 'data-testid="employee-number"' not in page
