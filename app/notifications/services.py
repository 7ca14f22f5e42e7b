"""Writing and reading notices. Services flush, never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.notifications.kinds import KINDS
from app.notifications.models import Notice


def notify(db: Session, *, user_id: int, kind: str, params: dict | None = None,
           link: tuple[str, dict] | None = None, now: datetime | None = None) -> Notice:
    """Put a notice in ``user_id``'s bell; ``link`` is ``(endpoint, url_for arguments)``."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}: register it with @notice_kind")
    endpoint, args = link or ("", {})
    notice = Notice(user_id=user_id, kind=kind, params=params or {}, link_endpoint=endpoint,
                    link_args=args, created_at=now or utcnow())
    db.add(notice)
    db.flush()
    return notice


def unread_count(db: Session, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Notice)
                     .where(Notice.user_id == user_id, Notice.read_at.is_(None))) or 0


def notices_statement(user_id: int):
    return (select(Notice).where(Notice.user_id == user_id)
            .order_by(Notice.created_at.desc(), Notice.id.desc()))


def mark_read(db: Session, notice: Notice, now: datetime | None = None) -> None:
    if notice.read_at is None:
        notice.read_at = now or utcnow()
        db.flush()


def mark_all_read(db: Session, user_id: int, now: datetime | None = None) -> int:
    result = db.execute(update(Notice)
                        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
                        .values(read_at=now or utcnow()))
    return result.rowcount or 0
