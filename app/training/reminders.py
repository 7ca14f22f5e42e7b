"""Due-date reminders: one email per person × course × reminder window.

A course (the family's original) with a due date reminds the people of its audience who
have not passed it yet: ``TRAINING_REMINDER_DAYS`` days before the date (7 and 1 by
default: each is a window) and once when it is overdue. Only the current window is sent
(someone assigned the day before the deadline gets the "1 day" reminder, not both).
People who turned reminders off in their e-mail preferences get none.
A ``ReminderSent`` row (unique person × course × window, the due date part of the window's
key) is written with each email, so running the job again sends nothing twice; the
emails are queued in the outbox in the same transaction (app/notifications/outbox.py) and
carry the notification footer with the preferences and unsubscribe links.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, literal, select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserStatus
from app.common.mail import Email, Mailer
from app.notifications.emails import user_email
from app.notifications.outbox import enqueue_email
from app.notifications.preferences import reminders_off_condition
from app.training.links import course_path
from app.training.models import Certificate, Course, ReminderSent
from app.training.queries import published_originals
from app.training.services import audience_condition, version_for

OVERDUE = "overdue"


def window_for(due_on: date, today: date, days_before: Iterable[int]) -> str | None:
    """"7d", "1d"… (the smallest window the date falls in), "overdue", or None."""
    left = (due_on - today).days
    if left < 0:
        return OVERDUE
    for days in sorted(set(days_before)):
        if left <= days:
            return f"{days}d"
    return None


def _recipients(db: Session, original: Course, key: str) -> list[User]:
    """Active people of the audience without a certificate nor this reminder yet, who did
    not turn reminders off (their e-mail preferences)."""
    certified = select(Certificate.id).where(Certificate.user_id == User.id,
                                             Certificate.family_id == original.id).exists()
    reminded = select(ReminderSent.id).where(ReminderSent.user_id == User.id,
                                             ReminderSent.course_id == original.id,
                                             ReminderSent.window == key).exists()
    return list(db.scalars(select(User).where(
        and_(User.status == UserStatus.ACTIVE, User.erased_at.is_(None),
             audience_condition(literal(original.id), User.id)),
        ~certified, ~reminded, ~reminders_off_condition()).order_by(User.id)))


def reminder_email(mailer: Mailer, user: User, course: Course, due_on: date, window: str,
                   days_left: int) -> Email:
    link = mailer.url(course_path(course.id))

    def subject():
        if window == OVERDUE:
            return _("Overdue training: %(title)s", title=course.title)
        return _("Training due soon: %(title)s", title=course.title)

    return user_email(user, "training/email/reminder", "reminders", subject, course=course,
                      due_on=due_on, overdue=window == OVERDUE, days=max(0, days_left),
                      link=link)


def send_reminders(db: Session, mailer: Mailer, now: datetime,
                   days_before: Iterable[int] = (7, 1)) -> dict:
    today = now.date()
    sent = 0
    courses = 0
    for original in published_originals(db):
        if original.due_on is None:
            continue
        window = window_for(original.due_on, today, days_before)
        if window is None:
            continue
        courses += 1
        key = f"{window}:{original.due_on.isoformat()}"
        versions: dict[str, Course | None] = {}
        for user in _recipients(db, original, key):
            if user.language not in versions:
                versions[user.language] = version_for(db, original.id, user.language)
            course = versions[user.language]
            if course is None:
                continue
            db.add(ReminderSent(user_id=user.id, course_id=original.id, window=key,
                                sent_at=now))
            email = reminder_email(mailer, user, course, original.due_on, window,
                                   (original.due_on - today).days)
            enqueue_email(db, email, key=f"training:{original.id}:{user.id}:{key}", now=now)
            sent += 1
    db.flush()  # the unique key refuses a concurrent run's duplicates
    return {"courses": courses, "sent": sent}
