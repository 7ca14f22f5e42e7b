"""Notifications: in-app notices (the bell). E-mail digests and webhooks come later."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from app.notifications import export, views  # noqa: E402,F401
