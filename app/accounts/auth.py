"""Flask-Login wiring: load the user from the session, refuse stale sessions.

Every sign-in (password, invitation, single sign-on, password change) goes through
``login_user``, and every sign-out through ``logout_user``: the two signal receivers below
start and revoke the server-side session (app/accounts/sessions.py) there, so no way in can
forget it.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, user_logged_in, user_logged_out

from app.accounts import sessions
from app.accounts.models import User


def session_policy() -> sessions.SessionPolicy:
    return sessions.SessionPolicy.from_config(current_app.config)


def load_user(user_id: str) -> User | None:
    from app.common.web import db

    # "<user id>:<session_version>:<session token>" (User.get_id)
    try:
        uid, version, token = user_id.split(":", 2)
        uid, version = int(uid), int(version)
    except ValueError:
        return None
    # one statement: the session row and its user; a bumped version (deactivation,
    # password change) still ends every older session at once
    return sessions.load(db(), uid, version, token, session_policy())


def _session_started(_app, user: User, **_extra) -> None:
    from app.common.web import current_actor, db

    sessions.end_current(db(), user)  # signed in again on this browser: that session ends
    # login_user() has just written "_remember" when "keep me signed in" was ticked
    sessions.start(db(), user, current_actor(), remember=session.get("_remember") == "set",
                   policy=session_policy())
    # login_user() stored get_id() before the row existed: store it again, with the token;
    # the remember-me cookie is written from this value after the request
    session["_user_id"] = user.get_id()


def _session_ended(_app, user, **_extra) -> None:
    from app.common.web import db

    if isinstance(user, User):
        sessions.end_current(db(), user)


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    # module-level receivers: connecting them again for another app is a no-op
    user_logged_in.connect(_session_started)
    user_logged_out.connect(_session_ended)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def _unauthorized():
        if request.headers.get("HX-Request"):
            response = jsonify(error="login required")
            response.status_code = 401
            response.headers["HX-Redirect"] = url_for("accounts.login")
            return response
        from flask import flash

        flash(login_manager.login_message, "info")
        nxt = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("accounts.login", next=nxt))
