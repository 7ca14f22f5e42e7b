"""The digest of new content: an e-mail with the best new items for each person.

When (job "notifications.digests", hourly): from ``DIGEST_HOUR_UTC`` (7 by default) on,
the first run of each UTC day sends the **daily** digests, and on Mondays the **weekly**
ones (one per ISO week). A person is due when their preference says so (no preferences
row: weekly) and their cursor (``NotificationPreferences.last_digest_at``) is before the
start of the current period (the day, or the week's Monday, 00:00 UTC).

What: the published, unexpired items the person may see (the queue's targeting: groups,
languages), published after their cursor — never more than one period before the current
period's start, nor before they were enrolled — that they have not dismissed nor shared.
At most ``DIGEST_MAX_ITEMS``, featured first, then in the queue's order
(``app.content.queue.score``). Nothing new: no e-mail.

Once: the cursor moves to the run's instant in the same transaction as the e-mail is
queued (also when there was nothing to send: the period is done), so a second run finds
nobody due; the outbox key ``digest:<user>:<daily|weekly>:<period start>`` refuses a
duplicate anyway.

Cost: people are taken 500 at a time; each batch costs the same few statements whatever its
size (people and preferences; candidate items; their groups and topics; the people's groups
and topics; their dismissals and shares; the cursor update), plus one insert per e-mail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import ngettext
from sqlalchemy import and_, false, or_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User, UserStatus, user_groups, user_topics
from app.content.models import (
    ContentItem,
    ContentStatus,
    Dismissal,
    content_item_groups,
    content_item_topics,
)
from app.content.queue import CANDIDATE_LIMIT, score, source_domain
from app.notifications import preferences
from app.notifications.emails import absolute_url, path_for, user_email
from app.notifications.models import DigestFrequency, NotificationPreferences
from app.sharing.models import Share, ShareStatus

BATCH = 500
PERIODS = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}


def period_start(frequency: DigestFrequency, now: datetime) -> datetime:
    """00:00 UTC of ``now``'s day (daily) or of its week's Monday (weekly)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == DigestFrequency.WEEKLY:
        return day - timedelta(days=day.weekday())
    return day


def due_frequencies(now: datetime, hour: int) -> list[DigestFrequency]:
    """The digests that go out at ``now``: daily ones from ``hour`` on, weekly ones too on
    Mondays."""
    if now.hour < hour:
        return []
    if now.weekday() == 0:
        return [DigestFrequency.DAILY, DigestFrequency.WEEKLY]
    return [DigestFrequency.DAILY]


# --- what each person may see (batched) ------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    user: User
    #: only items published after this instant
    since: datetime | None = None


def available_items(db: Session, readers: Sequence[Reader], now: datetime,
                    limit: int) -> dict[int, list[ContentItem]]:
    """For each reader, up to ``limit`` items of their queue published after their
    ``since``: published, unexpired, targeted to them, neither dismissed nor shared by
    them; featured first, then the queue's score. Seven statements whatever the number of
    readers (their number is bounded by the callers' batches).

    The targeting is the queue's rule (``app.content.queue.targeted_to``) applied in Python
    to the batch: no target groups or one of the person's; no target languages or the
    person's. ``tests/test_digests.py`` checks both agree. As in the queue, only the newest
    ``CANDIDATE_LIMIT`` items are considered."""
    if not readers:
        return {}
    sinces = [r.since for r in readers]
    stmt = (select(ContentItem)
            .where(ContentItem.status == ContentStatus.PUBLISHED,
                   ContentItem.published_at <= now,
                   or_(ContentItem.expire_at.is_(None), ContentItem.expire_at > now))
            .order_by(ContentItem.published_at.desc(), ContentItem.id.desc())
            .limit(CANDIDATE_LIMIT))
    if all(s is not None for s in sinces):
        stmt = stmt.where(ContentItem.published_at > min(sinces))
    items = list(db.scalars(stmt))
    if not items:
        return {r.user.id: [] for r in readers}
    item_ids = [i.id for i in items]
    user_ids = [r.user.id for r in readers]
    item_groups = _pairs(db, content_item_groups.c.item_id, content_item_groups.c.group_id,
                         content_item_groups.c.item_id.in_(item_ids))
    item_topics = _pairs(db, content_item_topics.c.item_id, content_item_topics.c.topic_id,
                         content_item_topics.c.item_id.in_(item_ids))
    groups_of = _pairs(db, user_groups.c.user_id, user_groups.c.group_id,
                       user_groups.c.user_id.in_(user_ids))
    topics_of = _pairs(db, user_topics.c.user_id, user_topics.c.topic_id,
                       user_topics.c.user_id.in_(user_ids))
    handled = _pairs(db, Dismissal.user_id, Dismissal.item_id,
                     Dismissal.user_id.in_(user_ids), Dismissal.item_id.in_(item_ids))
    # the queue's "already shared" (sharing.services.shared_item_ids_subquery), batched
    for uid, iids in _pairs(db, Share.user_id, Share.item_id, Share.user_id.in_(user_ids),
                            Share.item_id.in_(item_ids),
                            Share.status != ShareStatus.FAILED).items():
        handled[uid] |= iids
    result: dict[int, list[ContentItem]] = {}
    for reader in readers:
        user = reader.user
        language = user.language or "en"
        ranked = []
        for item in items:
            if reader.since is not None and item.published_at <= reader.since:
                continue
            if item.id in handled[user.id]:
                continue
            targets = item_groups[item.id]
            if targets and not targets & groups_of[user.id]:
                continue
            languages = item.target_languages.split(",") if item.target_languages else []
            if languages and language not in languages:
                continue
            value = score(featured=item.featured, priority=item.priority,
                          topic_matches=len(item_topics[item.id] & topics_of[user.id]),
                          same_language=item.language == user.language,
                          group_count=len(targets),
                          age_days=(now - item.published_at).total_seconds() / 86400)
            ranked.append((not item.featured, -value, -item.published_at.timestamp(),
                           -item.id, item))
        ranked.sort(key=lambda row: row[:4])
        result[user.id] = [row[4] for row in ranked[:limit]]
    return result


def _pairs(db: Session, key, value, *conditions) -> defaultdict[int, set[int]]:
    found: defaultdict[int, set[int]] = defaultdict(set)
    for k, v in db.execute(select(key, value).where(*conditions)):
        found[k].add(v)
    return found


def batches(db: Session, stmt, size: int = BATCH) -> Iterable[list]:
    """The rows of ``stmt`` (whose first entity is ``User``), ``size`` at a time, in id
    order (keyset pagination: no OFFSET)."""
    after = 0
    while True:
        rows = db.execute(stmt.where(User.id > after).order_by(User.id).limit(size)).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0].id


# --- the digest job --------------------------------------------------------------------------


def _due_condition(frequencies: list[DigestFrequency], now: datetime):
    prefs = NotificationPreferences
    conditions = []
    for frequency in frequencies:
        chosen = prefs.digest == frequency
        if frequency == preferences.DEFAULTS["digest"]:
            chosen = or_(chosen, prefs.id.is_(None))
        conditions.append(and_(chosen, or_(prefs.last_digest_at.is_(None),
                                           prefs.last_digest_at < period_start(frequency, now))))
    return or_(*conditions) if conditions else false()


def _frequency(prefs: NotificationPreferences | None) -> DigestFrequency:
    return DigestFrequency(prefs.digest) if prefs is not None else preferences.DEFAULTS["digest"]


def send_digests(db: Session, now: datetime, *, hour: int = 7, max_items: int = 5) -> dict:
    """Queue the digests due at ``now`` (see the module docstring); returns counts."""
    frequencies = due_frequencies(now, hour)
    people = sent = 0
    if not frequencies:
        return {"people": 0, "sent": 0}
    stmt = (select(User, NotificationPreferences)
            .outerjoin(NotificationPreferences, NotificationPreferences.user_id == User.id)
            .where(User.status == UserStatus.ACTIVE, User.erased_at.is_(None),
                   _due_condition(frequencies, now)))
    for rows in batches(db, stmt):
        readers, periods = [], {}
        for user, prefs in rows:
            frequency = _frequency(prefs)
            start = period_start(frequency, now)
            since = max(start - PERIODS[frequency], user.created_at)
            if prefs is not None and prefs.last_digest_at is not None:
                since = max(since, prefs.last_digest_at)
            readers.append(Reader(user, since))
            periods[user.id] = (frequency, start)
        found = available_items(db, readers, now, max_items + 1)
        for reader in readers:
            items = found.get(reader.user.id) or []
            if not items:
                continue
            frequency, start = periods[reader.user.id]
            if enqueue_digest(db, reader.user, frequency, start, items[:max_items],
                              more=len(items) > max_items, now=now):
                sent += 1
        ids = [r.user.id for r in readers]
        preferences.ensure_rows(db, ids)
        db.execute(update(NotificationPreferences)
                   .where(NotificationPreferences.user_id.in_(ids))
                   .values(last_digest_at=now))
        people += len(readers)
    db.flush()
    return {"people": people, "sent": sent}


def enqueue_digest(db: Session, user: User, frequency: DigestFrequency, start: datetime,
                   items: list[ContentItem], *, more: bool, now: datetime) -> bool:
    from app.notifications.outbox import enqueue_email  # imports gamification, which imports us

    daily = frequency == DigestFrequency.DAILY

    def subject():
        if daily:
            return ngettext("Your daily digest: %(num)d new item to share",
                            "Your daily digest: %(num)d new items to share", len(items))
        return ngettext("Your weekly digest: %(num)d new item to share",
                        "Your weekly digest: %(num)d new items to share", len(items))

    entries = [{"item": item, "domain": source_domain(item.url),
                "link": absolute_url(path_for("sharing.share", item_id=item.id))}
               for item in items]
    email = user_email(user, "notifications/email/digest", preferences.DIGEST, subject,
                       entries=entries, more=more, daily=daily,
                       digest_frequency=frequency.value,
                       queue_link=absolute_url(path_for("portal.home")))
    key = f"digest:{user.id}:{frequency.value}:{start.date().isoformat()}"
    return enqueue_email(db, email, key=key, now=now)
