"""Friendly error pages (HTML) and JSON errors for API-like requests.

A database that cannot be reached (PostgreSQL restarting, a connection cut, SQLite still
locked after its busy timeout) is answered with 503 and ``Retry-After``, a "try again"
page, instead of the 500 "something went wrong" page: nothing is wrong with the request
and the next attempt will work (tests/test_faults.py). The exception is still logged.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)

MESSAGES = {
    400: lambda: _("The request could not be understood. Reload the page and try again."),
    403: lambda: _("You do not have access to this page."),
    404: lambda: _("This page does not exist."),
    405: lambda: _("This action is not allowed here."),
    413: lambda: _("The file is too large."),
    429: lambda: _("Too many attempts. Wait a minute and try again."),
    500: lambda: _("Something went wrong on our side. The team has been told."),
    503: lambda: _("The service is briefly unavailable. Try again in a moment."),
}
#: seconds a client is asked to wait before retrying after a 503
RETRY_AFTER = "5"
#: SQLite's messages for a lock still held after the busy timeout (a transient state;
#: its other OperationalErrors, e.g. "no such table", are bugs and stay 500s)
SQLITE_BUSY = ("database is locked", "database is busy")


def _render(code: int, message: str | None = None):
    message = message or MESSAGES.get(code, MESSAGES[500])()
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=code), code
    return render_template("errors/error.html", code=code, message=message), code


def _own_response(exc):
    """An error that carries its own answer (a rate limit's ``on_breach`` response, e.g. the
    problem+json body of the conversions webhook) keeps it."""
    return getattr(exc, "response", None)


def database_unavailable(exc: BaseException | None) -> bool:
    """Is ``exc`` the database being out of reach for a moment, rather than a bug?"""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:  # the connection died under the request
        return True
    if not isinstance(exc, OperationalError):
        return False
    # psycopg's OperationalError: connection refused or lost, the server shutting down,
    # too many connections. (Errors in a statement are ProgrammingError, DataError, …)
    if type(exc.orig).__module__.startswith("psycopg"):
        return True
    return any(text in str(exc.orig) for text in SQLITE_BUSY)


def _unavailable():
    # rendering must not need the database: the person may not be loaded yet (the failure
    # may be loading them) or their object died with the session, and the locale and the
    # menus read it; the page is shown as to a visitor
    g._login_user = current_app.login_manager.anonymous_user()
    try:
        body, code = _render(503)
    except Exception:  # the page itself failed: still a clean 503
        log.exception("rendering the 503 page failed")
        body, code = MESSAGES[503](), 503
    return body, code, {"Retry-After": RETRY_AFTER}


def _server_error(exc):
    """Every unhandled exception ends here (Flask wraps it in InternalServerError), also
    one raised while committing after the view."""
    if database_unavailable(getattr(exc, "original_exception", None)):
        return _unavailable()
    return _own_response(exc) or _render(500)


def init_app(app: Flask) -> None:
    for code in MESSAGES:
        if code != 500:
            app.register_error_handler(code, lambda exc, code=code: _own_response(exc)
                                       or _render(code))
    app.register_error_handler(500, _server_error)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        from app.common.security_events import CSRF_FLAG

        setattr(g, CSRF_FLAG, True)  # a security event (app/common/security_events.py)
        return _render(400, _("Your form expired. Reload the page and try again."))
