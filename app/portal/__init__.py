"""The employee portal: home page and the manager's team view."""

from flask import Blueprint

bp = Blueprint("portal", __name__)

from app.portal import views  # noqa: E402,F401
