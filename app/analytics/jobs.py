"""Analytics' scheduled jobs (declared in app/jobs/__init__.py).

- ``analytics.tally`` (every 5 minutes): the events past the watermark → the daily rollups,
  and the new watermark, in the run's one transaction. Idempotent by construction (each
  touched bucket is recomputed from the raw rows), bounded (``ANALYTICS_TALLY_BATCH`` new
  ids per source per run; the summary says ``more`` when a backlog remains).
- ``analytics.warm_dashboards`` (every minute): the default company dashboard computed
  into the shared cache once per tally run (``app.analytics.dashboard_cache``).
- ``analytics.retention`` (daily): raw clicks older than ``ANALYTICS_CLICK_RETENTION_DAYS``
  and already rolled up for good are deleted; rollups stay.

Fetching engagement for recent posted shares is ``sharing.fetch_engagement``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.analytics import dashboard_cache, services

if TYPE_CHECKING:
    from app.jobs import JobContext


def tally(db: Session, ctx: JobContext) -> dict:
    """Job "analytics.tally"."""
    return services.run_tally(db, ctx.now, services.AnalyticsConfig.from_config(ctx.app.config))


def prune_clicks(db: Session, ctx: JobContext) -> dict:
    """Job "analytics.retention"."""
    return services.prune_clicks(db, ctx.now,
                                 services.AnalyticsConfig.from_config(ctx.app.config))


def warm_dashboards(db: Session, ctx: JobContext) -> dict:
    """Job "analytics.warm_dashboards"."""
    return dashboard_cache.warm(db, ctx.now, ctx.app)
