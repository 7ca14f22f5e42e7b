"""Shares and their tracked links, the append-only click log, conversions reported by the
CRM, accounts connected through OAuth2, and engagement snapshots."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.common.types import str_enum
from app.content.models import ContentItem
from app.db import Base, utcnow

#: 64-bit ids on PostgreSQL (the click table grows fastest); SQLite's rowid is 64-bit anyway
BigId = BigInteger().with_variant(Integer, "sqlite")


class ShareMethod(enum.StrEnum):
    INTENT = "intent"  # the network's own composer opened in the browser
    API = "api"  # posted through a connected account


class ShareStatus(enum.StrEnum):
    OPENED = "opened"  # intent opened: we cannot know whether it was posted
    SCHEDULED = "scheduled"
    POSTED = "posted"
    FAILED = "failed"


class Share(Base):
    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the tracked link is /r/<code>: short, unguessable, URL-safe
    code: Mapped[str] = mapped_column(String(16), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("content_items.id", ondelete="CASCADE"),
                                         index=True)
    #: linkedin | x | facebook | email (app.sharing.networks)
    network: Mapped[str] = mapped_column(String(16))
    method: Mapped[ShareMethod] = mapped_column(str_enum(ShareMethod, "share_method"))
    status: Mapped[ShareStatus] = mapped_column(str_enum(ShareStatus, "share_status"),
                                                index=True)
    #: the text as shared (with hashtags and disclaimer, without the link)
    text: Mapped[str] = mapped_column(Text, default="")
    connected_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("connected_accounts.id", ondelete="SET NULL"))
    external_post_id: Mapped[str | None] = mapped_column(String(200))
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    scheduled_for: Mapped[datetime | None] = mapped_column(index=True)
    posted_at: Mapped[datetime | None]
    #: reach snapshot: the follower count of the sharer's account on that network, taken
    #: when the share was made (later changes of the count do not rewrite history)
    reach: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User] = relationship()
    item: Mapped[ContentItem] = relationship()


class Click(Base):
    """One request on a tracked link. Append-only: never updated, never a counter."""

    __tablename__ = "clicks"
    __table_args__ = (Index("ix_clicks_share_id_visitor_at", "share_id", "visitor_hash", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(index=True)
    #: salted SHA-256 of client address + user agent: recognises a repeat visitor for 24 h
    #: without storing the address
    visitor_hash: Mapped[str] = mapped_column(String(64))
    referrer_host: Mapped[str] = mapped_column(String(253), default="")
    #: crawler, link-preview fetcher or headless browser: never counted
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the signed-in sharer clicking their own link: never counted
    is_self: Mapped[bool] = mapped_column(Boolean, default=False)


class Conversion(Base):
    """A conversion reported by the CRM for a share code; each event id counts once."""

    __tablename__ = "conversions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the CRM's id of the event (idempotency key)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"),
                                          index=True)
    type: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="")
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)


class ConnectedAccount(Base):
    """A social account connected through OAuth2; tokens are encrypted at rest."""

    __tablename__ = "connected_accounts"
    __table_args__ = (UniqueConstraint("user_id", "network"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    access_token_enc: Mapped[str] = mapped_column(Text)
    refresh_token_enc: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    scopes: Mapped[str] = mapped_column(String(500), default="")
    followers: Mapped[int] = mapped_column(Integer, default=0)
    followers_updated_at: Mapped[datetime | None]
    #: "ok", or why the connection needs attention (refresh failed, revoked…)
    status: Mapped[str] = mapped_column(String(200), default="ok")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class EngagementSnapshot(Base):
    """Likes, comments, reshares and impressions of a posted share at one moment."""

    __tablename__ = "engagement_snapshots"
    __table_args__ = (UniqueConstraint("share_id", "taken_at", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"),
                                          index=True)
    taken_at: Mapped[datetime]
    #: api | csv
    source: Mapped[str] = mapped_column(String(8))
    likes: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    reshares: Mapped[int] = mapped_column(Integer, default=0)
    impressions: Mapped[int] = mapped_column(Integer, default=0)
