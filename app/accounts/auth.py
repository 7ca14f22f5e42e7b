"""Flask-Login wiring: load the user from the session, refuse stale sessions."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from app.accounts.models import User, UserStatus


def load_user(user_id: str) -> User | None:
    from app.common.web import db

    try:
        uid, version = (int(part) for part in user_id.split(":", 1))
    except ValueError:
        return None
    user = db().get(User, uid)
    # a bumped version (deactivation, password change) ends every older session at once
    if user is None or user.session_version != version or user.status != UserStatus.ACTIVE:
        return None
    return user


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
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
