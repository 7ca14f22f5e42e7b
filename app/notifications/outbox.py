"""The outbox: e-mails and webhook calls written in the transaction that causes them and
delivered afterwards by the ``notifications.deliver`` job, with retries.

Why: a side effect sent from a request (or a job) either happens before the commit (and
the change may still roll back) or after it (and is lost if the process dies, or if the
mail server is down at that moment). A row in ``outbox_messages`` commits or rolls back
with the change itself; the job then delivers it, retrying with an exponential backoff
(1, 2, 4 … minutes, capped at 6 hours) up to ``OUTBOX_MAX_ATTEMPTS`` times.

The guarantee is **at least once**: each delivery is marked as soon as it is known, in its
own short commit, but a crash between "the receiver accepted it" and that commit sends it
again on a later run. Webhook receivers get the message's key as ``X-Relais-Delivery`` to
drop a repeat; e-mails are keyed by the caller so the same e-mail is never *queued* twice.

Enqueueing is idempotent: ``INSERT … ON CONFLICT DO NOTHING`` on the named unique
constraint ``uq_outbox_messages_key``; a second call with the same key returns False.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.common import fetcher
from app.common.mail import Email, Mailer
from app.db import after_commit, commit, dialect_insert, on_conflict_nothing, utcnow
from app.notifications.models import (
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    WebhookEndpoint,
)

#: first retry after one minute, then doubling, never more than 6 hours apart
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
DEFAULT_MAX_ATTEMPTS = 12
#: a claimed message is not taken by another run for this long (a run that died half way
#: leaves its claimed messages to be retried after it)
CLAIM_LEASE = timedelta(minutes=15)
#: largest webhook response body read (the body itself is ignored)
WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024
KEY_MAX_LENGTH = 200
ERROR_MAX_LENGTH = 500


def enqueue_email(db: Session, email: Email, *, key: str, now: datetime | None = None) -> bool:
    """Queue ``email`` in the caller's transaction; False when ``key`` was already queued.

    Every field of the ``Email`` dataclass is kept (``dataclasses.asdict``), so fields added
    later (headers…) travel without changes here."""
    return _enqueue(db, OutboxChannel.EMAIL, key=key, payload=asdict(email), now=now) \
        is not None


def send_soon(db: Session, emails: list[Email], *, mailer: Mailer,
              now: datetime | None = None) -> None:
    """The e-mails someone waits for on screen (an invitation, a password reset, an answer
    to their request): queued in the caller's transaction like every e-mail, then sent
    right after the commit instead of at the job's next run. If that attempt fails (the
    mail server is down), they stay in the outbox and the delivery job retries them.

    They are queued due only after ``CLAIM_LEASE``, so the job does not take them while the
    immediate attempt is under way; a process that dies between the commit and the
    attempt leaves them to the job."""
    if not emails:
        return
    now = now or utcnow()
    ids = [_enqueue(db, OutboxChannel.EMAIL, key=f"mail:{secrets.token_hex(16)}",
                    payload=asdict(email), now=now, due=now + CLAIM_LEASE)
           for email in emails]
    after_commit(db, lambda: _deliver_now(db, ids, mailer))


def _deliver_now(db: Session, ids: list[int], mailer: Mailer) -> None:
    """After the commit: claim these messages (unless already taken) and send them."""
    now = utcnow()
    messages = list(db.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids),
                                    OutboxMessage.status == OutboxStatus.PENDING,
                                    OutboxMessage.attempts == 0)
        .order_by(OutboxMessage.id)))
    for message in messages:
        message.attempts += 1
    db.flush()
    commit(db)
    _send(db, messages, {}, now, mailer=mailer, fetch_policy=None,
          max_attempts=DEFAULT_MAX_ATTEMPTS, config=None, commit=lambda: commit(db))


def enqueue_webhook(db: Session, *, endpoint_id: int, key: str, payload: dict,
                    now: datetime | None = None) -> bool:
    """Queue one POST of ``payload`` (the JSON body) to the endpoint ``endpoint_id`` in the
    caller's transaction; False when ``key`` was already queued."""
    return _enqueue(db, OutboxChannel.WEBHOOK, key=key, payload=payload,
                    endpoint_id=endpoint_id, now=now) is not None


def _enqueue(db: Session, channel: OutboxChannel, *, key: str, payload: dict,
             endpoint_id: int | None = None, now: datetime | None = None,
             due: datetime | None = None) -> int | None:
    """The new message's id; None when ``key`` was already queued."""
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"an outbox key has 1 to {KEY_MAX_LENGTH} characters")
    json.dumps(payload)  # fail here, in the caller, rather than in the job
    now = now or utcnow()
    table = OutboxMessage.__table__
    stmt = dialect_insert(db, table).values(
        channel=channel.value, key=key, payload=payload, endpoint_id=endpoint_id,
        status=OutboxStatus.PENDING.value, attempts=0, next_attempt_at=due or now,
        last_error="", created_at=now)
    stmt = on_conflict_nothing(db, stmt, "uq_outbox_messages_key", ["key"])
    return db.execute(stmt.returning(table.c.id)).scalar()


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, capped."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_CAP) \
        if attempts < 20 else BACKOFF_CAP


def deliver_due(db: Session, now: datetime, *, mailer: Mailer,
                fetch_policy: fetcher.FetchPolicy, batch: int = 100,
                max_attempts: int = DEFAULT_MAX_ATTEMPTS, config: Any = None,
                commit: Callable[[], None] | None = None) -> dict:
    """Deliver up to ``batch`` due messages (the job's work); returns counts.

    The due messages are claimed first (attempts + 1, out of reach of another run for
    ``CLAIM_LEASE``); then the e-mails go out over one SMTP connection and the webhook
    calls one by one; each outcome is recorded as soon as it is known. ``commit`` makes
    what is recorded so far durable (the job passes one: the claim and each outcome are
    then committed at once, and no transaction — on SQLite, no writers' lock — is held
    during the network I/O); without it everything stays in ``db``'s transaction.
    ``config``: for decrypting the endpoints' secrets (default: the current app's).
    """
    commit = commit or db.flush
    messages = _claim(db, now, batch)
    # everything the deliveries read is loaded before the commit: no statement (so no new
    # transaction) runs between an outcome's commit and the next network call
    endpoints = _endpoints(db, messages)
    commit()
    return _send(db, messages, endpoints, now, mailer=mailer, fetch_policy=fetch_policy,
                 max_attempts=max_attempts, config=config, commit=commit)


def _send(db: Session, messages: list[OutboxMessage], endpoints: dict[int, WebhookEndpoint],
          now: datetime, *, mailer: Mailer, fetch_policy: fetcher.FetchPolicy | None,
          max_attempts: int, config: Any, commit: Callable[[], None]) -> dict:
    """Send claimed messages and record each outcome (``commit`` after each)."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    emails = [m for m in messages if m.channel == OutboxChannel.EMAIL]
    if emails:
        results = mailer.send_each([_email(m.payload) for m in emails])
        for message, error in zip(emails, results, strict=True):
            counts[_record(db, message, None, _describe(error), now, max_attempts)] += 1
            commit()
    for message in messages:
        if message.channel == OutboxChannel.WEBHOOK:
            endpoint = endpoints.get(message.endpoint_id)
            error = _post(message, endpoint, fetch_policy, config)
            counts[_record(db, message, endpoint, error, now, max_attempts)] += 1
            commit()
    return counts


def _endpoints(db: Session, messages: list[OutboxMessage]) -> dict[int, WebhookEndpoint]:
    ids = {m.endpoint_id for m in messages if m.endpoint_id is not None}
    if not ids:
        return {}
    return {e.id: e for e in db.scalars(select(WebhookEndpoint)
                                        .where(WebhookEndpoint.id.in_(sorted(ids))))}


def _claim(db: Session, now: datetime, batch: int) -> list[OutboxMessage]:
    stmt = (select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING,
                   OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(batch))
    if db.get_bind().dialect.name == "postgresql":
        # two runs at once (the job's advisory lock ends with its first commit) take
        # different rows; SQLite writers are serialised by BEGIN IMMEDIATE
        stmt = stmt.with_for_update(skip_locked=True)
    messages = list(db.scalars(stmt))
    for message in messages:
        message.attempts += 1
        message.next_attempt_at = now + CLAIM_LEASE
    db.flush()
    return messages


def _record(db: Session, message: OutboxMessage, endpoint: WebhookEndpoint | None,
            error: str | None, now: datetime, max_attempts: int) -> str:
    """Mark one outcome: "sent", "retry" (pending, backed off) or "failed" (gave up)."""
    if error is None:
        message.status, message.sent_at, message.last_error = OutboxStatus.SENT, now, ""
        if endpoint is not None:
            endpoint.last_success_at, endpoint.last_error = now, ""
        outcome = "sent"
    else:
        message.last_error = error[:ERROR_MAX_LENGTH]
        if endpoint is not None:
            endpoint.last_error = message.last_error
        if message.attempts >= max_attempts or error == ENDPOINT_INACTIVE:
            message.status, outcome = OutboxStatus.FAILED, "failed"
        else:
            message.next_attempt_at, outcome = now + backoff(message.attempts), "retry"
    db.flush()
    return outcome


def _email(payload: dict) -> Email:
    """The queued e-mail; keys of fields this version does not know are dropped."""
    known = {f.name for f in fields(Email)}
    return Email(**{k: v for k, v in payload.items() if k in known})


def _describe(error: Exception | None) -> str | None:
    if error is None:
        return None
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# --- webhook calls -------------------------------------------------------------------------

#: a webhook failure is stored as "<reason code>: <English detail>" (the admin page shows
#: it translated from the code: webhooks.error_text): the fetcher's reason codes, or
#: "http_<status>", "inactive", "secret"
ENDPOINT_INACTIVE = "inactive: the endpoint is inactive"
TIMESTAMP_HEADER = "X-Relais-Timestamp"
SIGNATURE_HEADER = "X-Relais-Signature"
DELIVERY_HEADER = "X-Relais-Delivery"


def webhook_body(payload: dict) -> bytes:
    """The exact bytes POSTed (and signed) for ``payload``."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_headers(secret: str, key: str, body: bytes, timestamp: int) -> dict[str, str]:
    """``X-Relais-Timestamp``, ``X-Relais-Signature: sha256=<hex HMAC-SHA256(secret,
    timestamp + "." + body)>`` (the conversions webhook's scheme) and ``X-Relais-Delivery``."""
    from app.sharing.conversions import sign

    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body),
            DELIVERY_HEADER: key}


def _post(message: OutboxMessage, endpoint: WebhookEndpoint | None,
          policy: fetcher.FetchPolicy, config: Any) -> str | None:
    """POST one webhook message; None when the receiver answered 2xx, else the reason."""
    from app.sharing import crypto

    if endpoint is None or not endpoint.active:
        return ENDPOINT_INACTIVE
    try:
        secret = crypto.decrypt(endpoint.secret_encrypted, config)
    except (crypto.TokenDecryptError, RuntimeError):  # RuntimeError: key unset in prod
        return "secret: the signing secret cannot be decrypted (make a new secret)"
    body = webhook_body(message.payload)
    headers = signed_headers(secret, message.key, body, int(time.time()))
    try:
        result = fetcher.post(endpoint.url, body, content_type="application/json",
                              headers=headers, policy=policy)
    except fetcher.FetchError as exc:
        return f"{exc.reason_code}: {exc.message}"
    if result.ok:
        return None
    if 300 <= result.status < 400:
        return f"http_{result.status}: redirect not followed"
    return f"http_{result.status}: HTTP {result.status}"


def webhook_policy(config: Any) -> fetcher.FetchPolicy:
    """The fetcher's policy for deliveries: the app's address rules and time limit, no
    redirects, a small response cap."""
    base = fetcher.FetchPolicy.from_config(config)
    timeout = float(config.get("OUTBOX_WEBHOOK_TIMEOUT_SECONDS", base.timeout))
    return fetcher.FetchPolicy(timeout=timeout, max_bytes=WEBHOOK_MAX_RESPONSE_BYTES,
                               max_redirects=0, allow_loopback=base.allow_loopback,
                               user_agent="RelaisWebhook/0.1")
