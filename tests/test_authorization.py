"""Walks every registered route × role × method against the permission table.

A route missing from app/common/permissions.py fails this test; each role gets what the
table says: the sign-in page for anonymous visitors, 403 for a role too low, and a real
answer (never 401/403/5xx) for the roles allowed.
"""

from __future__ import annotations

import pytest

from app.accounts.models import ROLE_RANK, Role
from app.common.permissions import ROUTES

ROLES = [None, Role.EMPLOYEE, Role.MANAGER, Role.CURATOR, Role.ADMIN]
SAMPLE_VALUES = {"int": "999999", "default": "sample-token", "path": "css/app.css"}
#: public endpoints that authenticate each request themselves (a signature, not a session):
#: an unsigned call gets 401, or 503 while the feature is not configured — for every role
SELF_AUTHENTICATED = {"sharing.conversions_webhook": {401, 503}}


def _url_for_rule(rule) -> str:
    url = rule.rule
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.replace("Converter", "").lower()
        value = SAMPLE_VALUES["int"] if kind == "integer" else (
            SAMPLE_VALUES["path"] if kind == "path" else SAMPLE_VALUES["default"])
        url = url.replace(f"<{rule._converters[name].__class__.__name__}:{name}>", value)
        for prefix in ("int:", "path:", "string:", ""):
            url = url.replace(f"<{prefix}{name}>", value)
    return url


def _cases(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_in_the_permission_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES))
    assert not missing, f"add these endpoints to app/common/permissions.py: {missing}"
    stale = sorted(set(ROUTES) - endpoints)
    assert not stale, f"these permission entries match no route: {stale}"


def _api_token(db, user) -> str:
    """A personal access token of ``user``: the JSON API (``access.token``) ignores the
    session cookie, so the walk calls it with a token of the same person instead."""
    from app.api.tokens import create_token
    from app.common.actor import Actor

    return create_token(db, Actor(user.id), user, name="authorization walk")[1]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_route_role_method_matrix(app, db, auth, role):
    user = auth.as_role(role)
    token = _api_token(db, user) if user is not None else None
    client = auth.client
    failures = []
    for rule, method in _cases(app):
        access = ROUTES[rule.endpoint]
        url = _url_for_rule(rule)
        if user is not None:  # some routes (logout) end the session: sign in again each time
            auth.login(user)
        headers = {"Accept": "text/html"}
        if access.token and token:
            headers["Authorization"] = f"Bearer {token}"
        response = client.open(url, method=method, headers=headers)
        status = response.status_code
        location = response.headers.get("Location", "")
        if rule.endpoint in SELF_AUTHENTICATED:
            ok = status in SELF_AUTHENTICATED[rule.endpoint]
        elif access.public:
            ok = status not in (401, 403) and status < 500
        elif role is None and access.token:  # the API answers 401, never a sign-in redirect
            ok = status == 401
        elif role is None:
            ok = status == 302 and "/login" in location
        elif ROLE_RANK[role] < ROLE_RANK[access.min_role]:
            ok = status == 403
        else:
            signs_out = rule.endpoint == "accounts.logout"
            ok = status not in (401, 403) and status < 500 and (
                signs_out or "/login" not in location)
        if not ok:
            failures.append(f"{method} {url} as {role or 'anonymous'} → {status} {location}")
    assert not failures, "\n".join(failures)


def test_unknown_endpoint_is_refused(app, auth):
    """Fail closed: a route added without a permission entry is refused at runtime too."""
    app.add_url_rule("/not-in-table", "not_in_table", lambda: "secret")
    auth.as_role(Role.ADMIN)
    assert auth.client.get("/not-in-table").status_code == 403
