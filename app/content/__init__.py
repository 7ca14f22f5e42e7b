"""Content: items and their lifecycle, curator pages, sources and the inbox, employee
suggestions and the personalised queue."""

from flask import Blueprint

bp = Blueprint("content", __name__)

from app.content import curator_views, queue_views, source_views  # noqa: E402,F401
