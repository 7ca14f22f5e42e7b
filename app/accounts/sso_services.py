"""Single sign-on rules: the effective settings (environment over the admin's row), who may
sign in through the identity provider, just-in-time provisioning, linking, group mapping,
and the password rules for people linked to the provider.

Services flush and never commit (DESIGN.md). The OpenID Connect protocol itself
(discovery, keys, tokens) is in ``sso_protocol``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import sso_protocol as oidc
from app.accounts.models import (
    AllowedDomain,
    Group,
    LoginThrottle,
    Role,
    TokenPurpose,
    User,
    UserStatus,
)
from app.accounts.passwords import verify_password
from app.accounts.services import (
    authenticate,
    check_email,
    clear_login_locks,
    lock_active,
    normalise_email,
    user_by_email,
)
from app.accounts.services import request_password_reset as send_reset_link
from app.accounts.settings import AccountSettings
from app.accounts.sso_models import (
    DEFAULT_GROUPS_CLAIM,
    DEFAULT_SCOPES,
    SETTINGS_ID,
    SsoGroupMapping,
    SsoIdentity,
    SsoSettings,
)
from app.accounts.tokens import revoke_open_tokens
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.common.mail import Mailer, render_email
from app.db import after_commit, utcnow
from app.notifications.outbox import send_soon
from app.sharing import crypto

log = logging.getLogger("relais.sso")

#: settings field → the environment variable (config.py) that overrides it when set
ENV_VARIABLES = {
    "provider_name": "OIDC_PROVIDER_NAME",
    "issuer": "OIDC_ISSUER",
    "client_id": "OIDC_CLIENT_ID",
    "client_secret": "OIDC_CLIENT_SECRET",
    "scopes": "OIDC_SCOPES",
    "groups_claim": "OIDC_GROUPS_CLAIM",
}
_CLAIM_NAME = re.compile(r"[A-Za-z0-9_:/.#-]{1,100}")


# --- the effective settings ----------------------------------------------------------------


@dataclass(frozen=True)
class SsoConfig:
    enabled: bool = False
    provider_name: str = ""
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    scopes: str = DEFAULT_SCOPES
    groups_claim: str = DEFAULT_GROUPS_CLAIM
    auto_provision: bool = True
    password_login_disabled: bool = False
    #: the fields that environment variables set (read-only on the admin page)
    from_environment: frozenset[str] = field(default_factory=frozenset)
    #: a secret is stored but cannot be decrypted any more (the encryption key changed)
    secret_unreadable: bool = False

    @property
    def complete(self) -> bool:
        return bool(self.issuer and self.client_id and self.client_secret)

    @property
    def active(self) -> bool:
        """People can sign in through the provider."""
        return self.enabled and self.complete

    @property
    def label(self) -> str:
        """The provider's name on buttons and messages."""
        return self.provider_name or urlsplit(self.issuer).hostname or _("single sign-on")


def load_config(db: Session, app_config: Mapping[str, Any]) -> SsoConfig:
    """The admin's settings row, each field overridden by its ``OIDC_*`` variable when set.

    ``OIDC_ISSUER`` in the environment also turns single sign-on on: whoever deploys with
    it wants it, and the admin page cannot turn it off.
    """
    row = db.get(SsoSettings, SETTINGS_ID)
    values: dict[str, Any] = {}
    unreadable = False
    if row is not None:
        values = dict(enabled=row.enabled, provider_name=row.provider_name, issuer=row.issuer,
                      client_id=row.client_id, scopes=row.scopes or DEFAULT_SCOPES,
                      groups_claim=row.groups_claim or DEFAULT_GROUPS_CLAIM,
                      auto_provision=row.auto_provision,
                      password_login_disabled=row.password_login_disabled)
        try:
            values["client_secret"] = crypto.decrypt(row.client_secret_encrypted, app_config)
        except (crypto.TokenDecryptError, RuntimeError):  # RuntimeError: key unset in prod
            log.error("sso: the stored client secret cannot be decrypted (key changed?)")
            values["client_secret"] = ""
            unreadable = True
    from_env = set()
    for name, variable in ENV_VARIABLES.items():
        value = str(app_config.get(variable) or "").strip()
        if value:
            values[name] = value
            from_env.add(name)
    if "issuer" in from_env:
        values["enabled"] = True
    if "client_secret" in from_env:
        unreadable = False
    return SsoConfig(**values, from_environment=frozenset(from_env),
                     secret_unreadable=unreadable)


def current_config() -> SsoConfig:
    """The settings of the running app (views only)."""
    from flask import current_app, g

    from app.common.web import db

    if "_sso_config" not in g:  # the sign-in page asks twice (button, password rules)
        g._sso_config = load_config(db(), current_app.config)
    return g._sso_config


def _check_issuer(issuer: str, app_config: Mapping[str, Any]) -> str:
    issuer = (issuer or "").strip()
    if not issuer:
        return ""
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username:
        raise ServiceError(_("Enter the issuer as a URL, such as https://login.example.com/"
                             "realms/acme."), field="issuer")
    if app_config.get("ENV") == "production" and parts.scheme != "https":
        raise ServiceError(_("The issuer must be an https:// URL."), field="issuer")
    return issuer


def save_settings(db: Session, actor: Actor, app_config: Mapping[str, Any], *, enabled: bool,
                  provider_name: str, issuer: str, client_id: str, client_secret: str | None,
                  scopes: str, groups_claim: str, auto_provision: bool,
                  password_login_disabled: bool) -> SsoSettings:
    """Save the admin's settings. Fields that the environment sets are left as stored; an
    empty ``client_secret`` keeps the stored one (the page never shows it back)."""
    env = load_config(db, app_config).from_environment
    row = db.get(SsoSettings, SETTINGS_ID)
    if row is None:
        row = SsoSettings(id=SETTINGS_ID, enabled=False, provider_name="", issuer="",
                          client_id="", client_secret_encrypted="", scopes=DEFAULT_SCOPES,
                          groups_claim=DEFAULT_GROUPS_CLAIM, auto_provision=True,
                          password_login_disabled=False)
        db.add(row)
    groups_claim = (groups_claim or "").strip() or DEFAULT_GROUPS_CLAIM
    if not _CLAIM_NAME.fullmatch(groups_claim):
        raise ServiceError(_("Enter a claim name such as groups or realm_access.roles."),
                           field="groups_claim")
    new = {"enabled": bool(enabled), "auto_provision": bool(auto_provision),
           "password_login_disabled": bool(password_login_disabled)}
    editable = {"provider_name": (provider_name or "").strip()[:80],
                "issuer": _check_issuer(issuer, app_config),
                "client_id": (client_id or "").strip()[:255],
                "scopes": oidc.normalise_scopes(scopes or DEFAULT_SCOPES)[:500],
                "groups_claim": groups_claim}
    new.update({k: v for k, v in editable.items() if k not in env})
    changed = sorted(k for k, v in new.items() if getattr(row, k) != v)
    for key, value in new.items():
        setattr(row, key, value)
    secret = (client_secret or "").strip()
    if secret and "client_secret" not in env:
        try:
            row.client_secret_encrypted = crypto.encrypt(secret, app_config)
        except RuntimeError:  # production without TOKEN_ENCRYPTION_KEY
            raise ServiceError(_("Set TOKEN_ENCRYPTION_KEY on the server before storing a "
                                 "client secret, or give it as OIDC_CLIENT_SECRET."),
                               field="client_secret") from None
        changed.append("client_secret")
    row.updated_at = utcnow()
    row.updated_by_id = actor.user_id
    db.flush()
    effective = load_config(db, app_config)
    if effective.enabled and not effective.complete:
        raise ServiceError(_("Enter the issuer, the client ID and the client secret before "
                             "turning single sign-on on."), field="enabled")
    record(db, actor, "sso.settings_updated", target=row, changed=changed)
    # a new issuer or new keys must be read again by every process of this one at least
    after_commit(db, oidc.clear_caches)
    return row


# --- group mapping ---------------------------------------------------------------------------


def mappings_statement():
    return (select(SsoGroupMapping).join(SsoGroupMapping.group)
            .order_by(SsoGroupMapping.claim_value, Group.name, SsoGroupMapping.id))


def add_mapping(db: Session, actor: Actor, claim_value: str, group_id: int) -> SsoGroupMapping:
    claim_value = (claim_value or "").strip()
    if not claim_value or len(claim_value) > 200:
        raise ServiceError(_("Enter the value as the provider sends it (at most 200 "
                             "characters)."), field="claim_value")
    group = db.get(Group, group_id)
    if group is None:
        raise ServiceError(_("Unknown group."), field="group_id")
    if db.scalar(select(SsoGroupMapping).where(SsoGroupMapping.claim_value == claim_value,
                                               SsoGroupMapping.group_id == group.id)):
        raise ServiceError(_("This value is already mapped to this group."),
                           field="claim_value")
    mapping = SsoGroupMapping(claim_value=claim_value, group_id=group.id)
    db.add(mapping)
    db.flush()
    record(db, actor, "sso.mapping_added", target=mapping, claim_value=claim_value,
           group_id=group.id, group=group.name)
    return mapping


def remove_mapping(db: Session, actor: Actor, mapping: SsoGroupMapping) -> None:
    record(db, actor, "sso.mapping_removed", target=mapping, claim_value=mapping.claim_value,
           group_id=mapping.group_id)
    db.delete(mapping)
    db.flush()


def linked_people_count(db: Session) -> int:
    return db.scalar(select(func.count(func.distinct(SsoIdentity.user_id)))) or 0


def claim_values(claims: Mapping[str, Any], name: str) -> set[str] | None:
    """The values of the groups claim; None when the provider did not send it.

    ``name`` is a claim name, or a dotted path into nested objects (Keycloak's
    ``realm_access.roles``) when no claim has that exact name (Auth0's namespaced claims
    are URLs with dots in them).
    """
    value: Any = claims.get(name)
    if value is None and "." in name:
        value = claims
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if value is None:
        return None
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()


def sync_groups(db: Session, actor: Actor, user: User, values: set[str] | None) -> None:
    """Mapped groups follow the claim; groups that no mapping names are never touched.

    A claim the provider did not send at all changes nothing (it may just not be
    released to us); an empty list removes the person from every mapped group.
    """
    if values is None:
        return
    mappings = list(db.scalars(select(SsoGroupMapping)))
    if not mappings:
        return
    managed = {m.group_id for m in mappings}
    wanted = {m.group_id for m in mappings if m.claim_value in values}
    current = {g.id for g in user.groups}
    to_add, to_remove = wanted - current, (current & managed) - wanted
    if not to_add and not to_remove:
        return
    added = list(db.scalars(select(Group).where(Group.id.in_(to_add)))) if to_add else []
    user.groups = [g for g in user.groups if g.id not in to_remove] + added
    db.flush()
    record(db, actor, "user.sso_groups_synced", target=user, added=sorted(to_add),
           removed=sorted(to_remove))


# --- signing in ------------------------------------------------------------------------------


class SsoRefused(Exception):
    """The provider vouched for the person, but Relais does not let them in."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def verify_callback(config: SsoConfig, settings: oidc.ProtocolSettings,
                    pending: oidc.PendingLogin, *, code: str, redirect_uri: str) -> dict:
    """Exchange the code and return the verified claims (ID token, completed by userinfo
    when it lacks the email or the groups claim). Raises ``OidcError``."""
    metadata = oidc.discover(config.issuer, settings)
    if metadata.issuer.rstrip("/") != pending.issuer.rstrip("/"):
        raise oidc.OidcError("issuer_changed", "the issuer changed during the sign-in")
    token = oidc.exchange_code(metadata, settings, client_id=config.client_id,
                               client_secret=config.client_secret, code=code,
                               redirect_uri=redirect_uri, code_verifier=pending.code_verifier)
    claims = oidc.validate_id_token(token["id_token"], metadata, settings,
                                    client_id=config.client_id, nonce=pending.nonce,
                                    access_token=str(token.get("access_token") or ""))
    missing = not claims.get("email") or claim_values(claims, config.groups_claim) is None
    if missing and metadata.userinfo_endpoint and token.get("access_token"):
        extra = oidc.userinfo(metadata, settings, str(token["access_token"]))
        # Core §5.3.2: userinfo is only about this person if its sub is the token's
        if extra.get("sub") != claims["sub"]:
            raise oidc.OidcError("userinfo_subject", "userinfo describes another subject")
        claims = {**extra, **claims}
    claims["iss"] = metadata.issuer
    return claims


def _email_verified(claims: Mapping[str, Any]) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _display_name(claims: Mapping[str, Any], email: str) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
    if not name:
        name = email.split("@")[0]
    return name.strip()[:200]


def _language(claims: Mapping[str, Any]) -> str:
    locale = claims.get("locale")
    return "fr" if isinstance(locale, str) and locale.lower().startswith("fr") else "en"


def _refuse(db: Session, actor: Actor, reason: str, message: str, *, user: User | None = None,
            **details) -> SsoRefused:
    record(db, actor, "auth.sso_refused", target=user, reason=reason, **details)
    db.flush()
    return SsoRefused(reason, message)


def sign_in(db: Session, config: SsoConfig, claims: Mapping[str, Any], actor: Actor, *,
            now: datetime | None = None) -> User:
    """The person the verified ``claims`` describe, provisioned or linked as the rules say,
    with their mapped groups brought up to date; ``SsoRefused`` (recorded) otherwise.

    1. A known (issuer, subject) is that person, whatever the email says today.
    2. Otherwise an existing account is linked when the provider says it verified the
       address (``email_verified``), once per provider.
    3. Otherwise an account is created (employee) if automatic creation is on and the
       address is of an allowed domain, and verified.
    """
    now = now or utcnow()
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    raw_email = claims.get("email")
    email = normalise_email(raw_email) if isinstance(raw_email, str) else ""
    identity = db.scalar(select(SsoIdentity).where(SsoIdentity.issuer == issuer,
                                                   SsoIdentity.subject == subject))
    if identity is not None:
        user = identity.user
    else:
        if not email:
            raise _refuse(db, actor, "no_email", _(
                "%(provider)s did not tell Relais your email address, so your account "
                "cannot be found. Ask your administrator to release the email claim.",
                provider=config.label), subject=subject)
        try:
            email = check_email(email)
        except ServiceError:
            raise _refuse(db, actor, "bad_email", _(
                "%(provider)s sent an email address Relais cannot use.",
                provider=config.label), subject=subject) from None
        verified = _email_verified(claims)
        user = user_by_email(db, email)
        if user is not None:
            if not verified:
                raise _refuse(db, actor, "email_not_verified", _(
                    "%(provider)s has not verified your email address, so it cannot be "
                    "linked to your Relais account. Ask your administrator.",
                    provider=config.label), user=user, email=email)
            if db.scalar(select(SsoIdentity).where(SsoIdentity.user_id == user.id,
                                                   SsoIdentity.issuer == issuer)):
                raise _refuse(db, actor, "subject_mismatch", _(
                    "Your Relais account is already linked to another %(provider)s "
                    "account. Ask your administrator.", provider=config.label),
                    user=user, email=email)
        else:
            user = _provision(db, config, actor, email=email, verified=verified,
                              claims=claims, subject=subject)
        if user.status == UserStatus.DEACTIVATED:
            raise _refuse(db, actor, "deactivated", _(
                "Your Relais account is deactivated. Contact your administrator."),
                user=user, email=email)
        identity = SsoIdentity(user_id=user.id, issuer=issuer, subject=subject,
                               created_at=now)
        db.add(identity)
        db.flush()
        record(db, actor, "user.sso_linked", target=user, issuer=issuer, email=email)
    if user.status == UserStatus.DEACTIVATED:
        raise _refuse(db, actor, "deactivated", _(
            "Your Relais account is deactivated. Contact your administrator."), user=user)
    if user.status == UserStatus.INVITED:
        # the provider vouched for the address the invitation went to: the invitation is
        # accepted, and its link is of no more use
        user.status = UserStatus.ACTIVE
        revoke_open_tokens(db, user.id, TokenPurpose.INVITE)
        record(db, actor, "user.invitation_accepted", target=user, via="sso")
    sync_groups(db, actor, user, claim_values(claims, config.groups_claim))
    user.last_login_at = now
    clear_login_locks(db, user)
    identity.last_login_at = now
    record(db, actor, "auth.login_sso", target=user, issuer=issuer)
    db.flush()
    return user


def _provision(db: Session, config: SsoConfig, actor: Actor, *, email: str, verified: bool,
               claims: Mapping[str, Any], subject: str) -> User:
    domain = email.rsplit("@", 1)[1]
    if not config.auto_provision:
        raise _refuse(db, actor, "no_account", _(
            "No Relais account uses %(email)s. Ask your administrator for an invitation.",
            email=email), email=email)
    if db.scalar(select(AllowedDomain).where(AllowedDomain.domain == domain)) is None:
        raise _refuse(db, actor, "domain_not_allowed", _(
            "Relais accounts are created automatically only for the organisation's email "
            "domains, and %(domain)s is not one of them. Ask your administrator for an "
            "invitation.", domain=domain), email=email, domain=domain)
    if not verified:
        raise _refuse(db, actor, "email_not_verified", _(
            "%(provider)s has not verified your email address, so no account can be "
            "created for it. Ask your administrator.", provider=config.label), email=email)
    user = User(email=email, name=_display_name(claims, email), role=Role.EMPLOYEE,
                status=UserStatus.ACTIVE, language=_language(claims), password_hash=None)
    db.add(user)
    db.flush()
    record(db, actor, "user.sso_provisioned", target=user, email=email, subject=subject)
    return user


# --- passwords of people linked to the provider ---------------------------------------------


class PasswordLoginRefused(Exception):
    """A password was used where only single sign-on is allowed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_sso_only(db: Session, config: SsoConfig, user: User) -> bool:
    """Whether this person must sign in through the provider (never while single sign-on
    is off: nobody is locked out by a half-done setup)."""
    if not (config.active and config.password_login_disabled):
        return False
    return db.scalar(select(SsoIdentity.id).where(SsoIdentity.user_id == user.id)
                     .limit(1)) is not None


def sso_only_message(config: SsoConfig) -> str:
    return _("Your account signs in with %(provider)s: use the “Sign in with %(provider)s” "
             "button.", provider=config.label)


def password_sign_in(db: Session, settings: AccountSettings, config: SsoConfig, email: str,
                     password: str, actor: Actor) -> User | None:
    """``services.authenticate``, except for people who must use single sign-on.

    Only someone who typed the right password is told to use the provider instead (the
    sign-in page stays generic for everybody else); a wrong password counts as a failure
    as usual, so the lock still protects the account.
    """
    user = user_by_email(db, email)
    if user is not None and is_sso_only(db, config, user):
        if (user.status == UserStatus.ACTIVE
                and not lock_active(db.get(LoginThrottle, (user.id, actor.ip or "")))
                and verify_password(user.password_hash, password, **settings.hash_params)):
            record(db, actor, "auth.login_failed", target=user, reason="sso_required")
            db.flush()
            raise PasswordLoginRefused(sso_only_message(config))
    return authenticate(db, settings, email, password, actor)


def request_password_reset(db: Session, settings: AccountSettings, config: SsoConfig,
                           mailer: Mailer, email: str, actor: Actor) -> None:
    """``services.request_password_reset``, except that people who must use single sign-on
    get an email that says so instead of a reset link (the page answers the same either
    way: nobody learns from it how an address signs in)."""
    user = user_by_email(db, email)
    if user is not None and user.status == UserStatus.ACTIVE and is_sso_only(db, config, user):
        record(db, actor, "auth.reset_refused", target=user, reason="sso_required")
        message = render_email("accounts/email/sso_password_reset", user.email, user.language,
                               lambda: _("Your Relais account uses %(provider)s",
                                         provider=config.label),
                               user=user, provider=config.label, link=mailer.url("/login"))
        send_soon(db, [message], mailer=mailer)
        return
    send_reset_link(db, settings, mailer, email, actor)
