"""People, groups, topics, tokens, enrolment, policy and social accounts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.types import str_enum
from app.db import Base, utcnow


class Role(enum.StrEnum):
    EMPLOYEE = "employee"
    MANAGER = "manager"
    CURATOR = "curator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self]


#: each role can do what the roles before it can (DESIGN.md, "Users and roles")
ROLE_RANK = {Role.EMPLOYEE: 1, Role.MANAGER: 2, Role.CURATOR: 3, Role.ADMIN: 4}


class UserStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class GroupKind(enum.StrEnum):
    DEPARTMENT = "department"
    LOCATION = "location"
    TEAM = "team"


class Network(enum.StrEnum):
    LINKEDIN = "linkedin"
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"


class TokenPurpose(enum.StrEnum):
    INVITE = "invite"
    RESET = "reset"


class EnrolmentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True),
)

user_topics = Table(
    "user_topics",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-case; unique across the installation
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: argon2 hash; NULL until an invitation is accepted
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"), default=Role.EMPLOYEE)
    status: Mapped[UserStatus] = mapped_column(
        str_enum(UserStatus, "user_status"), default=UserStatus.INVITED, index=True
    )
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: bumped to end every session and remember-me cookie of this user at once
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    #: failed logins since the last sign-in, from anywhere (for the record: the lock is per
    #: address, LoginThrottle)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[datetime | None]
    #: the latest policy version this person accepted (the PolicyAcceptance rows are the
    #: record; this copy lets the per-request policy gate avoid a join)
    accepted_policy_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set when an admin erased this person's personal data (GDPR)
    erased_at: Mapped[datetime | None]
    #: the HR system's stable key for this person (API provisioning, app/api/scim.py);
    #: unique when set
    employee_number: Mapped[str | None] = mapped_column(String(64), unique=True)

    manager: Mapped[User | None] = relationship(remote_side=[id], back_populates="reports")
    reports: Mapped[list[User]] = relationship(back_populates="manager")
    groups: Mapped[list[Group]] = relationship(secondary=user_groups, back_populates="members")
    topics: Mapped[list[Topic]] = relationship(secondary=user_topics)
    social_accounts: Mapped[list[SocialAccount]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # --- Flask-Login protocol ------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_anonymous(self) -> bool:
        return False

    #: not columns: the sign-in session (``UserSession``) this object was loaded or signed
    #: in for, and its raw token, set by app/accounts/auth.py for the current request
    current_session = None
    session_token = None

    def get_id(self) -> str:
        # what Flask-Login puts in the session and the remember-me cookie: the version makes
        # them all invalid when it is bumped; the token names this browser's server-side
        # session, which logout revokes (app/accounts/sessions.py). Without a token the id
        # is refused by the loader.
        return f"{self.id}:{self.session_version}:{self.session_token or ''}"

    def has_role(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[GroupKind] = mapped_column(str_enum(GroupKind, "group_kind"))
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(secondary=user_groups, back_populates="groups")


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class AccountToken(Base):
    """Invitation and password-reset tokens: random, stored hashed, single use, expiring."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose, "token_purpose"))
    #: SHA-256 of the token sent by email; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


class AllowedDomain(Base):
    """Email domains whose owners may ask to join (self-enrolment)."""

    __tablename__ = "allowed_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnrolmentRequest(Base):
    __tablename__ = "enrolment_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[EnrolmentStatus] = mapped_column(
        str_enum(EnrolmentStatus, "enrolment_status"), default=EnrolmentStatus.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PolicyVersion(Base):
    """A published version of the social-media policy (Markdown, rendered sanitised)."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PolicyAcceptance(Base):
    __tablename__ = "policy_acceptances"
    __table_args__ = (UniqueConstraint("user_id", "policy_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    policy_version_id: Mapped[int] = mapped_column(
        ForeignKey("policy_versions.id", ondelete="CASCADE"), index=True
    )
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)

    policy_version: Mapped[PolicyVersion] = relationship()


class SocialAccount(Base):
    """A social network account an employee declared (OAuth connection comes with sharing)."""

    __tablename__ = "social_accounts"
    __table_args__ = (UniqueConstraint("user_id", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    network: Mapped[Network] = mapped_column(str_enum(Network, "social_network"))
    handle: Mapped[str] = mapped_column(String(200))
    profile_url: Mapped[str] = mapped_column(String(500), default="")
    #: follower count as declared (or later fetched); the reach snapshot at share time
    followers: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="social_accounts")


class ImportBatch(Base):
    """A CSV upload between preview and the end of its import (one row per upload)."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(String(255))
    #: preview | running | done | cancelled
    status: Mapped[str] = mapped_column(String(16), default="preview")
    send_invitations: Mapped[bool] = mapped_column(Boolean, default=False)
    #: validated rows waiting to be imported: list of dicts
    rows: Mapped[list] = mapped_column(JSON, default=list)
    #: per-row problems: list of {"line", "email", "errors": [...]}
    errors: Mapped[list] = mapped_column(JSON, default=list)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Consecutive failed sign-ins to one account from one client address, and the lock
    they put on that pair (``LOGIN_MAX_FAILURES`` → ``LOGIN_LOCK_MINUTES``).

    Per address, not per account: someone who knows a person's e-mail cannot lock them out
    by failing their password from elsewhere (ASVS 6.1.1, 6.3.1); the attacker's address
    is the one locked. The person's own address keeps working. ``address`` is the client
    address after ProxyFix ("" when unknown)."""

    __tablename__ = "login_throttles"
    __table_args__ = (PrimaryKeyConstraint("user_id", "address", name="pk_login_throttles"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(45))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    """A signed-in browser: the server-side half of a session cookie (app/accounts/sessions.py).

    The cookie only names the row; the row decides. Logging out, "sign out everywhere else",
    an admin's "end all sessions", a password change and deactivation revoke rows, so a
    copied cookie stops working at once, even though cookies are signed and self-contained.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random token (256 bits) carried by the cookies; never the token itself
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: updated at most every few minutes (sessions.TOUCH_INTERVAL), not on every request
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: refused from then on: the absolute lifetime for "keep me signed in", and for the
    #: others the idle timeout, pushed forward when last_seen_at is (never past the
    #: absolute lifetime)
    expires_at: Mapped[datetime]
    #: the address as the audit log stores it (request.remote_addr behind ProxyFix)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    #: signed in with "keep me signed in" (a remember-me cookie carries the token)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
