"""Analytics: daily rollups per share, person, item, group and topic (the tally job, its
rebuild and the retention of raw clicks), network values for earned media value, and the
admin page that sets them. Dashboards read the rollups only (docs/analytics.md)."""

from flask import Blueprint

bp = Blueprint("analytics", __name__)

from app.analytics import admin_views  # noqa: E402,F401

# isort: split
# the company's and a manager's team's dashboards
from app.analytics import dashboard_views  # noqa: E402,F401

# isort: split
from app.analytics import impact_views  # noqa: E402,F401
