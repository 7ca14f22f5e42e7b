"""In-app notices: one row per message to one person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Notice(Base):
    """A message in a person's bell. The text is rendered when shown, in the reader's
    language, from ``kind`` and ``params`` (see ``app.notifications.kinds``)."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: a key registered in app.notifications.kinds, e.g. "gamification.badge"
    kind: Mapped[str] = mapped_column(String(48))
    #: the values the kind's message needs (JSON-serialisable)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: where the notice leads: an endpoint name and its arguments (url_for at display)
    link_endpoint: Mapped[str] = mapped_column(String(100), default="")
    link_args: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
