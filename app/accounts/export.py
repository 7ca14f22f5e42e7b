"""A person's data export (GDPR access/portability).

Each feature registers a function returning its part of the export, so the export grows
with the product without this module knowing every table.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import utcnow

Exporter = Callable[[Session, User], dict]
EXPORTERS: list[Exporter] = []


def exporter(fn: Exporter) -> Exporter:
    EXPORTERS.append(fn)
    return fn


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


def export_user_data(db: Session, user: User) -> dict:
    data: dict = {"exported_at": _iso(utcnow()), "format": "relais-export-1"}
    for fn in EXPORTERS:
        data.update(fn(db, user))
    return data
