"""Gamification: points ledger, badges, levels, leaderboards and challenges."""

from flask import Blueprint

bp = Blueprint("gamification", __name__)

# each view module registers its routes on bp (imported at the end: they import bp)
# points, badges, levels (notices registers the notice kinds badge and level)
from app.gamification import admin_views, export, me_views, notices  # noqa: E402,F401

# isort: split
# leaderboards and challenges (board_views also serves a report's activity to their manager)
from app.gamification import board_views, challenge_views  # noqa: E402,F401
