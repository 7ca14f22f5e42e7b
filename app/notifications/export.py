"""Notices in a person's data export; erased with the person."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.export import eraser, exporter
from app.accounts.models import User
from app.notifications.kinds import render_notice
from app.notifications.models import Notice


@exporter
def _notices(db: Session, user: User) -> dict:
    rows = db.scalars(select(Notice).where(Notice.user_id == user.id)
                      .order_by(Notice.created_at, Notice.id))
    return {"notices": [{"text": render_notice(n.kind, n.params),
                         "created_at": n.created_at.isoformat(),
                         "read_at": n.read_at.isoformat() if n.read_at else None}
                        for n in rows]}


@eraser
def _erase_notices(db: Session, user: User) -> None:
    db.execute(delete(Notice).where(Notice.user_id == user.id))
