"""``Idempotency-Key`` on the POSTs that create things: a client that did not get the answer
(a timeout, a dropped connection) sends the same request again with the same key and gets
the first answer back — nothing is created twice.

- The answer (status, JSON body, Location) is stored in the same transaction as the thing
  created, keyed by (person, key) with a named unique constraint; it is replayed for 24
  hours with the header ``Idempotent-Replayed: true``.
- The same key with a different request (method, path or body) is refused: 422.
- Errors are not stored (the transaction is rolled back): fix the request and retry with
  the same key.
- Two requests with the same key at the same time: the key is claimed (a row inserted)
  before the work is done, so the second waits for the first — SQLite serialises writers,
  PostgreSQL makes the second INSERT wait on the unique constraint — and then gets the
  first one's answer (or does the work itself if the first failed).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import wraps

import marshmallow as ma
from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.api.auth import current_token
from app.api.errors import ApiError
from app.api.models import IdempotencyRecord
from app.api.pagination import Text
from app.common.web import db
from app.db import utcnow

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)


class IdempotencyHeaders(ma.Schema):
    key = Text(data_key=HEADER, validate=ma.validate.Length(min=1, max=200), metadata={
        "description": "Any unique string (a UUID is a good choice). Retrying a request with "
                       "the same key within 24 hours returns the first answer instead of "
                       "creating the thing twice."})


def _fingerprint() -> str:
    body = request.get_data(cache=True) or b""
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n"
                          + body).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code,
                        mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    if record.location:
        response.headers["Location"] = record.location
    return response


def idempotent(func):
    """Wrap a view that already went through ``@blp.response``; put
    ``@blp.arguments(IdempotencyHeaders, location="headers")`` right above it."""

    @wraps(func)
    def wrapper(headers: dict, *args, **kwargs):
        key = headers.get("key")
        if not key:
            return func(*args, **kwargs)
        session, now = db(), utcnow()
        fingerprint = _fingerprint()
        answered = _answered(session, key, fingerprint, now)
        if answered is not None:
            return answered
        # forget expired answers (they hold personal data: keep them no longer than needed),
        # this person's expired one with this key included
        session.execute(delete(IdempotencyRecord).where(
            (IdempotencyRecord.created_at <= now - TTL)
            | ((IdempotencyRecord.user_id == current_user.id) & (IdempotencyRecord.key == key)))
            .execution_options(synchronize_session=False))
        # claim the key before doing the work: a concurrent request with the same key waits
        # on the unique constraint until this transaction ends, then finds the answer
        token = current_token()
        record = IdempotencyRecord(
            user_id=current_user.id, token_id=token.id if token else None, key=key,
            fingerprint=fingerprint, method=request.method, path=request.path[:500],
            status_code=0, created_at=now)
        try:
            with session.begin_nested():
                session.add(record)
                session.flush()
        except IntegrityError:
            answered = _answered(session, key, fingerprint, now)
            if answered is not None:
                return answered
            raise ApiError(409, "idempotency-key-in-use", _("Request in progress"),
                           _("Another request with this Idempotency-Key is being handled; "
                             "retry to get its answer.")) from None
        response = func(*args, **kwargs)
        if response.status_code >= 400:
            return response  # the request boundary rolls the claim back with the rest
        record.status_code = response.status_code
        record.response_body = response.get_data(as_text=True)
        record.location = (response.headers.get("Location") or "")[:500]
        session.flush()
        return response

    return wrapper


def _answered(session, key: str, fingerprint: str, now) -> Response | None:
    """The stored answer for this person's key (still fresh), or None; a different request
    under the same key is refused."""
    existing = session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.key == key))
    if existing is None or existing.created_at <= now - TTL or not existing.status_code:
        return None
    if existing.fingerprint != fingerprint:
        raise ApiError(422, "idempotency-key-reused", _("Idempotency key reused"),
                       _("This Idempotency-Key was already used for a different request; "
                         "use a new key for a new request."))
    return _replay(existing)
