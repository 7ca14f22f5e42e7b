"""Inactivity nudges: a friendly e-mail to someone who has not shared for a while.

Job "notifications.nudges" (daily). An active person is nudged when, ``NUDGE_AFTER_WEEKS``
weeks (3 by default; 0 turns nudges off) before the run, all of these lie in the past:
their last share (failed ones do not count), their enrolment, and their previous nudge —
so one nudge, then no other until they share again and stop for as long again, or until
as many weeks pass. Only if they have something to share (their queue is not empty: the
e-mail suggests its best items) and their "reminders" preference is on.

Once: ``NotificationPreferences.last_nudge_at`` is set in the same transaction as the
e-mail is queued (key ``nudge:<user>:<Monday of the run's week>``), so a second run sends
nothing. People are taken 500 at a time with a constant number of statements per batch.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User, UserStatus
from app.content.models import ContentItem
from app.notifications import preferences
from app.notifications.digests import Reader, available_items, batches
from app.notifications.emails import absolute_url, path_for, user_email
from app.notifications.models import NotificationPreferences
from app.sharing.models import Share, ShareStatus

#: items suggested in a nudge
SUGGESTIONS = 3


def send_nudges(db: Session, now: datetime, *, weeks: int) -> dict:
    """Queue the nudges due at ``now``; returns counts."""
    if weeks <= 0:
        return {"people": 0, "sent": 0}
    cutoff = now - timedelta(weeks=weeks)
    prefs = NotificationPreferences
    last_share = (select(func.max(Share.created_at))
                  .where(Share.user_id == User.id, Share.status != ShareStatus.FAILED)
                  .correlate(User).scalar_subquery())
    stmt = (select(User, last_share.label("last_share"))
            .outerjoin(prefs, prefs.user_id == User.id)
            .where(User.status == UserStatus.ACTIVE, User.erased_at.is_(None),
                   User.created_at <= cutoff,
                   or_(last_share.is_(None), last_share <= cutoff),
                   or_(prefs.id.is_(None), prefs.email_reminders.is_(True)),
                   or_(prefs.last_nudge_at.is_(None), prefs.last_nudge_at <= cutoff)))
    week = (now - timedelta(days=now.weekday())).date()
    people = sent = 0
    for rows in batches(db, stmt):
        people += len(rows)
        found = available_items(db, [Reader(user) for user, _last in rows], now, SUGGESTIONS)
        nudged = []
        for user, last in rows:
            if found.get(user.id) and enqueue_nudge(db, user, found[user.id], last,
                                                    week=week, now=now):
                nudged.append(user.id)
        if nudged:
            preferences.ensure_rows(db, nudged)
            db.execute(update(prefs).where(prefs.user_id.in_(nudged)).values(last_nudge_at=now))
            sent += len(nudged)
    db.flush()
    return {"people": people, "sent": sent}


def enqueue_nudge(db: Session, user: User, items: list[ContentItem], last_share: datetime | None,
                  *, week, now: datetime) -> bool:
    from app.notifications.outbox import enqueue_email  # imports gamification, which imports us

    weeks = (now - last_share).days // 7 if last_share is not None else None
    entries = [{"item": item, "link": absolute_url(path_for("sharing.share", item_id=item.id))}
               for item in items]
    email = user_email(user, "notifications/email/nudge", preferences.REMINDERS,
                       lambda: _("Something to share this week?"), entries=entries,
                       weeks=weeks, queue_link=absolute_url(path_for("portal.home")))
    return enqueue_email(db, email, key=f"nudge:{user.id}:{week.isoformat()}", now=now)
