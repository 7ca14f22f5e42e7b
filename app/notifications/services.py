"""Writing and reading notices. Services flush, never commit."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import has_app_context
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from app.db import utcnow
from app.notifications import preferences
from app.notifications.kinds import KINDS, email_category, render_notice
from app.notifications.models import Notice
from app.notifications.preferences import Recipient

log = logging.getLogger("relais.notifications")


def notify(db: Session, *, user_id: int, kind: str, params: dict | None = None,
           link: tuple[str, dict] | None = None, now: datetime | None = None,
           recipients: dict[int, Recipient] | None = None) -> Notice:
    """Put a notice in ``user_id``'s bell; ``link`` is ``(endpoint, url_for arguments)``.

    A kind registered with an ``email_category`` is also e-mailed, in the same transaction
    (the outbox), when the person is active and their preferences allow it: same text as
    the notice, in their language, with the link. ``recipients``: the people and their
    preferences loaded once by a caller that notifies in a loop
    (``preferences.recipients``); without it one statement per e-mailed notice loads them.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}: register it with @notice_kind")
    endpoint, args = link or ("", {})
    notice = Notice(user_id=user_id, kind=kind, params=params or {}, link_endpoint=endpoint,
                    link_args=args, created_at=now or utcnow())
    db.add(notice)
    db.flush()
    category = email_category(kind)
    if category is not None:
        _email_notice(db, notice, category, recipients, now)
    return notice


def _email_notice(db: Session, notice: Notice, category: str,
                  recipients: dict[int, Recipient] | None, now: datetime | None) -> None:
    # the outbox imports gamification, which imports this module
    from app.notifications.emails import absolute_url, path_for, user_email
    from app.notifications.outbox import enqueue_email

    if not has_app_context():  # a bare script: rendering needs the app (the bell still has it)
        log.warning("notice %s not e-mailed: no application context", notice.id)
        return
    if recipients is None:
        recipients = preferences.recipients(db, [notice.user_id])
    recipient = recipients.get(notice.user_id)
    if recipient is None or not recipient.allows(category):
        return
    user = recipient.user
    with force_locale(user.language or "en"):
        text = render_notice(notice.kind, notice.params)
    link = None
    if notice.link_endpoint:
        try:
            link = absolute_url(path_for(notice.link_endpoint, **notice.link_args))
        except BuildError:
            link = None
    email = user_email(user, "notifications/email/notice", category, lambda: text,
                       text=text, link=link)
    enqueue_email(db, email, key=f"notice:{notice.id}", now=now)


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
