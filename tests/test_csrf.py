"""Every state-changing route refuses a POST without the CSRF token; GET changes nothing."""

from __future__ import annotations

from app.accounts.models import Role
from app.common.permissions import ROUTES
from tests.test_authorization import _url_for_rule

#: called by other servers, authenticated by an HMAC signature instead (no cookie involved)
CSRF_EXEMPT = {"sharing.conversions_webhook"}
#: the JSON API (app/api/): authenticated by a Bearer token, never by the session cookie, so
#: a cookie-only POST is refused (401) rather than being a CSRF target
TOKEN_ONLY = {endpoint for endpoint, access in ROUTES.items() if access.token}


def test_every_post_route_requires_the_csrf_token(csrf_app, db):
    from tests.conftest import Auth

    client = csrf_app.test_client()
    auth = Auth(client, db)
    admin = auth.as_role(Role.ADMIN)
    posts = [r for r in csrf_app.url_map.iter_rules() if "POST" in r.methods]
    assert len(posts) > 20
    for rule in posts:
        auth.login(admin)
        response = client.post(_url_for_rule(rule), data={"anything": "1"})
        if rule.endpoint in CSRF_EXEMPT:
            assert response.status_code != 400, f"POST {rule.rule} is not CSRF-exempt"
            continue
        if rule.endpoint in TOKEN_ONLY:
            expected = 404 if ROUTES[rule.endpoint].public else 401
            assert response.status_code == expected, f"POST {rule.rule} → {response.status_code}"
            continue
        assert response.status_code == 400, f"POST {rule.rule} → {response.status_code}"


def test_no_route_changes_state_on_get(app, db, auth):
    """GET every route as an admin: the audit log (every change writes to it) stays empty."""
    from sqlalchemy import func, select

    from app.audit.models import AuditEvent

    auth.as_role(Role.ADMIN)
    before = db.scalar(select(func.count()).select_from(AuditEvent))
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            auth.client.get(_url_for_rule(rule))
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == before
