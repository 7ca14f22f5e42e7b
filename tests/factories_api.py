"""Factories and helpers for the API tests: tokens (with their secret) and a small client
that sends ``Authorization: Bearer``."""

from __future__ import annotations

import json as jsonlib
from datetime import timedelta

import factory

from app.accounts.models import Role, User
from app.api import tokens
from app.api.models import ApiToken, TokenKind
from app.db import utcnow
from tests.factories import BaseFactory, UserFactory


class ApiTokenFactory(BaseFactory):
    """``ApiTokenFactory(user=...)``; the clear token is on ``.secret`` (tests only)."""

    class Meta:
        model = ApiToken

    secret = factory.LazyFunction(tokens.generate)
    token_hash = factory.LazyAttribute(lambda o: tokens.digest(o.secret))
    prefix = factory.LazyAttribute(lambda o: o.secret[:tokens.DISPLAY_LENGTH])
    name = factory.Sequence(lambda n: f"Token {n}")
    kind = TokenKind.PERSONAL
    user = factory.SubFactory(UserFactory)
    scopes = "*"
    created_at = factory.LazyFunction(utcnow)
    expires_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=90))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        secret = kwargs.pop("secret")
        obj = super()._create(model_class, *args, **kwargs)
        obj.secret = secret
        return obj


ALL = [ApiTokenFactory]


def bind(db) -> None:
    """Point these factories at the test's session (tests/factories.py does it for its own)."""
    for f in ALL:
        f._meta.sqlalchemy_session = db


class Api:
    """A test client for /api/v1: ``api.as_role("admin")`` makes a person and a token;
    ``api.get("/users")`` then sends it."""

    PREFIX = "/api/v1"

    def __init__(self, client, db):
        self.client, self.db = client, db
        self.secret: str | None = None
        self.user: User | None = None
        #: check every answer against the OpenAPI document (as schemathesis does)
        self.check_schema = True
        bind(db)

    def token_for(self, user: User, **kwargs) -> str:
        token = ApiTokenFactory(user=user, **kwargs)
        self.db.flush()
        return token.secret

    def as_user(self, user: User, **token_kwargs) -> User:
        self.user, self.secret = user, self.token_for(user, **token_kwargs)
        return user

    def as_role(self, role: Role | str, *, scopes: str = "*", **user_kwargs) -> User:
        return self.as_user(UserFactory(role=Role(role), **user_kwargs), scopes=scopes)

    def headers(self, secret: str | None = None, extra: dict | None = None) -> dict:
        headers = {"Accept": "application/json"}
        token = secret if secret is not None else self.secret
        if token:
            headers["Authorization"] = f"Bearer {token}"
        headers.update(extra or {})
        return headers

    def call(self, method: str, path: str, json=None, *, secret: str | None = None,
             headers: dict | None = None, **kwargs):
        url = path if path.startswith("/api/") else self.PREFIX + path
        data = None if json is None else jsonlib.dumps(json)
        response = self.client.open(url, method=method, data=data,
                                     content_type="application/json" if data else None,
                                     headers=self.headers(secret, headers), **kwargs)
        self.db.expire_all()
        if self.check_schema:
            conforms(self.client.application, method, url.split("?", 1)[0], response)
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json, **kw)

    def patch(self, path, json=None, **kw):
        return self.call("PATCH", path, json, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


def conforms(app, method: str, path: str, response) -> None:
    """Fail unless ``response`` is what the OpenAPI document promises for this operation
    (status, content type, body schema). Every call the API tests make goes through it, so
    the document is checked on realistic data too, not only on generated requests."""
    import schemathesis
    from schemathesis.specs.openapi.checks import response_schema_conformance

    schema = app.extensions.get("tests_openapi_schema")
    if schema is None:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        app.extensions["tests_openapi_schema"] = schema
    operation = schema.find_operation_by_path(method, path)
    if operation is None:  # an unknown URL: the catch-all's 404/405 problem
        assert response.mimetype == "application/problem+json", response.mimetype
        return
    operation.Case(method=method).validate_response(response,
                                                    checks=[response_schema_conformance])


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status (and type slug)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json", response.mimetype
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and isinstance(body["detail"], str)
    if slug is not None:
        assert body["type"] == f"tag:relais,2026:problems/api/{slug}", body
    return body
