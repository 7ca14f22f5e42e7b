"""Content items, their per-network texts and lifecycle history, sources and the inbox,
and the employee's dismissals (items they do not want in their queue)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Group, Topic, User
from app.common.types import str_enum
from app.db import Base, utcnow


class ContentStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    EXPIRED = "expired"
    ARCHIVED = "archived"


class ContentOrigin(enum.StrEnum):
    CURATOR = "curator"
    SUGGESTION = "suggestion"
    FEED = "feed"


class InboxStatus(enum.StrEnum):
    NEW = "new"
    USED = "used"
    DISMISSED = "dismissed"


content_item_topics = Table(
    "content_item_topics",
    Base.metadata,
    Column("item_id", ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)

#: the groups an item is targeted to; none means everyone
content_item_groups = Table(
    "content_item_groups",
    Base.metadata,
    Column("item_id", ForeignKey("content_items.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ContentItem(Base):
    __tablename__ = "content_items"
    __table_args__ = (
        # every queue: the newest published items first (an ordered scan that stops at the
        # candidate limit, instead of sorting every item: 24 ms → 1 ms at 20,000 items)
        Index("ix_content_items_status_published_at_id", "status", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the page employees share (only curators store targets; the redirector uses them)
    url: Mapped[str] = mapped_column(String(2000))
    #: stable, URL-safe; becomes utm_campaign
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: from the page's Open Graph data, or an uploaded file (served by the app)
    image_url: Mapped[str] = mapped_column(String(2000), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[ContentStatus] = mapped_column(
        str_enum(ContentStatus, "content_status"), default=ContentStatus.DRAFT, index=True)
    origin: Mapped[ContentOrigin] = mapped_column(
        str_enum(ContentOrigin, "content_origin"), default=ContentOrigin.CURATOR)
    #: space-separated, without the leading "#"
    hashtags: Mapped[str] = mapped_column(String(500), default="")
    #: appended to every share of this item (compliance)
    disclaimer: Mapped[str] = mapped_column(Text, default="")
    #: regulated items: employees share the text as written
    text_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: 0 normal, 1 high, 2 urgent: ranks the queue
    priority: Mapped[int] = mapped_column(Integer, default=0)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    curator_notes: Mapped[str] = mapped_column(Text, default="")
    #: comma-separated language codes ("en,fr"); empty = every language (a string, not
    #: JSON, so the queue can filter it with a portable LIKE)
    target_languages: Mapped[str] = mapped_column(String(32), default="")
    publish_at: Mapped[datetime | None] = mapped_column(index=True)
    expire_at: Mapped[datetime | None] = mapped_column(index=True)
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                      index=True)
    #: the employee who suggested the link (suggestions only); may not approve it
    suggested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    suggestion_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    topics: Mapped[list[Topic]] = relationship(secondary=content_item_topics)
    groups: Mapped[list[Group]] = relationship(secondary=content_item_groups)
    texts: Mapped[list[ContentText]] = relationship(back_populates="item",
                                                    cascade="all, delete-orphan")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    suggested_by: Mapped[User | None] = relationship(foreign_keys=[suggested_by_id])

    def text_for(self, network: str) -> str:
        for text in self.texts:
            if text.network == network:
                return text.text
        return ""


class ContentText(Base):
    """The suggested share text of an item for one network."""

    __tablename__ = "content_texts"
    __table_args__ = (UniqueConstraint("item_id", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"))
    #: a key of app.content.networks.NETWORKS
    network: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[ContentItem] = relationship(back_populates="texts")


class ContentEvent(Base):
    """Who moved an item through its lifecycle, and when (the item's own audit trail)."""

    __tablename__ = "content_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"),
                                         index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None when a job did it (publish at the scheduled time, expiry)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()


class Dismissal(Base):
    """An employee took an item out of their queue."""

    __tablename__ = "content_dismissals"
    __table_args__ = (UniqueConstraint("user_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"),
                                         index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Source(Base):
    """An RSS/Atom feed that fills the curation inbox."""

    __tablename__ = "content_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: topics and language given to items made from this feed's entries
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_polled_at: Mapped[datetime | None]
    #: "ok" or a short error reason shown to curators
    last_status: Mapped[str] = mapped_column(String(200), default="")
    #: conditional GET: only download the feed when it changed
    etag: Mapped[str] = mapped_column(String(300), default="")
    last_modified: Mapped[str] = mapped_column(String(100), default="")


class InboxEntry(Base):
    """A feed entry waiting for a curator; de-duplicated by URL across all sources."""

    __tablename__ = "content_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("content_sources.id", ondelete="CASCADE"),
                                           index=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(String(2000), default="")
    entry_published_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[InboxStatus] = mapped_column(
        str_enum(InboxStatus, "inbox_status"), default=InboxStatus.NEW, index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("content_items.id",
                                                           ondelete="SET NULL"))

    source: Mapped[Source] = relationship()
