"""Single sign-on (OpenID Connect): the provider's settings, the group mapping, and the link
between a person and their identity at the provider."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Group, User
from app.db import Base, utcnow

#: the primary key of the one settings row
SETTINGS_ID = 1
DEFAULT_SCOPES = "openid email profile"
DEFAULT_GROUPS_CLAIM = "groups"


class SsoSettings(Base):
    """The identity provider as an administrator configured it (one row, id 1).

    Environment variables (``OIDC_*``, config.py) take precedence field by field; see
    ``app.accounts.sso_services.load_config``.
    """

    __tablename__ = "sso_settings"
    __table_args__ = (CheckConstraint(f"id = {SETTINGS_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False,
                                    default=SETTINGS_ID)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: shown on the sign-in button: "Sign in with <provider_name>"
    provider_name: Mapped[str] = mapped_column(String(80), default="")
    #: the issuer URL; discovery is read from <issuer>/.well-known/openid-configuration
    issuer: Mapped[str] = mapped_column(String(500), default="")
    client_id: Mapped[str] = mapped_column(String(255), default="")
    #: Fernet-encrypted (app/sharing/crypto.py, TOKEN_ENCRYPTION_KEY); "" when not set
    client_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    #: space-separated; "openid" is always sent
    scopes: Mapped[str] = mapped_column(String(500), default=DEFAULT_SCOPES)
    #: the claim (ID token or userinfo) that lists the person's groups at the provider
    groups_claim: Mapped[str] = mapped_column(String(100), default=DEFAULT_GROUPS_CLAIM)
    #: create accounts on first sign-in for addresses of an allowed domain
    auto_provision: Mapped[bool] = mapped_column(Boolean, default=True)
    #: people linked to the provider may not sign in or reset a password with a password
    password_login_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SsoGroupMapping(Base):
    """A value of the groups claim → a Relais group. Groups in no mapping are never touched
    by single sign-on; mapped ones follow the claim at every sign-in."""

    __tablename__ = "sso_group_mappings"
    __table_args__ = (
        UniqueConstraint("claim_value", "group_id",
                         name="uq_sso_group_mappings_claim_value_group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: compared exactly (case-sensitive), as the provider sends it
    claim_value: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"),
                                          index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group] = relationship()


class SsoIdentity(Base):
    """A person's account at an identity provider: (issuer, subject) is who they are there."""

    __tablename__ = "sso_identities"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_sso_identities_issuer_subject"),
        #: one identity per provider and person: a second subject claiming the same
        #: address is refused rather than silently linked
        UniqueConstraint("user_id", "issuer", name="uq_sso_identities_user_id_issuer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the issuer exactly as the provider's discovery document spells it
    issuer: Mapped[str] = mapped_column(String(500))
    #: the "sub" claim: stable and unique at that issuer (the email may change)
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
