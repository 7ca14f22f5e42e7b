"""Write audit events. Services call ``record`` in the same transaction as the change."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.common.actor import Actor


def record(db: Session, actor: Actor | None, action: str, *, target=None, **details) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.user_id if actor else None,
        ip=actor.ip if actor else None,
        action=action,
        target_type=getattr(target, "__tablename__", None) if target is not None else None,
        target_id=getattr(target, "id", None) if target is not None else None,
        details={k: v for k, v in details.items() if v is not None},
    )
    db.add(event)
    return event
