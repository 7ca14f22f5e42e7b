"""Sharing: the share flow, tracked links and click recording, conversions, connectors."""

from flask import Blueprint

bp = Blueprint("sharing", __name__)

from app.sharing import views  # noqa: E402,F401
