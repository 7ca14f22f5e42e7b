"""What every API answer shares: a problem for unknown URLs and wrong methods under
/api/v1 (the catch-all below), and the ``id`` path parameter's documentation."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from app.api.core import ApiBlueprint
from app.api.pagination import MAX_ID

blp = ApiBlueprint("api_meta", __name__, scope=None, description="Unknown API URLs.")

CATCH_ALL = "api_meta.not_found"
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def id_param(name: str, description: str = "") -> dict:
    """An integer id in the path, documented with its range (werkzeug's ``int`` converter
    takes any number; an id beyond the range simply does not exist → 404)."""
    return {"in": "path", "name": name, "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


def _allowed_methods(path: str) -> list[str]:
    adapter = current_app.url_map.bind("relais")
    allowed = []
    for method in _METHODS:
        try:
            endpoint, _args = adapter.match(path, method=method)
        except (HTTPException, RequestRedirect):
            continue
        if endpoint != CATCH_ALL:
            allowed.append(method)
    return allowed


def not_found(rest: str = ""):
    """Any other URL under /api/v1: 405 if the path exists with other methods, else 404."""
    allowed = _allowed_methods(request.path)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    abort(404)


# a plain Flask rule (not documented in the OpenAPI document: it is not an operation)
Blueprint.add_url_rule(blp, "/<path:rest>", endpoint="not_found", view_func=not_found,
                       methods=list(_METHODS))
