"""A person's data: export (GDPR access/portability) and erasure.

Each feature registers a function returning its part of the export (``@exporter``) and,
where it keeps personal data that anonymising the user row does not cover (tokens, linked
identities, free text), a function deleting it on erasure (``@eraser``), so both grow with
the product without this module knowing every table.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserSession
from app.db import utcnow

Exporter = Callable[[Session, User], dict]
EXPORTERS: list[Exporter] = []
Eraser = Callable[[Session, User], None]
ERASERS: list[Eraser] = []


def exporter(fn: Exporter) -> Exporter:
    EXPORTERS.append(fn)
    return fn


def eraser(fn: Eraser) -> Eraser:
    """Register ``fn(db, user)``: deletes (flushes) a feature's personal data on erasure."""
    ERASERS.append(fn)
    return fn


def erase_feature_data(db: Session, user: User) -> None:
    for fn in ERASERS:
        fn(db, user)


def _iso(value):
    return value.isoformat() if value else None


@exporter
def _account(db: Session, user: User) -> dict:
    from app.accounts.queries import policy_acceptances

    return {
        "account": {
            "id": user.id, "email": user.email, "name": user.name, "role": user.role.value,
            "status": user.status.value, "language": user.language, "timezone": user.timezone,
            "manager": ({"id": user.manager.id, "name": user.manager.name}
                        if user.manager else None),
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
        },
        "groups": [{"kind": g.kind.value, "name": g.name} for g in user.groups],
        "topics": [t.name for t in user.topics],
        "social_accounts": [
            {"network": a.network.value, "handle": a.handle, "profile_url": a.profile_url,
             "followers": a.followers, "updated_at": _iso(a.updated_at)}
            for a in user.social_accounts],
        "policy_acceptances": [
            {"version": a.policy_version.version, "accepted_at": _iso(a.accepted_at)}
            for a in policy_acceptances(db, user.id)],
    }


@exporter
def _audit(db: Session, user: User) -> dict:
    from app.audit.models import AuditEvent

    rows = db.scalars(select(AuditEvent).where(
        (AuditEvent.actor_id == user.id)
        | ((AuditEvent.target_type == "users") & (AuditEvent.target_id == user.id)))
        .order_by(AuditEvent.at))
    return {"activity_log": [{"at": _iso(e.at), "action": e.action, "ip": e.ip} for e in rows]}


@exporter
def _sessions(db: Session, user: User) -> dict:
    # the token's hash is left out: it tells the person nothing
    rows = db.scalars(select(UserSession).where(UserSession.user_id == user.id)
                      .order_by(UserSession.id))
    return {"sessions": [{"created_at": _iso(r.created_at), "last_seen_at": _iso(r.last_seen_at),
                          "expires_at": _iso(r.expires_at), "revoked_at": _iso(r.revoked_at),
                          "remember": r.remember, "ip": r.ip, "user_agent": r.user_agent}
                         for r in rows]}


@eraser
def _erase_sessions(db: Session, user: User) -> None:
    # addresses and user agents are personal data; deleting the rows also ends the sessions
    db.execute(delete(UserSession).where(UserSession.user_id == user.id))


def export_user_data(db: Session, user: User) -> dict:
    data: dict = {"exported_at": _iso(utcnow()), "format": "relais-export-1"}
    for fn in EXPORTERS:
        data.update(fn(db, user))
    return data
