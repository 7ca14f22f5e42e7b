"""Read-only selects for the content pages (curator lists; the employee's queue)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.accounts.models import User
from app.content.models import (
    ContentEvent,
    ContentItem,
    ContentStatus,
    content_item_groups,
    content_item_topics,
)

# --- curator pages ---------------------------------------------------------------------


def _int_arg(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


@dataclass
class ItemFilter:
    status: str = ""
    topic_id: int | None = None
    group_id: int | None = None
    author_id: int | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args) -> ItemFilter:
        status = args.get("status", "")
        return cls(status=status if status in ContentStatus._value2member_map_ else "",
                   topic_id=_int_arg(args.get("topic")), group_id=_int_arg(args.get("group")),
                   author_id=_int_arg(args.get("author")), q=args.get("q", "").strip()[:100])

    def as_args(self, **changes) -> dict:
        values = {"status": self.status, "topic": self.topic_id, "group": self.group_id,
                  "author": self.author_id, "q": self.q}
        values.update(changes)
        return {k: v for k, v in values.items() if v}


def _filtered(stmt: Select, flt: ItemFilter, *, with_status: bool = True) -> Select:
    if with_status and flt.status:
        stmt = stmt.where(ContentItem.status == ContentStatus(flt.status))
    if flt.topic_id:
        stmt = stmt.where(ContentItem.id.in_(select(content_item_topics.c.item_id).where(
            content_item_topics.c.topic_id == flt.topic_id)))
    if flt.group_id:
        stmt = stmt.where(ContentItem.id.in_(select(content_item_groups.c.item_id).where(
            content_item_groups.c.group_id == flt.group_id)))
    if flt.author_id:
        stmt = stmt.where(or_(ContentItem.created_by_id == flt.author_id,
                              ContentItem.suggested_by_id == flt.author_id))
    if flt.q:
        like = f"%{flt.q.lower()}%"
        stmt = stmt.where(or_(func.lower(ContentItem.title).like(like),
                              func.lower(ContentItem.url).like(like),
                              func.lower(ContentItem.summary).like(like)))
    return stmt


def items_statement(flt: ItemFilter) -> Select:
    """The curator's content list: newest changes first; what a row shows is loaded in a
    constant number of statements (authors joined, topics and groups by selectinload)."""
    stmt = (select(ContentItem)
            .options(joinedload(ContentItem.created_by), joinedload(ContentItem.suggested_by),
                     selectinload(ContentItem.topics), selectinload(ContentItem.groups))
            .order_by(ContentItem.updated_at.desc(), ContentItem.id.desc()))
    return _filtered(stmt, flt)


def status_counts(db: Session, flt: ItemFilter) -> dict[str, int]:
    """Items per status under the other filters (the tabs above the list); one statement."""
    stmt = _filtered(select(ContentItem.status, func.count(ContentItem.id))
                     .group_by(ContentItem.status), flt, with_status=False)
    counts = {s.value: 0 for s in ContentStatus}
    for status, n in db.execute(stmt):
        counts[ContentStatus(status).value] = n
    return counts


def review_statement() -> Select:
    """Items waiting for review, oldest first, with their suggester and topics."""
    return (select(ContentItem)
            .where(ContentItem.status == ContentStatus.IN_REVIEW)
            .options(joinedload(ContentItem.created_by), joinedload(ContentItem.suggested_by),
                     selectinload(ContentItem.topics), selectinload(ContentItem.groups),
                     selectinload(ContentItem.texts))
            .order_by(ContentItem.created_at, ContentItem.id))


def item_for_curator(db: Session, item_id: int) -> ContentItem | None:
    return db.scalar(select(ContentItem).where(ContentItem.id == item_id).options(
        joinedload(ContentItem.created_by), joinedload(ContentItem.suggested_by),
        selectinload(ContentItem.topics), selectinload(ContentItem.groups),
        selectinload(ContentItem.texts)))


def item_history(db: Session, item_id: int) -> list[ContentEvent]:
    """The item's lifecycle events, newest first, with who did them."""
    return list(db.scalars(select(ContentEvent).where(ContentEvent.item_id == item_id)
                           .options(joinedload(ContentEvent.actor))
                           .order_by(ContentEvent.at.desc(), ContentEvent.id.desc())))


def content_authors(db: Session) -> list[User]:
    """People who created or suggested at least one item (the author filter)."""
    ids = select(ContentItem.created_by_id).where(ContentItem.created_by_id.is_not(None)) \
        .union(select(ContentItem.suggested_by_id)
               .where(ContentItem.suggested_by_id.is_not(None)))
    return list(db.scalars(select(User).where(User.id.in_(ids)).order_by(User.name, User.id)))
