"""The flask-smorest Api of Relais and the blueprint every API resource module uses.

``ApiBlueprint(name, scope=...)`` gives a resource module, in one line: the /api/v1 prefix,
problem+json errors for every code, CSRF exemption (no cookie authenticates an API call,
see app/api/auth.py), the per-token rate limit, and its scope family ("users" → users:read
for GET, users:write otherwise). A new resource (leaderboards, points, badges, courses,
analytics) is one more module with one such blueprint, listed in ``RESOURCES``
(app/api/__init__.py), with its endpoints in the permission table.
"""

from __future__ import annotations

import copy
import http
import json
from datetime import UTC, datetime

from apispec import BasePlugin
from flask import Response
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import prepare_response

from app.api.auth import rate_key, rate_limit
from app.api.errors import PROBLEM_MIME, ProblemSchema, problem, register_handlers
from app.extensions import csrf, limiter

API_PREFIX = "/api/v1"


def _rate_limited(request_limit) -> Response:
    retry = max(1, int(request_limit.reset_at - datetime.now(UTC).timestamp()))
    return problem(429, "rate-limited", _("Too many requests"),
                   _("This token may make %(limit)s requests; retry in %(s)d seconds.",
                     limit=str(request_limit.limit), s=retry),
                   headers={"Retry-After": str(retry)})


def _no_store(response: Response) -> Response:
    # answers carry personal data (people, shares): no shared or browser cache keeps them
    response.headers.setdefault("Cache-Control", "no-store")
    return response


class ApiBlueprint(SmorestBlueprint):
    def __init__(self, name: str, import_name: str, *, scope: str | None,
                 description: str = "", url_prefix: str = ""):
        super().__init__(name, import_name, url_prefix=API_PREFIX + url_prefix,
                         description=description)
        #: the scope family of this blueprint's endpoints (None: full tokens only, unless a
        #: view names its own with app.api.auth.scope)
        self.scope = scope
        register_handlers(self)
        csrf.exempt(self)
        self.after_request(_no_store)
        # one budget per token across every API endpoint (the conversions webhook keeps
        # its own per-address limit)
        limiter.shared_limit(rate_limit, scope="api", key_func=rate_key,
                             on_breach=_rate_limited)(self)


class RelaisApi(Api):
    """flask-smorest's Api, with problem+json errors and without its app-wide error handler
    (the HTML pages keep theirs; API blueprints register their own)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass  # see register_handlers: only API blueprints answer with problems

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_MIME)
            else:
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An RFC 9457 problem (every error has this shape).",
                    "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIME)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


class OperationIdPlugin(BasePlugin):
    """Every operation gets an ``operationId``: its view's name (``list_users``), unique
    across the API — what client generators name their methods after."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        name = rule.endpoint.rpartition(".")[2]
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.setdefault("operationId", name)


def spec_dict(api: RelaisApi) -> dict:
    """The OpenAPI document as a plain dict (a copy: callers may not change the spec)."""
    return copy.deepcopy(json.loads(json.dumps(api.spec.to_dict())))
