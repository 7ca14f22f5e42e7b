"""Request-side helpers for views: the actor, the session, the unit-of-work boundary."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_login import current_user

from app.common.actor import Actor
from app.db import commit, get_session, rollback


def current_actor() -> Actor:
    uid = current_user.id if current_user.is_authenticated else None
    return Actor(user_id=uid, ip=request.remote_addr,
                 user_agent=(request.user_agent.string or "")[:300])


def db():
    return get_session()


def mailer():
    return current_app.extensions["relais_mailer"]


#: per-request caches that Flask-Login and Flask-Babel keep on ``g``
REQUEST_SCOPED_G_KEYS = ("_login_user", "_flask_babel")


def init_request_boundary(app: Flask) -> None:
    """One commit per request: commit if the response succeeded, roll back otherwise."""

    @app.after_request
    def _finish_unit_of_work(response):
        session = g.pop("_db_session", None)
        if session is None:
            return response
        try:
            if response.status_code < 400:
                commit(session)
            else:
                rollback(session)
        finally:
            session.close()
        return response

    @app.teardown_request
    def _close_unit_of_work(exc):
        session = g.pop("_db_session", None)
        if session is not None:  # an error prevented after_request: never commit
            rollback(session)
            session.close()
        # a request reuses an app context that is already pushed (tests, scripts): make
        # sure the signed-in user and the locale of this request never leak to the next
        for key in REQUEST_SCOPED_G_KEYS:
            g.pop(key, None)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    # browsers drop tabs and newlines inside URLs ("/\t/evil" becomes "//evil"), and a
    # newline cannot go into a Location header: refuse any control character
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)):
        return target
    return default


def render_invalid(template: str, **context):
    """Re-render a form that did not validate: 422 rolls the unit of work back."""
    from flask import render_template

    return render_template(template, **context), 422


def get_or_404(model, object_id: int):
    """The row of ``model`` with this primary key, or a 404 page."""
    from flask import abort

    obj = db().get(model, object_id)
    if obj is None:
        abort(404)
    return obj
