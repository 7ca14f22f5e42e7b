"""The REST API under /api/v1 (flask-smorest): personal access tokens, the OpenAPI
document at /api/v1/openapi.json and its reference page at /api/v1/docs.

- ``bp``: the HTML pages (token settings, the admin's service tokens, the reference page),
  signed in with the session cookie like every page, CSRF-protected;
- ``RESOURCES``: the JSON API blueprints (app/api/<resource>.py), authenticated by
  ``Authorization: Bearer`` only (app/api/auth.py). A new resource is one more module here.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__)

API_TITLE = "Relais API"
API_VERSION = "1.0"


def _resources():
    from app.api import (
        analytics,
        badges,
        clicks,
        content,
        conversions,
        courses,
        groups,
        leaderboards,
        points,
        scim,
        shares,
        users,
    )

    return [users.blp, scim.blp, groups.blp, content.blp, shares.blp, clicks.blp,
            conversions.blp, leaderboards.blp, points.blp, badges.blp, courses.blp,
            analytics.blp]


def init_app(app: Flask) -> None:
    """Create the Api, register the resources, the pages and the authentication step."""
    from app.api import auth
    from app.api.conversions import document_webhook
    from app.api.core import API_PREFIX, OperationIdPlugin, RelaisApi

    app.config.setdefault("API_TITLE", API_TITLE)
    app.config.setdefault("API_VERSION", API_VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    # no Swagger UI / ReDoc pages: they load scripts from a CDN; /api/v1/docs is rendered
    # on the server from the same document instead
    app.config["OPENAPI_SWAGGER_UI_PATH"] = None
    app.config["OPENAPI_REDOC_PATH"] = None
    app.config["OPENAPI_RAPIDOC_PATH"] = None
    app.config.setdefault("API_SPEC_OPTIONS", _spec_options())
    auth.init_app(app)
    api = RelaisApi(app, spec_kwargs={"extra_plugins": [OperationIdPlugin()]})
    api.spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer", "bearerFormat": "rls_…",
        "description": "A personal access token, created in your settings (or with "
                       "`flask --app wsgi api-token create`). Never in the URL."})
    for resource in _resources():
        api.register_blueprint(resource)
    from app.api import meta

    app.register_blueprint(meta.blp)  # the catch-all: no operation to document
    document_webhook(api, app)
    app.extensions["relais_api"] = api
    from app.api import export, views  # noqa: F401 (routes of bp; the data export part)

    app.register_blueprint(bp)


def _spec_options() -> dict:
    return {
        "info": {"description": "The open REST API of Relais: people, groups, content, "
                                "shares, clicks, conversions, leaderboards, points, badges, "
                                "courses and analytics. Every call is made with a "
                                "personal access token and checked against the same "
                                "permissions as the web pages. Errors are RFC 9457 problems."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
    }
