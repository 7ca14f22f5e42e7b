"""Personal access tokens: created in the settings (shown once, stored hashed, ≥128 bits),
listed and revoked; service tokens on the admin page; the ``api-token`` CLI."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.api.models import ApiToken, TokenKind
from app.audit.models import AuditEvent
from tests.factories import UserFactory
from tests.factories_api import Api, ApiTokenFactory, bind

TOKEN_RE = re.compile(r"\brls_[A-Za-z0-9_-]{43}\b")


@pytest.fixture
def api(client, db):
    return Api(client, db)


def _secret_in(html: str) -> str:
    found = set(TOKEN_RE.findall(html))
    assert len(found) == 1, found
    return found.pop()


def test_create_a_personal_token_shown_once_and_stored_hashed(api, auth, db):
    me = auth.as_role(Role.CURATOR)
    page = auth.client.get("/settings/api-tokens")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "No token yet" in html
    # a curator is offered the scopes a curator can use, not the admin-only ones
    assert 'value="content:write"' in html and 'value="users:write"' not in html
    response = auth.client.post("/settings/api-tokens",
                                data={"name": "Reporting script", "expires": "30"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    secret = _secret_in(html)
    assert "will not be shown again" in html
    assert len(secret) - 4 >= 32  # 43 URL-safe characters: 256 random bits
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == me.id))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12] and token.kind == TokenKind.PERSONAL
    assert token.scopes == "*" and (token.expires_at - token.created_at).days == 30
    assert secret not in str(db.scalar(select(AuditEvent.details).where(
        AuditEvent.action == "api_token.created")))
    # the list shows it by name and prefix, never the secret again
    again = auth.client.get("/settings/api-tokens").get_data(as_text=True)
    assert "Reporting script" in again and token.prefix in again and secret not in again
    # and it works
    assert api.get("/content", secret=secret).status_code == 200


def test_a_token_with_chosen_scopes(auth, db):
    me = auth.as_role(Role.ADMIN)
    response = auth.client.post("/settings/api-tokens", data={
        "name": "HR read", "expires": "never", "scopes": ["users:read", "groups:read"]})
    assert response.status_code == 200
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == me.id))
    assert token.scopes == "groups:read users:read" and token.expires_at is None


def test_invalid_token_forms_are_refused(auth, db):
    auth.as_role(Role.EMPLOYEE)
    assert auth.client.post("/settings/api-tokens", data={"name": "", "expires": "30"}
                            ).status_code == 422
    response = auth.client.post("/settings/api-tokens", data={
        "name": "x", "expires": "30", "scopes": ["users:write"]})  # not offered to employees
    assert response.status_code == 422
    assert db.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_revoke_my_token_but_not_someone_elses(api, auth, db):
    me = auth.as_role(Role.EMPLOYEE)
    bind(db)
    mine = ApiTokenFactory(user=me, name="Old script")
    theirs = ApiTokenFactory(user=UserFactory())
    db.flush()
    assert auth.client.post(f"/settings/api-tokens/{theirs.id}/revoke").status_code == 404
    response = auth.client.post(f"/settings/api-tokens/{mine.id}/revoke")
    assert response.status_code == 302
    db.expire_all()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    assert api.get("/me", secret=mine.secret).status_code == 401
    assert api.get("/me", secret=theirs.secret).status_code == 200
    html = auth.client.get("/settings/api-tokens").get_data(as_text=True)
    assert "Old script" in html and "revoked" in html
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.revoked"))
    assert event.actor_id == me.id and event.target_id == mine.id


def test_admins_create_scoped_service_tokens(api, auth, db):
    admin = auth.as_role(Role.ADMIN)
    page = auth.client.get("/admin/api-tokens")
    assert page.status_code == 200 and "No token matches" in page.get_data(as_text=True)
    unscoped = auth.client.post("/admin/api-tokens", data={"name": "HR", "expires": "365"})
    assert unscoped.status_code == 422
    assert "Choose the scopes" in unscoped.get_data(as_text=True)
    response = auth.client.post("/admin/api-tokens", data={
        "name": "HR sync", "expires": "365", "scopes": ["users:write"]})
    assert response.status_code == 200
    secret = _secret_in(response.get_data(as_text=True))
    token = db.scalar(select(ApiToken).where(ApiToken.kind == TokenKind.SERVICE))
    assert token.user_id == admin.id and token.created_by_id == admin.id
    assert api.post("/users", json={"email": "joiner@acme.example", "send_invitation": False},
                    secret=secret).status_code == 201
    assert api.get("/content", secret=secret).status_code == 403  # outside its scopes


def test_admins_see_and_revoke_anyones_token(auth, db):
    auth.as_role(Role.ADMIN)
    bind(db)
    leaked = ApiTokenFactory(user=UserFactory(name="Casey Curator", role=Role.CURATOR),
                             name="Laptop script")
    db.flush()
    html = auth.client.get("/admin/api-tokens").get_data(as_text=True)
    assert "Laptop script" in html and "Casey Curator" in html
    assert auth.client.post(f"/admin/api-tokens/{leaked.id}/revoke").status_code == 302
    db.expire_all()
    assert leaked.revoked_at is not None
    usable_only = auth.client.get("/admin/api-tokens").get_data(as_text=True)
    assert "Laptop script" not in usable_only.split("</h1>", 1)[1]
    everything = auth.client.get("/admin/api-tokens?active=0").get_data(as_text=True)
    assert "Laptop script" in everything


def test_token_pages_follow_the_permission_table(auth):
    auth.as_role(Role.CURATOR)
    assert auth.client.get("/admin/api-tokens").status_code == 403
    assert auth.client.get("/settings/api-tokens").status_code == 200
    auth.logout()
    assert auth.client.get("/settings/api-tokens").status_code == 302


def test_the_menus_link_to_the_token_pages(auth):
    auth.as_role(Role.ADMIN)
    html = auth.client.get("/settings/api-tokens").get_data(as_text=True)
    assert 'href="/settings/api-tokens"' in html and 'href="/admin/api-tokens"' in html


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_creates_lists_and_revokes_tokens(app, db, api):
    owner = UserFactory(email="ops@acme.example", role=Role.ADMIN)
    db.flush()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-token", "create", "--email", "OPS@acme.example",
                                 "--name", "deploy", "--scope", "content:write",
                                 "--expires-days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert TOKEN_RE.fullmatch(secret)
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    assert token.scopes == "content:write" and token.created_by_id is None
    assert api.get("/content", secret=secret).status_code == 200
    listed = runner.invoke(args=["api-token", "list", "--email", "ops@acme.example"])
    assert listed.exit_code == 0 and f"{token.id}\t{token.prefix}…\tactive" in listed.output
    assert secret not in listed.output
    revoked = runner.invoke(args=["api-token", "revoke", str(token.id)])
    assert revoked.exit_code == 0
    assert api.get("/content", secret=secret).status_code == 401


@pytest.mark.parametrize("args, message", [
    (["--email", "nobody@acme.example"], "No person has the address"),
    (["--email", "ops@acme.example", "--scope", "everything"], "Unknown scope"),
    (["--email", "ops@acme.example", "--service"], "Choose the scopes"),
])
def test_cli_refuses_bad_requests(app, db, args, message):
    UserFactory(email="ops@acme.example", role=Role.ADMIN)
    db.flush()
    result = app.test_cli_runner().invoke(args=["api-token", "create", *args])
    assert result.exit_code != 0 and message in result.output
    assert db.scalar(select(func.count()).select_from(ApiToken)) == 0
