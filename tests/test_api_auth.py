"""Who may call the API: Bearer tokens only (never the session cookie), refused tokens in
URLs, scopes on top of the permission table, CSRF exemption without a CSRF hole, the rate
limit per token, audit of API actions, and tokens ending with their owner's account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User, UserStatus
from app.api import tokens
from app.api.models import ApiToken
from app.audit.models import AuditEvent
from app.common.permissions import ROUTES
from app.db import utcnow
from tests.factories import PolicyFactory, UserFactory
from tests.factories_api import Api, ApiTokenFactory, assert_problem


@pytest.fixture
def api(client, db):
    return Api(client, db)


def test_a_valid_token_acts_as_its_owner(api):
    admin = api.as_role("admin", name="Ada Admin")
    response = api.get("/me")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["user"]["id"] == admin.id and body["user"]["name"] == "Ada Admin"
    assert body["token"]["prefix"].startswith("rls_") and body["token"]["scopes"] == ["*"]
    assert "Set-Cookie" not in response.headers  # no session is made for API calls
    assert response.headers["Cache-Control"] == "no-store"


def test_no_token_is_a_401_problem_with_a_bearer_challenge(api):
    response = api.get("/users")
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="relais"'


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Token rls_abc",
                                    "Bearer rls_not-a-real-token", "Bearer " + "x" * 500])
def test_malformed_or_unknown_tokens_are_refused(api, header):
    response = api.client.get("/api/v1/me", headers={"Authorization": header})
    assert_problem(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_revoked_expired_and_deactivated_owners_tokens_stop_working(api, db):
    user = UserFactory(role=Role.ADMIN)
    revoked = ApiTokenFactory(user=user, revoked_at=utcnow())
    expired = ApiTokenFactory(user=user, expires_at=utcnow() - timedelta(seconds=1))
    fine = ApiTokenFactory(user=user, expires_at=None)
    db.flush()
    assert_problem(api.get("/me", secret=revoked.secret), 401)
    assert_problem(api.get("/me", secret=expired.secret), 401)
    assert api.get("/me", secret=fine.secret).status_code == 200
    user.status = UserStatus.DEACTIVATED
    db.flush()
    assert_problem(api.get("/me", secret=fine.secret), 401)


@pytest.mark.parametrize("query", ["access_token=abc", "token=abc", "api_key=abc",
                                   "q=rls_something"])
def test_a_token_in_the_url_is_refused_even_with_a_good_header(api, query):
    api.as_role("admin")
    body = assert_problem(api.get(f"/users?{query}"), 400, "token-in-url")
    assert "Authorization header" in body["detail"]


def test_the_session_cookie_never_authenticates_the_api(api, auth):
    """An admin signed in to the web pages gets 401 from the API: a cookie would make every
    API write a CSRF target, since API calls carry no CSRF token."""
    auth.as_role(Role.ADMIN)
    assert auth.client.get("/admin/people").status_code == 200  # the session works...
    assert_problem(auth.client.get("/api/v1/users"), 401)  # ...not for the API
    response = auth.client.post("/api/v1/users", json={"email": "x@acme.example"})
    assert_problem(response, 401)


def test_bearer_calls_need_no_csrf_token_and_cookie_calls_get_none(csrf_app, db):
    api = Api(csrf_app.test_client(), db)
    api.as_role("admin")
    response = api.post("/groups", json={"kind": "team", "name": "Night shift"})
    assert response.status_code == 201, response.get_data(as_text=True)
    # the same call with only a signed-in cookie: refused before anything else
    from tests.conftest import Auth

    auth = Auth(csrf_app.test_client(), db)
    auth.as_role(Role.ADMIN)
    assert_problem(auth.client.post("/api/v1/groups", json={"kind": "team", "name": "X"}), 401)


def test_the_role_is_checked_like_the_pages(api):
    api.as_role("employee")
    body = assert_problem(api.get("/users"), 403, "forbidden")
    assert "role" in body["detail"]
    assert_problem(api.post("/content", json={"url": "https://acme.example/a", "title": "A"}),
                   403)
    assert api.get("/shares").status_code == 200


def test_scopes_narrow_what_a_token_may_do(api):
    api.as_role("admin", scopes="users:read")
    assert api.get("/users").status_code == 200
    assert api.get("/me").status_code == 200  # any token may ask who it is
    response = api.post("/users", json={"email": "new@acme.example"})
    body = assert_problem(response, 403, "insufficient-scope")
    assert "users:write" in body["detail"]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert_problem(api.get("/groups"), 403, "insufficient-scope")


def test_a_write_scope_includes_reading(api):
    api.as_role("admin", scopes="groups:write")
    assert api.get("/groups").status_code == 200
    assert api.post("/groups", json={"kind": "team", "name": "Ops"}).status_code == 201
    assert_problem(api.get("/users"), 403, "insufficient-scope")


def test_a_scope_never_grants_more_than_the_role(api):
    api.as_role("employee", scopes="users:write")
    assert_problem(api.post("/users", json={"email": "x@acme.example"}), 403, "forbidden")


def test_api_endpoints_are_reachable_before_the_policy_is_accepted(api):
    PolicyFactory()
    api.as_role("employee", accepted_policy_version=None)
    assert api.get("/shares").status_code == 200


def test_every_api_endpoint_has_a_scope_rule(app):
    """Each token endpoint resolves to a scope (or explicitly none): nothing falls back to
    "full tokens only" by accident."""
    from app.api.auth import required_scope

    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            access = ROUTES[rule.endpoint]
            if not access.token or access.public:
                continue
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                scope = required_scope(rule.endpoint, method)
                assert scope is None or scope in tokens.SCOPES, (rule.endpoint, scope)


def test_last_use_is_recorded(api, db):
    api.as_role("admin")
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == api.user.id))
    assert token.last_used_at is None
    api.get("/me", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    db.expire_all()
    assert token.last_used_at is not None and token.last_used_ip == "192.0.2.7"


def test_admin_actions_through_the_api_are_audited_with_the_token(api, db):
    admin = api.as_role("admin")
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == admin.id))
    assert api.post("/groups", json={"kind": "location", "name": "Lyon"}).status_code == 201
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "group.created"))
    assert event.actor_id == admin.id
    assert event.details["api_token_id"] == token_id and event.details["via"] == "api"


def test_deactivating_someone_in_the_admin_pages_revokes_their_tokens(api, auth, db):
    person = UserFactory(role=Role.CURATOR)
    secret = api.token_for(person)
    assert api.get("/me", secret=secret).status_code == 200
    auth.as_role(Role.ADMIN)
    response = auth.client.post(f"/admin/people/{person.id}/status", data={"active": "0"})
    assert response.status_code in (302, 303)
    db.expire_all()
    assert db.get(User, person.id).status == UserStatus.DEACTIVATED
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == person.id))
    assert token.revoked_at is not None
    # reactivated: the old token stays dead
    auth.client.post(f"/admin/people/{person.id}/status", data={"active": "1"})
    assert_problem(api.get("/me", secret=secret), 401)


def test_erasing_someone_deletes_their_tokens_and_stored_answers(api, auth, db):
    from app.api.models import IdempotencyRecord

    person = UserFactory(role=Role.ADMIN, email="leaving@acme.example")
    secret = api.token_for(person)
    assert api.post("/groups", json={"kind": "team", "name": "Gone"}, secret=secret,
                    headers={"Idempotency-Key": "k1"}).status_code == 201
    assert db.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == person.id))
    auth.as_role(Role.ADMIN)
    response = auth.client.post(f"/admin/people/{person.id}/erase",
                                data={"confirm_email": "leaving@acme.example"})
    assert response.status_code == 302
    db.expire_all()
    assert db.scalar(select(ApiToken).where(ApiToken.user_id == person.id)) is None
    assert db.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == person.id)) is None
    assert_problem(api.get("/me", secret=secret), 401)


def test_expired_stored_answers_are_deleted_by_the_next_one(api, db):
    from app.api.models import IdempotencyRecord

    api.as_role("admin")
    assert api.post("/groups", json={"kind": "team", "name": "Old"},
                    headers={"Idempotency-Key": "old"}).status_code == 201
    old = db.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "old"))
    old.created_at = utcnow() - timedelta(hours=25)
    db.flush()
    other = api.token_for(UserFactory(role=Role.ADMIN))
    assert api.post("/groups", json={"kind": "team", "name": "New"}, secret=other,
                    headers={"Idempotency-Key": "new"}).status_code == 201
    assert [r.key for r in db.scalars(select(IdempotencyRecord))] == ["new"]


class TestRateLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"}

    def test_each_token_has_its_own_budget(self, api):
        api.as_role("admin")
        for _ in range(3):
            assert api.get("/me").status_code == 200
        response = api.get("/users")
        assert_problem(response, 429, "rate-limited")
        assert int(response.headers["Retry-After"]) >= 1
        other = api.token_for(UserFactory(role=Role.ADMIN))
        assert api.get("/me", secret=other).status_code == 200
