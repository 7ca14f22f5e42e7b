"""Sharing: the share flow, tracked links and click recording, conversions, connectors."""

from flask import Blueprint

bp = Blueprint("sharing", __name__)

from app.sharing import (  # noqa: E402,F401
    connect_views,
    conversions,
    engagement,
    export,
    redirect,
    views,
)
