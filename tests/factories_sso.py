"""Factories and browser-like helpers for the single sign-on tests (tests/test_sso*.py).

The sign-in is driven as a browser would: GET /login/sso on Relais (Flask test client),
follow the redirect to the fake provider (tests/fake_idp.py, real HTTP on 127.0.0.1),
which answers with a redirect back to Relais's callback (followed with the test client).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import factory
import requests
from sqlalchemy import select

from app.accounts.models import AllowedDomain, Group, GroupKind
from app.accounts.sso_models import SETTINGS_ID, SsoGroupMapping, SsoIdentity, SsoSettings
from app.audit.models import AuditEvent
from tests.factories import BaseFactory

CALLBACK_PATH = "/login/sso/callback"


class AllowedDomainFactory(BaseFactory):
    class Meta:
        model = AllowedDomain

    domain = "acme.example"


class SsoGroupMappingFactory(BaseFactory):
    class Meta:
        model = SsoGroupMapping

    claim_value = factory.Sequence(lambda n: f"idp-group-{n}")


class SsoIdentityFactory(BaseFactory):
    class Meta:
        model = SsoIdentity

    subject = factory.Sequence(lambda n: f"subject-{n}")


class SsoSettingsFactory(BaseFactory):
    class Meta:
        model = SsoSettings

    id = SETTINGS_ID
    enabled = True
    provider_name = ""
    issuer = ""
    client_id = ""
    client_secret_encrypted = ""
    scopes = "openid email profile"
    groups_claim = "groups"
    auto_provision = True
    password_login_disabled = False


ALL = [AllowedDomainFactory, SsoGroupMappingFactory, SsoIdentityFactory, SsoSettingsFactory]


def bind(db) -> None:
    """Point these factories at the test's session (the ``db`` fixture does it for
    tests/factories.py only)."""
    for f in ALL:
        f._meta.sqlalchemy_session = db


def company(db) -> dict[str, Group]:
    """acme.example allowed; Marketing ← acme-marketing, Sales ← acme-sales (mapped);
    Paris is a group no mapping names."""
    bind(db)
    AllowedDomainFactory(domain="acme.example")
    groups = {name: Group(kind=kind, name=name) for name, kind in (
        ("Marketing", GroupKind.DEPARTMENT), ("Sales", GroupKind.DEPARTMENT),
        ("Paris", GroupKind.LOCATION))}
    db.add_all(groups.values())
    db.flush()
    SsoGroupMappingFactory(claim_value="acme-marketing", group_id=groups["Marketing"].id)
    SsoGroupMappingFactory(claim_value="acme-sales", group_id=groups["Sales"].id)
    return groups


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def start(client, idp, query: str = ""):
    """GET /login/sso: the redirect to the provider's sign-in page."""
    response = client.get("/login/sso" + query)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(idp.issuer + "/protocol/openid-connect/auth?"), location
    return location


def authorize_query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def approve(authorize_url: str) -> str:
    """The provider signs the person in and sends the browser back: the callback URL."""
    answer = browser().get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://relais.test" + CALLBACK_PATH
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, idp, query: str = ""):
    """The whole round trip; the callback's response."""
    return back(client, approve(start(client, idp, query)))


def events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def signed_in_user_id(client) -> int | None:
    with client.session_transaction() as session:
        value = session.get("_user_id")
    return int(value.split(":")[0]) if value else None
