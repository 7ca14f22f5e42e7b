"""Server-side sign-in sessions: start, check, list, revoke, prune.

Flask's session and Flask-Login's remember-me cookie are signed, self-contained cookies:
clearing the browser's copy at logout does not stop a copy taken before. So every sign-in
also writes a ``UserSession`` row, and the cookies carry its random token
(``User.get_id()`` = ``"<user id>:<session_version>:<token>"``). The loader
(app/accounts/auth.py) accepts a cookie only while its row exists, is not revoked and has
not expired; logging out, "sign out everywhere else", an admin's "end all sessions", a
password change and deactivation revoke rows, erasure deletes them.

Lifetimes: "keep me signed in" sessions end ``SESSION_ABSOLUTE_HOURS`` after sign-in; the
others after ``PERMANENT_SESSION_LIFETIME_HOURS`` without a request, and at the latest after
``SESSION_ABSOLUTE_HOURS`` too. Administrators' sessions end after
``ADMIN_SESSION_IDLE_MINUTES`` (2 h) without a request, "keep me signed in" or not.
``last_seen_at`` (and with it the idle deadline) is written
at most every ``TOUCH_INTERVAL``, not on every request: the idle timeout is exact to within
those few minutes.

Services flush and never commit.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.accounts.models import Role, User, UserSession, UserStatus
from app.accounts.tokens import _digest
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.db import utcnow

log = logging.getLogger(__name__)

#: last_seen_at is written at most this often per session (no write per request)
TOUCH_INTERVAL = timedelta(minutes=5)
#: revoked and expired sessions are kept this long (the person's list and the admin can
#: still tell what happened), then deleted by the "accounts.prune" job
RETENTION = timedelta(days=30)
#: a token longer than this is not one of ours: no hashing of huge cookie values
MAX_TOKEN_LENGTH = 100
USER_AGENT_LENGTH = 300


@dataclass(frozen=True)
class SessionPolicy:
    #: from sign-in to the end, whatever the activity
    absolute: timedelta
    #: without a request, for sessions without "keep me signed in"
    idle: timedelta
    #: without a request, for administrators' sessions, "keep me signed in" or not
    admin_idle: timedelta = timedelta(hours=2)

    @classmethod
    def from_config(cls, config) -> SessionPolicy:
        return cls(absolute=timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
                   idle=config["PERMANENT_SESSION_LIFETIME"],
                   admin_idle=timedelta(minutes=config.get("ADMIN_SESSION_IDLE_MINUTES",
                                                           120)))

    def expiry(self, *, created_at: datetime, remember: bool, seen_at: datetime,
               admin: bool = False) -> datetime:
        end = created_at + self.absolute
        if admin:
            return min(end, seen_at + min(self.idle, self.admin_idle))
        return end if remember else min(end, seen_at + self.idle)


def start(db: Session, user: User, actor: Actor, *, remember: bool, policy: SessionPolicy,
          now: datetime | None = None) -> str:
    """Record a new sign-in session of ``user``; its token (256 bits) goes into the cookies.

    The token is attached to ``user`` so that ``user.get_id()`` carries it."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=_digest(token), created_at=now,
                      last_seen_at=now, remember=remember,
                      expires_at=policy.expiry(created_at=now, remember=remember, seen_at=now,
                                               admin=_is_admin(user)),
                      ip=actor.ip, user_agent=(actor.user_agent or "")[:USER_AGENT_LENGTH])
    db.add(row)
    db.flush()
    user.current_session, user.session_token = row, token
    return token


def load(db: Session, user_id: int, version: int, token: str, policy: SessionPolicy,
         now: datetime | None = None) -> User | None:
    """The signed-in user of a cookie, or None if its session is unknown, revoked, expired,
    of an older ``session_version`` or of an account that may no longer sign in.

    One indexed statement (the user comes with the session row); every ``TOUCH_INTERVAL``
    one more, to move ``last_seen_at`` and the idle deadline."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    found = db.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                       .where(UserSession.token_hash == _digest(token))).first()
    if found is None:
        return None
    row, user = found
    if (user.id != user_id or user.session_version != version
            or user.status != UserStatus.ACTIVE or row.revoked_at is not None
            or row.expires_at <= now):
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        _touch(db, row, policy, now, admin=_is_admin(user))
    user.current_session, user.session_token = row, token
    return user


def _is_admin(user: User) -> bool:
    return user.role == Role.ADMIN  # its role now: a promotion shortens it at the next touch


def _touch(db: Session, row: UserSession, policy: SessionPolicy, now: datetime, *,
           admin: bool = False) -> None:
    # in a savepoint: on SQLite a read-only request that cannot take the write lock right
    # now just skips the update (the next request after it will try again), it never fails
    try:
        with db.begin_nested():
            row.last_seen_at = now
            row.expires_at = policy.expiry(created_at=row.created_at, remember=row.remember,
                                           seen_at=now, admin=admin)
    except OperationalError as exc:
        log.info("session %s: last_seen_at not updated (%s)", row.id, exc.orig)


def active_sessions(db: Session, user_id: int, now: datetime | None = None
                    ) -> list[UserSession]:
    """The person's sessions that still work, the most recently used first."""
    now = now or utcnow()
    return list(db.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
               UserSession.expires_at > now)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())))


def _revoke(db: Session, *criteria) -> int:
    now = utcnow()
    return db.execute(
        update(UserSession)
        .where(UserSession.revoked_at.is_(None), UserSession.expires_at > now, *criteria)
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount


def end_current(db: Session, user: User) -> None:
    """Logout: the session this request was signed in with stops working (the caller
    audits the logout)."""
    if user.current_session is not None:
        _revoke(db, UserSession.id == user.current_session.id)


def revoke_all(db: Session, user_id: int) -> int:
    """Every session of the person ends (password change or reset, deactivation): the
    caller audits the reason."""
    return _revoke(db, UserSession.user_id == user_id)


def revoke_own(db: Session, actor: Actor, user: User, session_id: int) -> UserSession:
    """The person signs one of their sessions out; someone else's is "not found"."""
    row = db.scalar(select(UserSession).where(UserSession.id == session_id,
                                              UserSession.user_id == user.id))
    if row is None or not _revoke(db, UserSession.id == row.id):
        raise ServiceError(_("This session has already ended."))
    record(db, actor, "auth.session_revoked", target=user, session_id=row.id)
    db.flush()
    return row


def revoke_others(db: Session, actor: Actor, user: User) -> int:
    """"Sign out everywhere else": every session of the person but the current one."""
    keep = user.current_session.id if user.current_session is not None else None
    count = _revoke(db, UserSession.user_id == user.id, UserSession.id != keep)
    record(db, actor, "auth.sessions_revoked", target=user, count=count)
    db.flush()
    return count


def end_all_by_admin(db: Session, actor: Actor, person: User) -> int:
    """An admin's "end all sessions" on the person page (a stolen laptop, a leaver)."""
    count = revoke_all(db, person.id)
    record(db, actor, "user.sessions_ended", target=person, count=count)
    db.flush()
    return count


def prune(db: Session, now: datetime) -> int:
    """Delete sessions revoked or expired more than ``RETENTION`` ago (job accounts.prune)."""
    cutoff = now - RETENTION
    return db.execute(
        delete(UserSession)
        .where(or_(UserSession.revoked_at < cutoff, UserSession.expires_at < cutoff))
        .execution_options(synchronize_session=False)
    ).rowcount


# --- a readable device name for the list ------------------------------------------------

#: first match wins: Edge and Opera also say "Chrome", Chrome also says "Safari"
_BROWSERS = (("Edge", r"\bEdg(e|A|iOS)?/"), ("Opera", r"\bOPR/|\bOpera\b"),
             ("Firefox", r"\bFirefox/|\bFxiOS/"), ("Chrome", r"\bChrome/|\bCriOS/"),
             ("Safari", r"\bSafari/"))
_SYSTEMS = (("iOS", r"\biPhone|\biPad|\biPod"), ("Android", r"\bAndroid\b"),
            ("Windows", r"\bWindows\b"), ("ChromeOS", r"\bCrOS\b"),
            ("macOS", r"\bMacintosh\b|\bMac OS X\b"), ("Linux", r"\bLinux\b"))


def _first(patterns, user_agent: str) -> str | None:
    return next((name for name, pattern in patterns if re.search(pattern, user_agent)), None)


def device_summary(user_agent: str | None) -> str:
    """"Firefox on Windows" from a user agent, for people to recognise their devices."""
    ua = user_agent or ""
    browser, system = _first(_BROWSERS, ua), _first(_SYSTEMS, ua)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown device")
