"""The conversions webhook: the company's CRM or web analytics reports a conversion (a lead,
a sign-up, a purchase) for the share code it found in ``utm_content``.

``POST /api/v1/conversions`` is public in the permission table: it is authenticated by its
signature, not by a session, and exempt from CSRF (no cookie is involved). The contract is
documented in docs/sharing.md:

- ``X-Relais-Timestamp: <unix seconds>`` and
  ``X-Relais-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>``;
- a JSON body ``{"event_id", "share_code", "type", "value", "currency", "occurred_at"}``;
- each ``event_id`` is counted once (the unique constraint on ``conversions.event_id``):
  a replay answers 200 ``duplicate`` and writes nothing.

Errors are RFC 9457 ``application/problem+json`` bodies. The service half (``verify``,
``parse_event``, ``record_conversion``) never touches the request and only flushes; the view
commits through the request boundary (status < 400).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import Response, current_app, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.services import record
from app.common.web import db
from app.db import utcnow
from app.extensions import csrf, limiter
from app.sharing import bp
from app.sharing.models import Conversion, Share

#: largest accepted body; a conversion event is a few hundred bytes
MAX_BODY_BYTES = 64 * 1024
RATE_PER_MINUTE = 600
RATE_LIMIT = f"{RATE_PER_MINUTE} per minute"
TIMESTAMP_HEADER = "X-Relais-Timestamp"
SIGNATURE_HEADER = "X-Relais-Signature"
SIGNATURE_PREFIX = "sha256="
PROBLEM_MIME = "application/problem+json"
#: RFC 9457 problem types (tag URIs: stable identifiers, not links)
PROBLEM_BASE = "tag:relais,2026:problems/conversions/"

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
#: Numeric(14, 2): up to 12 digits before the decimal point
_MAX_VALUE = Decimal("999999999999.99")


class WebhookError(Exception):
    """A refusal, answered as an RFC 9457 problem."""

    def __init__(self, status: int, slug: str, title: str, detail: str,
                 errors: list[dict] | None = None):
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.errors = errors


# --- signature -----------------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Relais-Signature`` value for ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), message,
                                       hashlib.sha256).hexdigest()


def verify(secret: str, timestamp_header: str | None, signature_header: str | None,
           body: bytes, *, now: datetime, max_skew: int) -> None:
    """Raise ``WebhookError`` (401) unless the signature matches and the timestamp is fresh.

    The signature is checked first, so an unsigned caller learns nothing about our clock.
    """
    if not timestamp_header or not signature_header:
        raise WebhookError(401, "missing-signature", _("Missing signature"),
                           _("Send the %(ts)s and %(sig)s headers.", ts=TIMESTAMP_HEADER,
                             sig=SIGNATURE_HEADER))
    timestamp_header = timestamp_header.strip()
    if not timestamp_header.isascii() or not timestamp_header.isdigit() \
            or len(timestamp_header) > 12:
        raise WebhookError(401, "bad-timestamp", _("Bad timestamp"),
                           _("%(ts)s must be a Unix time in whole seconds.",
                             ts=TIMESTAMP_HEADER))
    given = signature_header.strip()
    digest = given[len(SIGNATURE_PREFIX):] if given.startswith(SIGNATURE_PREFIX) else ""
    expected = sign(secret, timestamp_header, body)
    # compare_digest on equal-format ASCII strings; a malformed header compares too (and
    # fails) so the time taken does not tell a bad format from a bad digest
    candidate = SIGNATURE_PREFIX + (digest.lower() if _HEX64.match(digest) else "0" * 64)
    if not hmac.compare_digest(candidate, expected) or not _HEX64.match(digest):
        raise WebhookError(401, "bad-signature", _("Bad signature"),
                           _("The signature does not match the timestamp and the body."))
    age = now.timestamp() - int(timestamp_header)
    if age > max_skew:
        raise WebhookError(401, "stale-timestamp", _("Timestamp too old"),
                           _("The timestamp is %(s)d seconds old; at most %(max)d are accepted.",
                             s=int(age), max=max_skew))
    if -age > max_skew:
        raise WebhookError(401, "future-timestamp", _("Timestamp in the future"),
                           _("The timestamp is %(s)d seconds ahead of our clock; at most "
                             "%(max)d are accepted.", s=int(-age), max=max_skew))


# --- the event -----------------------------------------------------------------------------


@dataclass
class ConversionEvent:
    event_id: str
    share_code: str
    type: str
    value: Decimal | None
    currency: str
    occurred_at: datetime
    payload: dict = field(default_factory=dict)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_event(body: bytes, *, now: datetime, max_skew: int) -> ConversionEvent:
    """Validate the JSON body; raise ``WebhookError`` (422) listing every problem."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookError(422, "malformed-json", _("Malformed JSON"),
                           _("The body is not valid UTF-8 JSON: %(error)s", error=str(exc)[:200])
                           ) from None
    if not isinstance(data, dict):
        raise WebhookError(422, "malformed-json", _("Malformed JSON"),
                           _("The body must be a JSON object."))
    errors: list[dict] = []

    def problem(name: str, message: str) -> None:
        errors.append({"field": name, "message": message})

    def text(name: str, max_len: int, *, required: bool) -> str:
        raw = data.get(name)
        if raw is None:
            if required:
                problem(name, _("required"))
            return ""
        if not isinstance(raw, str):
            problem(name, _("must be a string"))
            return ""
        value = raw.strip()
        if required and not value:
            problem(name, _("must not be empty"))
        elif len(value) > max_len:
            problem(name, _("at most %(n)d characters", n=max_len))
        return value

    event_id = text("event_id", 200, required=True)
    share_code = text("share_code", 200, required=True)
    kind = text("type", 64, required=True)

    value = None
    raw_value = data.get("value")
    if raw_value is not None:
        if isinstance(raw_value, bool) or not isinstance(raw_value, int | float) or (
                isinstance(raw_value, float) and not math.isfinite(raw_value)):
            problem("value", _("must be a number or null"))
        else:
            try:
                value = Decimal(str(raw_value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            except InvalidOperation:
                value = None
                problem("value", _("must be a number or null"))
            else:
                if value < 0:
                    problem("value", _("must not be negative"))
                elif value > _MAX_VALUE:
                    problem("value", _("is too large"))

    currency = text("currency", 3, required=False)
    if currency and not _CURRENCY.match(currency):
        problem("currency", _("must be a three-letter ISO 4217 code, e.g. EUR"))
    currency = currency.upper()

    occurred_at = now
    raw_when = data.get("occurred_at")
    if raw_when is not None:
        if not isinstance(raw_when, str):
            problem("occurred_at", _("must be an ISO-8601 date-time string"))
        else:
            try:
                occurred_at = datetime.fromisoformat(raw_when.strip())
            except ValueError:
                problem("occurred_at", _("must be an ISO-8601 date-time, e.g. "
                                         "2026-11-24T09:30:00Z"))
            else:
                # a date-time without an offset is taken as UTC (documented)
                occurred_at = (occurred_at.replace(tzinfo=UTC) if occurred_at.tzinfo is None
                               else occurred_at.astimezone(UTC))
                if occurred_at > now + timedelta(seconds=max_skew):
                    problem("occurred_at", _("is in the future"))

    if errors:
        raise WebhookError(422, "invalid-fields", _("Invalid fields"),
                           _("Some fields are missing or invalid; see errors."), errors)
    return ConversionEvent(event_id=event_id, share_code=share_code, type=kind, value=value,
                           currency=currency, occurred_at=occurred_at, payload=data)


# --- the service ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    conversion: Conversion
    created: bool


def record_conversion(session: Session, event: ConversionEvent, *,
                      now: datetime | None = None) -> Outcome:
    """Attribute ``event`` to its share, once per ``event_id``; flush, never commit.

    Raises ``WebhookError`` 404 for an unknown share code. A concurrent request inserting
    the same event first makes our INSERT fail on the unique constraint: that is caught
    inside a savepoint and answered as a duplicate.
    """
    existing = _by_event_id(session, event.event_id)
    if existing is not None:
        return Outcome(existing, created=False)
    share_id = session.scalar(select(Share.id).where(Share.code == event.share_code))
    if share_id is None:
        raise WebhookError(404, "unknown-share", _("Unknown share"),
                           _("No share has this code."))
    conversion = Conversion(event_id=event.event_id, share_id=share_id, type=event.type,
                            value=event.value, currency=event.currency,
                            occurred_at=event.occurred_at, received_at=now or utcnow(),
                            payload=event.payload)
    try:
        with session.begin_nested():
            session.add(conversion)
            session.flush()
    except IntegrityError:
        # the savepoint is rolled back and the object expunged; the outer transaction lives
        existing = _by_event_id(session, event.event_id)
        if existing is None:  # not the event_id constraint (e.g. the share just vanished)
            raise
        return Outcome(existing, created=False)
    record(session, None, "conversion.received", target=conversion, event_id=event.event_id,
           share_id=share_id, type=event.type)
    session.flush()
    return Outcome(conversion, created=True)


def _by_event_id(session: Session, event_id: str) -> Conversion | None:
    return session.scalar(select(Conversion).where(Conversion.event_id == event_id))


# --- the route -----------------------------------------------------------------------------


def problem_response(status: int, slug: str, title: str, detail: str,
                     errors: list[dict] | None = None) -> Response:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIME)


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _rate_limited(_limit) -> Response:
    return problem_response(429, "rate-limited", _("Too many requests"),
                            _("Slow down: at most %(n)d requests per minute per client "
                              "address.", n=RATE_PER_MINUTE))


def _read_body() -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise WebhookError(413, "too-large", _("Body too large"),
                           _("The body may not exceed %(n)d bytes.", n=MAX_BODY_BYTES))
    body = request.stream.read(MAX_BODY_BYTES + 1)  # chunked bodies have no length
    if len(body) > MAX_BODY_BYTES:
        raise WebhookError(413, "too-large", _("Body too large"),
                           _("The body may not exceed %(n)d bytes.", n=MAX_BODY_BYTES))
    return body


@bp.post("/api/v1/conversions")
@limiter.limit(RATE_LIMIT, on_breach=_rate_limited)
def conversions_webhook():
    secret = current_app.config.get("CONVERSION_WEBHOOK_SECRET") or ""
    if not secret:
        return problem_response(503, "disabled", _("Webhook disabled"),
                                _("The conversions webhook is not configured on this server."))
    max_skew = int(current_app.config.get("CONVERSION_MAX_SKEW_SECONDS", 300))
    now = utcnow()
    try:
        body = _read_body()
        verify(secret, request.headers.get(TIMESTAMP_HEADER),
               request.headers.get(SIGNATURE_HEADER), body, now=now, max_skew=max_skew)
        event = parse_event(body, now=now, max_skew=max_skew)
        outcome = record_conversion(db(), event, now=now)
    except WebhookError as exc:
        return problem_response(exc.status, exc.slug, exc.title, exc.detail, exc.errors)
    if not outcome.created:
        return _json(200, {"status": "duplicate", "conversion_id": outcome.conversion.id})
    return _json(201, {"status": "created", "conversion_id": outcome.conversion.id,
                       "share_code": event.share_code})


csrf.exempt(conversions_webhook)
