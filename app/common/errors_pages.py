"""Friendly error pages (HTML) and JSON errors for API-like requests."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: lambda: _("The request could not be understood. Reload the page and try again."),
    403: lambda: _("You do not have access to this page."),
    404: lambda: _("This page does not exist."),
    405: lambda: _("This action is not allowed here."),
    413: lambda: _("The file is too large."),
    429: lambda: _("Too many attempts. Wait a minute and try again."),
    500: lambda: _("Something went wrong on our side. The team has been told."),
}


def _render(code: int, message: str | None = None):
    message = message or MESSAGES.get(code, MESSAGES[500])()
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=code), code
    return render_template("errors/error.html", code=code, message=message), code


def _own_response(exc):
    """An error that carries its own answer (a rate limit's ``on_breach`` response, e.g. the
    problem+json body of the conversions webhook) keeps it."""
    return getattr(exc, "response", None)


def init_app(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, lambda exc, code=code: _own_response(exc) or _render(code))

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _render(400, _("Your form expired. Reload the page and try again."))
