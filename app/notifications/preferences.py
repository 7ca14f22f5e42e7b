"""E-mail preferences: what each person wants by e-mail (services: flush, never commit).

Categories (each e-mail belongs to one; its footer's unsubscribe link turns that one off):

* ``digest``: the digest of new content; ``never``, ``daily`` or ``weekly`` (default
  **weekly**);
* ``badges``: new badges and levels (default **on**);
* ``challenges``: a challenge started, won or over (default **on**);
* ``reminders``: training due dates and inactivity nudges (default **on**).

Account e-mails (invitations, password resets…) are not notifications: they always go.
A person has no row until they first save the page, unsubscribe or get a digest run;
without a row the defaults apply (``DEFAULTS``). Only active, non-erased people are ever
e-mailed (``recipients``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.export import exporter
from app.accounts.models import User, UserStatus
from app.db import dialect_insert, utcnow
from app.notifications.models import DigestFrequency, NotificationPreferences

DIGEST = "digest"
BADGES = "badges"
CHALLENGES = "challenges"
REMINDERS = "reminders"
CATEGORIES = (DIGEST, BADGES, CHALLENGES, REMINDERS)

#: ids per IN (…) list
CHUNK = 1000
#: the boolean column of each on/off category
_FLAGS = {BADGES: "email_badges", CHALLENGES: "email_challenges", REMINDERS: "email_reminders"}

DEFAULTS = {"digest": DigestFrequency.WEEKLY, "email_badges": True, "email_challenges": True,
            "email_reminders": True}

#: what unsubscribing from a category stops (the unsubscribe page, the preferences page)
CATEGORY_LABELS = {
    DIGEST: _l("the digest of new content"),
    BADGES: _l("e-mails about your new badges and levels"),
    CHALLENGES: _l("e-mails about challenges (started, won, over)"),
    REMINDERS: _l("reminders: training due dates and nudges when you have not shared for a "
                  "while"),
}


def defaults(user_id: int) -> NotificationPreferences:
    """An unsaved row with the defaults (reading never writes)."""
    return NotificationPreferences(user_id=user_id, **DEFAULTS)


def allows(prefs: NotificationPreferences | None, category: str) -> bool:
    """Whether ``prefs`` (None: the defaults) let an e-mail of ``category`` through."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown e-mail category {category!r}")
    if category == DIGEST:
        value = prefs.digest if prefs is not None else DEFAULTS["digest"]
        return value != DigestFrequency.NEVER
    return bool(getattr(prefs, _FLAGS[category]) if prefs is not None
                else DEFAULTS[_FLAGS[category]])


def preferences_for(db: Session, user_id: int) -> NotificationPreferences:
    """The person's saved preferences, or an unsaved row with the defaults."""
    row = db.scalar(select(NotificationPreferences)
                    .where(NotificationPreferences.user_id == user_id))
    return row if row is not None else defaults(user_id)


def ensure_rows(db: Session, user_ids: Iterable[int]) -> None:
    """Create the missing rows of these people with the defaults (one INSERT … ON CONFLICT
    DO NOTHING: safe against a concurrent creation)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    existing = set(db.scalars(select(NotificationPreferences.user_id)
                              .where(NotificationPreferences.user_id.in_(ids))))
    missing = [uid for uid in ids if uid not in existing]
    if missing:
        now = utcnow()
        stmt = dialect_insert(db, NotificationPreferences.__table__).on_conflict_do_nothing(
            index_elements=["user_id"])
        db.execute(stmt, [{"user_id": uid, "digest": DEFAULTS["digest"].value,
                           "email_badges": True, "email_challenges": True,
                           "email_reminders": True, "updated_at": now} for uid in missing])


def _row(db: Session, user_id: int) -> NotificationPreferences:
    ensure_rows(db, [user_id])
    return db.scalars(select(NotificationPreferences)
                      .where(NotificationPreferences.user_id == user_id)
                      .execution_options(populate_existing=True)).one()


def save(db: Session, user_id: int, *, digest: DigestFrequency, badges: bool,
         challenges: bool, reminders: bool, now: datetime | None = None
         ) -> NotificationPreferences:
    row = _row(db, user_id)
    row.digest = DigestFrequency(digest)
    row.email_badges, row.email_challenges = bool(badges), bool(challenges)
    row.email_reminders = bool(reminders)
    row.updated_at = now or utcnow()
    db.flush()
    return row


def turn_off(db: Session, user_id: int, category: str,
             now: datetime | None = None) -> NotificationPreferences:
    """Stop one category (an unsubscribe link): the digest becomes ``never``."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown e-mail category {category!r}")
    row = _row(db, user_id)
    if category == DIGEST:
        row.digest = DigestFrequency.NEVER
    else:
        setattr(row, _FLAGS[category], False)
    row.updated_at = now or utcnow()
    db.flush()
    return row


@dataclass(frozen=True)
class Recipient:
    """A person who may be e-mailed, with their preferences (None: the defaults)."""

    user: User
    prefs: NotificationPreferences | None

    def allows(self, category: str) -> bool:
        return allows(self.prefs, category)


def recipients(db: Session, user_ids: Iterable[int]) -> dict[int, Recipient]:
    """The active, non-erased people among ``user_ids`` with their preferences: one
    statement (callers that notify in a loop load them once)."""
    ids = sorted(set(user_ids))
    result: dict[int, Recipient] = {}
    for start in range(0, len(ids), CHUNK):
        rows = db.execute(select(User, NotificationPreferences)
                          .outerjoin(NotificationPreferences,
                                     NotificationPreferences.user_id == User.id)
                          .where(User.id.in_(ids[start:start + CHUNK]),
                                 User.status == UserStatus.ACTIVE, User.erased_at.is_(None)))
        result.update({user.id: Recipient(user, prefs) for user, prefs in rows})
    return result


def reminders_off_condition():
    """SQL: the person turned reminders off (for the reminder jobs' recipient queries)."""
    return (select(NotificationPreferences.id)
            .where(NotificationPreferences.user_id == User.id,
                   NotificationPreferences.email_reminders.is_(False)).exists())


@exporter
def _export_preferences(db: Session, user: User) -> dict:
    """The person's data export: their e-mail choices (no eraser: nothing personal)."""
    row = preferences_for(db, user.id)
    return {"email_preferences": {
        "digest": DigestFrequency(row.digest).value, "badges": row.email_badges,
        "challenges": row.email_challenges, "reminders": row.email_reminders,
        "last_digest_at": row.last_digest_at.isoformat() if row.last_digest_at else None,
        "last_nudge_at": row.last_nudge_at.isoformat() if row.last_nudge_at else None}}
