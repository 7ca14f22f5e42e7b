"""Every error of the API is an RFC 9457 problem (``application/problem+json``):
``{"type", "title", "status", "detail", "errors"?}``, the same shape as the conversions
webhook's errors. ``errors`` lists field problems: ``{"field", "message", "location"?}``.

Handlers are registered on each API blueprint for every HTTP error code (a blueprint's
code handlers win over the app's HTML error pages), plus a catch-all route
(``app/api/meta.py``) so that unknown URLs and wrong methods under /api/v1 answer the same
way.
"""

from __future__ import annotations

import json

import marshmallow as ma
from flask import Blueprint, Response
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, default_exceptions

from app.common.errors import ServiceError
from app.common.errors_pages import RETRY_AFTER, database_unavailable

PROBLEM_MIME = "application/problem+json"
#: RFC 9457 problem types (tag URIs: stable identifiers, not links), like the webhook's
PROBLEM_BASE = "tag:relais,2026:problems/api/"


class ApiError(Exception):
    """A refusal answered as a problem; raise it from views, services of this package, or
    the authentication step."""

    def __init__(self, status: int, slug: str, title: str, detail: str, *,
                 errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.errors, self.headers = errors, headers or {}


def problem(status: int, slug: str, title: str, detail: str, *, errors: list[dict] | None = None,
            headers: dict | None = None) -> Response:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIME)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    # errors can carry personal data (field values are never echoed, but be safe)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- HTTP errors ---------------------------------------------------------------------------

_SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
          405: "method-not-allowed", 406: "not-acceptable", 409: "conflict",
          413: "too-large", 415: "unsupported-media-type", 422: "invalid-request",
          428: "precondition-required", 429: "rate-limited", 500: "server-error",
          503: "unavailable"}


def _detail(code: int) -> str:
    return {
        400: _("The request could not be understood."),
        401: _("Send a personal access token in the Authorization header: "
               "\"Authorization: Bearer rls_…\"."),
        403: _("Your role or this token's scopes do not allow this."),
        404: _("Nothing here: check the URL and the id."),
        405: _("This method is not allowed on this URL; see the Allow header."),
        413: _("The request body is too large."),
        415: _("Send the body as application/json."),
        429: _("Too many requests for this token: slow down and retry after the delay in "
               "the Retry-After header."),
        500: _("Something went wrong on our side. The team has been told."),
        503: _("The service is briefly unavailable: retry after the delay in the "
               "Retry-After header."),
    }.get(code, "")


def _validation_errors(messages) -> list[dict]:
    """webargs' ``{"json": {"field": ["message"]}}`` as a flat list of field problems."""
    out: list[dict] = []

    def walk(location: str, prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(location, f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            for message in value:
                out.append({"field": prefix or "_body", "location": location, "message": message})
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                walk(location, f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            out.append({"field": prefix or "_body", "location": location, "message": str(value)})

    if isinstance(messages, dict):
        for location, fields in messages.items():
            walk(str(location), "", fields)
    return out


def handle_http_exception(exc: HTTPException) -> Response:
    own = getattr(exc, "response", None)
    if own is not None and own.mimetype == PROBLEM_MIME:  # e.g. the rate limit's answer
        return own
    code = exc.code or 500
    if code == 500 and database_unavailable(getattr(exc, "original_exception", None)):
        # the database is out of reach for a moment (restart, failover, SQLite lock held
        # too long): "try again", as the pages say, not a server error
        return problem(503, "unavailable", _("Service unavailable"), _detail(503),
                       headers={"Retry-After": RETRY_AFTER})
    headers = {}
    if code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    data = getattr(exc, "data", None) or {}
    if data.get("messages"):
        if code == 400:  # webargs only says 400 when the body is not JSON at all
            return problem(400, "malformed-json", _("Malformed JSON"),
                           _("The body is not valid JSON."))
        # webargs: the body, the query string or a header did not validate
        return problem(422, "invalid-request", _("Invalid request"),
                       _("Some parameters are missing or invalid; see errors."),
                       errors=_validation_errors(data["messages"]))
    title = exc.name or "Error"
    return problem(code, _SLUGS.get(code, f"http-{code}"), title,
                   _detail(code) or (exc.description if isinstance(exc.description, str)
                                     else title), headers=headers)


def handle_api_error(exc: ApiError) -> Response:
    return problem(exc.status, exc.slug, exc.title, exc.detail, errors=exc.errors,
                   headers=exc.headers)


def handle_service_error(exc: ServiceError) -> Response:
    """A rule of the services refused (the same message the UI shows)."""
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
    return problem(422, "refused", _("Refused"), exc.message, errors=errors)


def register_handlers(blueprint: Blueprint) -> None:
    for code in default_exceptions:
        if code >= 400:
            blueprint.register_error_handler(code, handle_http_exception)
    blueprint.register_error_handler(ApiError, handle_api_error)
    blueprint.register_error_handler(ServiceError, handle_service_error)


# --- the documented body ---------------------------------------------------------------------


class FieldProblemSchema(ma.Schema):
    field = ma.fields.String(required=True, metadata={"description": "The field (dotted "
                                                                      "path for nested ones)."})
    message = ma.fields.String(required=True)
    location = ma.fields.String(metadata={"description": "json, query, headers or path"})


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem."""

    type = ma.fields.String(required=True, metadata={
        "description": "A stable identifier of the kind of problem (a tag: URI)."})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    errors = ma.fields.List(ma.fields.Nested(FieldProblemSchema))
