"""Notifications: in-app notices (the bell), notification e-mails, and the outbox that
delivers e-mails and outgoing webhooks (outbox.py, webhooks.py)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

# settings_views: e-mail preferences and the unsubscribe link of notification e-mails
# admin_views: outgoing webhook endpoints (the outbox delivers them)
from app.notifications import admin_views, export, settings_views, views  # noqa: E402,F401
