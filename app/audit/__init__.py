"""The audit log of admin actions and authentication events."""

from flask import Blueprint

bp = Blueprint("audit", __name__)

from app.audit import views  # noqa: E402,F401
