"""Personal access tokens of the REST API and the stored answers of idempotent POSTs."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.common.types import str_enum
from app.db import Base, utcnow


class TokenKind(enum.StrEnum):
    #: created by a person in their settings (or by the CLI) to script their own work
    PERSONAL = "personal"
    #: created by an admin for an integration (HR system, CRM, intranet), usually scoped
    SERVICE = "service"


class ApiToken(Base):
    """A bearer token: the secret is shown once and only its SHA-256 is kept.

    A token acts as its owner: each call is checked against the permission table with the
    owner's current role, exactly like a signed-in session, then against the token's
    scopes (a scope never grants more than the role).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 (hex) of the whole token "rls_…"; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the first characters of the token ("rls_AbCd1234"), to recognise it in lists and logs
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TokenKind] = mapped_column(str_enum(TokenKind, "api_token_kind"),
                                            default=TokenKind.PERSONAL)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: space-separated scope names (app.api.scopes); "*" = everything the owner's role allows
    scopes: Mapped[str] = mapped_column(String(500), default="*")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: who created it: the owner, an admin (service tokens) or None (the CLI)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: None: never expires
    expires_at: Mapped[datetime | None]
    #: updated at most once a minute (app.api.auth), so a busy integration does not turn
    #: every read into a write
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str | None] = mapped_column(String(45))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def allows(self, scope: str | None) -> bool:
        """Whether the token's scopes cover ``scope`` (None: no scope needed)."""
        if scope is None:
            return True
        scopes = self.scope_set
        if "*" in scopes or scope in scopes:
            return True
        # "x:write" includes "x:read"
        family, _sep, access = scope.partition(":")
        return access == "read" and f"{family}:write" in scopes


class IdempotencyRecord(Base):
    """The answer to a POST sent with an ``Idempotency-Key``: a retry with the same key
    gets the same answer instead of creating the thing twice (kept 24 hours).

    Keyed by person, not by token: an integration that rotates its token between two
    retries still gets the first answer.
    """

    __tablename__ = "api_idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key",
                                       name="uq_api_idempotency_records_user_id_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"),
                                                 index=True)
    key: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of method, path and body: the same key with another request is refused
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int] = mapped_column(Integer)
    #: the JSON body that was answered
    response_body: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
