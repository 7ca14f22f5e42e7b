"""In-app notices: one row per message to one person. The outbox (e-mails and webhook
calls delivered by a job, with retries) and the outgoing webhook endpoints."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.common.types import str_enum
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


# --- outgoing webhooks and the outbox (app/notifications/webhooks.py, outbox.py) -----------


class WebhookFlavour(enum.StrEnum):
    #: Slack incoming webhook: {"text": ..., "blocks": [...]}
    SLACK = "slack"
    #: Microsoft Teams incoming webhook: a MessageCard
    TEAMS = "teams"
    #: a structured event {"event", "id", "occurred_at", "data"} for your own receiver
    JSON = "json"


class WebhookEndpoint(Base):
    """An address Relais POSTs events to (Slack, Teams or any HTTPS receiver)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: checked against the fetcher's address rules on save and again on every delivery
    url: Mapped[str] = mapped_column(String(2000))
    flavour: Mapped[WebhookFlavour] = mapped_column(
        str_enum(WebhookFlavour, "webhook_flavour"), default=WebhookFlavour.JSON)
    #: the subscribed event names (app.notifications.webhooks.EVENTS), a JSON list
    events: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the HMAC-SHA256 signing secret, encrypted like the connectors' tokens
    #: (app.sharing.crypto): the receiver needs the secret itself, so no hash would do
    secret_encrypted: Mapped[str] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_success_at: Mapped[datetime | None]
    #: the last failed delivery's reason ("" once a delivery succeeds again)
    last_error: Mapped[str] = mapped_column(String(500), default="")


class OutboxChannel(enum.StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: gave up after OUTBOX_MAX_ATTEMPTS attempts (or the endpoint is gone / inactive)
    FAILED = "failed"


class OutboxMessage(Base):
    """One e-mail or webhook call to deliver, written in the transaction that caused it and
    delivered by the ``notifications.deliver`` job (at least once, with retries)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("key", name="uq_outbox_messages_key"),
        #: the job's "what is due" scan
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_messages_endpoint_id_id", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[OutboxChannel] = mapped_column(str_enum(OutboxChannel, "outbox_channel"))
    #: idempotency key chosen by the caller (the same key is queued once); sent to webhook
    #: receivers as X-Relais-Delivery so they can drop a repeated delivery
    key: Mapped[str] = mapped_column(String(200))
    #: email: dataclasses.asdict(Email); webhook: the JSON body to POST
    payload: Mapped[dict] = mapped_column(JSON)
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the last failure, truncated (no message bodies: they may hold personal data)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


# --- e-mail preferences (app/notifications/preferences.py) ---------------------------------


class DigestFrequency(enum.StrEnum):
    NEVER = "never"
    DAILY = "daily"
    WEEKLY = "weekly"


class NotificationPreferences(Base):
    """What a person wants by e-mail. One row per person, created on first need (the
    preferences page, an unsubscribe link, a digest run); a person without a row gets the
    defaults below (``app.notifications.preferences.DEFAULTS``)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", name="uq_notification_preferences_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: the digest of new content (job "notifications.digests")
    digest: Mapped[DigestFrequency] = mapped_column(
        str_enum(DigestFrequency, "digest_frequency"), default=DigestFrequency.WEEKLY)
    #: e-mails for new badges and levels
    email_badges: Mapped[bool] = mapped_column(Boolean, default=True)
    #: e-mails when a challenge starts, is won or is over
    email_challenges: Mapped[bool] = mapped_column(Boolean, default=True)
    #: reminders: training due dates and inactivity nudges
    email_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    #: the digest cursor: content published up to this instant was considered by a digest
    #: run (set even when there was nothing to send); the next digest starts after it
    last_digest_at: Mapped[datetime | None]
    #: the last inactivity nudge (the next one waits NUDGE_AFTER_WEEKS after it)
    last_nudge_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
