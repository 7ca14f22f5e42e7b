"""The employee's queue ("less is more"): which published items are for this person, and
in what order; plus the read-only list of their own suggestions.

Eligibility (all in SQL): published, not expired (``expire_at`` empty or in the future),
targeted to the person (no groups, or one of their groups; no target languages, or
their language among them), and not already handled by them (dismissed or already
shared: see ``_already_handled_by``).

Ranking (in Python): the newest ``CANDIDATE_LIMIT`` eligible items are fetched in ONE
SELECT together with the two numbers the score needs that live in other tables (how
many of the item's topics the person follows, how many groups it targets); each gets a
score (weights below) and the list is sorted by score, then ``published_at`` desc, then
id desc (deterministic). Only the page asked for is then loaded as full objects, with
its topics and texts through ``selectinload``: a queue page is always 4 statements,
whatever its size.

The bound: an eligible item older than the newest ``CANDIDATE_LIMIT`` eligible items is
never ranked, even if featured. With a daily cap of a handful of items and a queue that
employees dismiss or share from, 300 is far more than anyone scrolls to; it keeps the
page cost flat on a 20k-item catalogue (DESIGN.md, performance budgets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Select, and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User, user_groups, user_topics
from app.content.models import (
    ContentEvent,
    ContentItem,
    ContentStatus,
    Dismissal,
    content_item_groups,
    content_item_topics,
)
from app.content.networks import NETWORKS, compose

#: how many eligible items (the newest) are scored per request; see the module docstring
CANDIDATE_LIMIT = 300

# --- score weights (additive) -------------------------------------------------------------
#: a featured item is the curators' "everyone should see this": it outweighs the largest
#: topic match (TOPIC_MATCH_CAP × W_TOPIC = 3.0) on an item of the same age
W_FEATURED = 4.0
#: per priority level (0 normal, 1 high, 2 urgent)
W_PRIORITY = 1.0
#: per topic of the item that the person follows, counted up to TOPIC_MATCH_CAP topics
W_TOPIC = 1.5
TOPIC_MATCH_CAP = 2
#: the item is written in the person's language
W_LANGUAGE = 1.0
#: targeted to one of the person's groups: 1.0 for a single group, less the more groups
#: it targets (more specific = more relevant); untargeted items get nothing
W_GROUP = 1.0
#: freshness: W_FRESH × 0.5 ** (age / half-life)
W_FRESH = 2.0
HALF_LIFE_DAYS = 3.0


@dataclass
class ShareText:
    """One network's suggested text, composed with hashtags and disclaimer."""

    network: str | None  # None: no network has text; the title stands in
    label: str
    body: str  # text + hashtags + disclaimer (what the card shows)
    full: str  # body + link (what "Copy text + link" copies)


@dataclass
class QueueEntry:
    item: ContentItem
    score: float
    domain: str
    texts: list[ShareText] = field(default_factory=list)


@dataclass
class QueuePage:
    entries: list[QueueEntry]
    offset: int
    limit: int
    #: more eligible items rank after this page (within the candidate bound)
    has_more: bool

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.entries)


# --- eligibility ----------------------------------------------------------------------------


def _already_handled_by(user: User) -> Select:
    """Item ids this person has taken out of their queue: dismissed, or already shared (an
    item shared once leaves the queue like a dismissed one)."""
    from app.sharing.services import shared_item_ids_subquery

    return select(Dismissal.item_id).where(Dismissal.user_id == user.id).union(
        shared_item_ids_subquery(user.id))


def targeted_to(user: User):
    """THE targeting rule, as a SQL condition on ContentItem (the queue and the share
    decision both use it): no target groups or one of the user's; no target languages or
    the user's."""
    item_groups = content_item_groups.c
    no_groups = ~exists().where(item_groups.item_id == ContentItem.id)
    in_my_groups = exists().where(
        item_groups.item_id == ContentItem.id,
        item_groups.group_id.in_(select(user_groups.c.group_id)
                                 .where(user_groups.c.user_id == user.id)))
    # ",en,fr," contains ",fr,": a portable LIKE over the comma-separated list
    padded = literal(",") + ContentItem.target_languages + literal(",")
    language_ok = or_(ContentItem.target_languages == "",
                      padded.contains(f",{user.language or 'en'},", autoescape=True))
    return and_(or_(no_groups, in_my_groups), language_ok)


def _visible_to(user: User, now: datetime):
    """Published, not expired, targeted to ``user`` (dismissed or not)."""
    return and_(ContentItem.status == ContentStatus.PUBLISHED,
                or_(ContentItem.expire_at.is_(None), ContentItem.expire_at > now),
                targeted_to(user))


def visible_item(db: Session, user: User, item_id: int, now: datetime) -> ContentItem | None:
    """The item if it is (or could be, once undismissed) in ``user``'s queue, else None."""
    return db.scalar(select(ContentItem).where(ContentItem.id == item_id,
                                               _visible_to(user, now)))


def _candidates(user: User, now: datetime) -> Select:
    topics, groups = content_item_topics.c, content_item_groups.c
    topic_matches = (select(func.count())
                     .select_from(content_item_topics)
                     .where(topics.item_id == ContentItem.id,
                            topics.topic_id.in_(select(user_topics.c.topic_id)
                                                .where(user_topics.c.user_id == user.id)))
                     .scalar_subquery())
    group_count = (select(func.count()).select_from(content_item_groups)
                   .where(groups.item_id == ContentItem.id).scalar_subquery())
    return (select(ContentItem.id, ContentItem.featured, ContentItem.priority,
                   ContentItem.language, ContentItem.published_at,
                   topic_matches.label("topic_matches"), group_count.label("group_count"))
            .where(_visible_to(user, now), ContentItem.id.not_in(_already_handled_by(user)))
            .order_by(ContentItem.published_at.desc(), ContentItem.id.desc())
            .limit(CANDIDATE_LIMIT))


# --- scoring -----------------------------------------------------------------------------------


def score(*, featured: bool, priority: int, topic_matches: int, same_language: bool,
          group_count: int, age_days: float) -> float:
    """The relevance of one item for one person (higher first); pure, for tests."""
    value = W_FEATURED if featured else 0.0
    value += W_PRIORITY * max(0, priority or 0)
    value += W_TOPIC * min(max(0, topic_matches or 0), TOPIC_MATCH_CAP)
    value += W_LANGUAGE if same_language else 0.0
    value += W_GROUP / group_count if group_count else 0.0
    value += W_FRESH * 0.5 ** (max(0.0, age_days) / HALF_LIFE_DAYS)
    return value


def queue_for(db: Session, user: User, now: datetime, *, limit: int,
              offset: int = 0) -> QueuePage:
    """The ranked slice ``[offset, offset + limit)`` of ``user``'s queue at ``now``."""
    limit, offset = max(0, limit), max(0, offset)
    scored = []
    for row in db.execute(_candidates(user, now)):
        published = row.published_at or now
        value = score(featured=row.featured, priority=row.priority,
                      topic_matches=row.topic_matches, same_language=row.language == user.language,
                      group_count=row.group_count,
                      age_days=(now - published).total_seconds() / 86400)
        scored.append((value, published, row.id))
    scored.sort(key=lambda s: (-s[0], -s[1].timestamp(), -s[2]))
    window = scored[offset:offset + limit]
    if not window:
        return QueuePage(entries=[], offset=offset, limit=limit,
                         has_more=len(scored) > offset + limit)
    ids = [item_id for _score, _published, item_id in window]
    items = {item.id: item for item in db.scalars(
        select(ContentItem).where(ContentItem.id.in_(ids))
        .options(selectinload(ContentItem.topics), selectinload(ContentItem.texts)))}
    entries = [entry_for(items[item_id], value) for value, _published, item_id in window
               if item_id in items]
    return QueuePage(entries=entries, offset=offset, limit=limit,
                     has_more=len(scored) > offset + limit)


def entry_for(item: ContentItem, value: float = 0.0) -> QueueEntry:
    """What a queue card shows for ``item`` (its topics and texts load lazily if needed)."""
    return QueueEntry(item=item, score=value, domain=source_domain(item.url),
                      texts=share_texts(item))


def source_domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def share_texts(item: ContentItem) -> list[ShareText]:
    """The networks that have text, in NETWORKS order; the title when none has."""
    texts = []
    for key, rules in NETWORKS.items():
        text = item.text_for(key).strip()
        if text:
            texts.append(_share_text(key, rules.label, text, item))
    if not texts:
        texts.append(_share_text(None, "", item.title, item))
    return texts


def _share_text(network: str | None, label: str, text: str, item: ContentItem) -> ShareText:
    rules = network or "linkedin"  # the plain composition when no network has text
    body = compose(rules, text, hashtags=item.hashtags, disclaimer=item.disclaimer)
    full = compose(rules, text, link=item.url, hashtags=item.hashtags,
                   disclaimer=item.disclaimer)
    return ShareText(network=network, label=label, body=body, full=full)


# --- the employee's own suggestions ----------------------------------------------------------

#: how many of their latest suggestions an employee sees
MY_SUGGESTIONS_LIMIT = 50


@dataclass
class MySuggestion:
    item: ContentItem
    #: "review", "accepted" or "declined"
    outcome: str
    #: the curator's note of the latest rejection, if any
    note: str


def suggestion_outcome(status: ContentStatus) -> str:
    if status in (ContentStatus.PUBLISHED, ContentStatus.SCHEDULED, ContentStatus.EXPIRED):
        return "accepted"
    if status == ContentStatus.ARCHIVED:
        return "declined"
    return "review"


def my_suggestions(db: Session, user: User,
                   limit: int = MY_SUGGESTIONS_LIMIT) -> list[MySuggestion]:
    """``user``'s latest suggestions with their outcome: two statements in all."""
    items = list(db.scalars(select(ContentItem)
                            .where(ContentItem.suggested_by_id == user.id)
                            .order_by(ContentItem.created_at.desc(), ContentItem.id.desc())
                            .limit(limit)))
    notes: dict[int, str] = {}
    if items:
        rows = db.execute(select(ContentEvent.item_id, ContentEvent.note)
                          .where(ContentEvent.item_id.in_([i.id for i in items]),
                                 ContentEvent.action == "reject")
                          .order_by(ContentEvent.at, ContentEvent.id))
        for item_id, note in rows:  # oldest first: the latest rejection wins
            notes[item_id] = note or ""
    return [MySuggestion(item=i, outcome=suggestion_outcome(i.status), note=notes.get(i.id, ""))
            for i in items]
