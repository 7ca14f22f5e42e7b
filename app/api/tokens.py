"""Personal access tokens: create (the secret is shown once), find, revoke.

A token is ``rls_`` followed by 43 URL-safe characters (256 random bits). The prefix lets
secret scanners and people recognise a Relais token; only the SHA-256 of the whole token is
stored, with its first 12 characters for display. Services flush and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import Role, User, UserStatus
from app.api.models import ApiToken, TokenKind
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.db import utcnow

TOKEN_PREFIX = "rls_"  # noqa: S105 - a public marker for secret scanners, not a secret
#: characters of the token kept in clear to recognise it ("rls_" + 8)
DISPLAY_LENGTH = 12
#: a token longer than this is not one of ours: no hashing of megabyte headers
MAX_TOKEN_LENGTH = 200
#: active (not revoked, not expired) tokens one person may hold
MAX_ACTIVE_PER_USER = 50
#: the lifetimes offered in the forms, in days (None: never expires)
EXPIRY_CHOICES: tuple[int | None, ...] = (30, 90, 365, None)
DEFAULT_EXPIRY_DAYS = 90

#: every scope, with what it allows; "x:write" includes "x:read". The lowest role that
#: can use it is informative: the permission table decides for each call.
SCOPES: dict[str, tuple[object, Role]] = {
    "users:read": (_l("Read people (and who you are)"), Role.ADMIN),
    "users:write": (_l("Create, update, deactivate and provision people"), Role.ADMIN),
    "groups:read": (_l("Read groups"), Role.CURATOR),
    "groups:write": (_l("Create and delete groups"), Role.ADMIN),
    "content:read": (_l("Read content items"), Role.CURATOR),
    "content:write": (_l("Create, edit, publish and archive content items"), Role.CURATOR),
    "shares:read": (_l("Read shares, click summaries and conversions"), Role.EMPLOYEE),
    "gamification:read": (_l("Read leaderboards, points ledgers and badges"), Role.EMPLOYEE),
    "gamification:write": (_l("Adjust people's points"), Role.ADMIN),
    "training:read": (_l("Read courses and training progress"), Role.EMPLOYEE),
    "analytics:read": (_l("Read analytics rollups and people's stats"), Role.EMPLOYEE),
}
ALL_SCOPES = "*"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def scopes_for_role(role: Role) -> list[str]:
    """The scopes worth offering to someone with this role (the others would only 403)."""
    return [name for name, (_label, lowest) in SCOPES.items() if role.rank >= lowest.rank]


def _clean_scopes(scopes: Iterable[str] | None) -> str:
    chosen = sorted({(s or "").strip() for s in (scopes or ())} - {""})
    if not chosen or ALL_SCOPES in chosen:
        return ALL_SCOPES
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise ServiceError(_("Unknown scope: %(scopes)s.", scopes=", ".join(unknown)),
                           field="scopes")
    return " ".join(chosen)


def create_token(db: Session, actor: Actor, owner: User, *, name: str,
                 kind: TokenKind = TokenKind.PERSONAL, scopes: Iterable[str] | None = None,
                 expires_in_days: int | None = DEFAULT_EXPIRY_DAYS,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns the row and the secret (shown once, never again).

    No scopes (or "*") means everything the owner's role allows. Service tokens name their
    scopes: an integration gets what it needs, not its creator's every right.
    """
    now = now or utcnow()
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the token a name, e.g. the script or system using it."),
                           field="name")
    if owner.status != UserStatus.ACTIVE or owner.erased_at is not None:
        raise ServiceError(_("Only active people can hold tokens."), field="email")
    scope_text = _clean_scopes(scopes)
    if kind == TokenKind.SERVICE and scope_text == ALL_SCOPES:
        raise ServiceError(_("Choose the scopes this integration needs."), field="scopes")
    if kind == TokenKind.SERVICE and not owner.has_role(Role.ADMIN):
        raise ServiceError(_("Service tokens belong to an admin."), field="email")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3660:
        raise ServiceError(_("Choose a lifetime between 1 day and 10 years, or none."),
                           field="expires_in_days")
    if active_count(db, owner.id, now) >= MAX_ACTIVE_PER_USER:
        raise ServiceError(ngettext("You have %(num)d active token: revoke unused ones first.",
                                    "You have %(num)d active tokens: revoke unused ones first.",
                                    MAX_ACTIVE_PER_USER), field="name")
    secret = generate()
    token = ApiToken(token_hash=digest(secret), prefix=secret[:DISPLAY_LENGTH], name=name[:100],
                     kind=kind, user_id=owner.id, scopes=scope_text, created_at=now,
                     created_by_id=actor.user_id,
                     expires_at=now + timedelta(days=expires_in_days)
                     if expires_in_days is not None else None)
    db.add(token)
    db.flush()
    record(db, actor, "api_token.created", target=token, owner_id=owner.id, kind=kind.value,
           scopes=scope_text, name=token.name,
           expires_at=token.expires_at.isoformat() if token.expires_at else None)
    return token, secret


def revoke_token(db: Session, actor: Actor, token: ApiToken, *, now: datetime | None = None
                 ) -> None:
    if token.revoked_at is not None:
        return  # revoking twice changes nothing (a double click, a retried script)
    token.revoked_at = now or utcnow()
    token.revoked_by_id = actor.user_id
    db.flush()
    record(db, actor, "api_token.revoked", target=token, owner_id=token.user_id,
           kind=token.kind.value, name=token.name)


def revoke_all_of(db: Session, user_id: int, *, now: datetime | None = None) -> int:
    """Revoke every open token of a person (deactivation, erasure)."""
    return db.execute(update(ApiToken)
                      .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                      .values(revoked_at=now or utcnow())
                      .execution_options(synchronize_session=False)).rowcount


def forget_all_of(db: Session, user_id: int) -> None:
    """Delete a person's tokens and the API answers stored for them (erasure)."""
    from app.api.models import IdempotencyRecord

    db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id)
               .execution_options(synchronize_session=False))
    db.execute(delete(ApiToken).where(ApiToken.user_id == user_id)
               .execution_options(synchronize_session=False))


def find_usable(db: Session, secret: str, now: datetime) -> ApiToken | None:
    """The token with this secret if it may be used now: not revoked, not expired, and its
    owner active (a deactivated person's tokens stop at once, like their sessions)."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH or not secret.startswith(TOKEN_PREFIX):
        return None
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret))
                      .options(joinedload(ApiToken.user)))
    if token is None or not token.is_usable(now):
        return None
    owner = token.user
    if owner.status != UserStatus.ACTIVE or owner.erased_at is not None:
        return None
    return token


def needs_touch(token: ApiToken, ip: str | None, now: datetime) -> bool:
    """Whether the last use is worth writing: at most once a minute, or from a new address
    (so that reads stay reads most of the time)."""
    return (token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1)
            or token.last_used_ip != ((ip or "")[:45] or None))


def touch(db: Session, token_id: int, ip: str | None, now: datetime) -> None:
    db.execute(update(ApiToken).where(ApiToken.id == token_id)
               .values(last_used_at=now, last_used_ip=(ip or "")[:45] or None)
               .execution_options(synchronize_session=False))


# --- queries -------------------------------------------------------------------------------


def active_count(db: Session, user_id: int, now: datetime) -> int:
    return db.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None),
        (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))) or 0


def tokens_of(db: Session, user_id: int) -> list[ApiToken]:
    """A person's own tokens, newest first (revoked ones too: the history is useful)."""
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
                           .limit(200)))


def all_tokens_statement(kind: TokenKind | None = None, *, active_only: bool = False,
                         now: datetime | None = None) -> Select:
    """Every token (the admin page), owners loaded, newest first."""
    stmt = (select(ApiToken).options(joinedload(ApiToken.user), joinedload(ApiToken.created_by))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    if kind is not None:
        stmt = stmt.where(ApiToken.kind == kind)
    if active_only:
        now = now or utcnow()
        stmt = stmt.where(ApiToken.revoked_at.is_(None),
                          (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
    return stmt
