"""Regression tests from the accounts review."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from app.accounts import services
from app.accounts.models import AccountToken, TokenPurpose, UserStatus
from app.accounts.tokens import issue_token
from tests.factories import UserFactory


def test_open_invitations_loads_only_the_tokens_of_the_people_asked_for(db):
    shown = UserFactory(status=UserStatus.INVITED)
    other = UserFactory(status=UserStatus.INVITED)
    db.flush()
    issue_token(db, shown, TokenPurpose.INVITE, timedelta(days=7))
    issue_token(db, shown, TokenPurpose.INVITE, timedelta(days=7))  # resent: latest wins
    issue_token(db, other, TokenPurpose.INVITE, timedelta(days=7))
    db.expire_all()

    loaded: list[AccountToken] = []
    listener = lambda target, context: loaded.append(target)  # noqa: E731
    event.listen(AccountToken, "load", listener)
    try:
        tokens = services.open_invitations(db, [shown.id])
    finally:
        event.remove(AccountToken, "load", listener)

    assert set(tokens) == {shown.id}
    assert tokens[shown.id].revoked_at is None  # the latest (open) one, not the revoked one
    assert {t.user_id for t in loaded} == {shown.id}
    assert services.open_invitations(db, []) == {}


def test_invitations_page_shows_token_state_for_its_page(client, auth, db):
    auth.as_role("admin")
    invited = UserFactory(status=UserStatus.INVITED, email="zoe@acme.example")
    db.flush()
    issue_token(db, invited, TokenPurpose.INVITE, timedelta(days=7))
    db.flush()
    body = client.get("/admin/invitations").get_data(as_text=True)
    assert "zoe@acme.example" in body
    assert "waiting" in body


def test_admin_policy_page_lists_versions_newest_first(client, auth, db):
    from app.accounts import policy
    from app.common.actor import Actor

    admin = auth.as_role("admin", accepted_policy_version=2)
    policy.publish_policy(db, Actor(user_id=admin.id), title="First", body_md="one")
    policy.publish_policy(db, Actor(user_id=admin.id), title="Second", body_md="two")
    db.flush()
    assert [v.version for v in policy.all_versions(db)] == [2, 1]
    body = client.get("/admin/policy").get_data(as_text=True)
    assert body.index("Second") < body.index("First")
