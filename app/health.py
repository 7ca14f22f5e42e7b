"""GET /healthz: the app version and whether the database answers (load balancers);
GET /metrics: what monitoring alerts on (app/monitoring.py)."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import text

from app import monitoring
from app.db import get_database, utcnow
from app.version import __version__

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        with get_database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure means "not ready"; details stay in the logs
        database = "error"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", version=__version__,
                   database=database), status


# --- /metrics: the Prometheus text format, for an operator's monitoring ---------------------


def _authorised() -> bool:
    expected = current_app.config.get("METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())


@bp.get("/metrics")
def metrics():
    """Counters and ages an operator alerts on (docs/deploy.md, "Monitoring"). Off (404)
    until METRICS_TOKEN is set; then it needs ``Authorization: Bearer <METRICS_TOKEN>``."""
    if not current_app.config.get("METRICS_TOKEN"):
        abort(404)
    if not _authorised():
        return Response("unauthorised\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                        mimetype="text/plain")
    lines = monitoring.exposition(get_database(), utcnow(), __version__)
    return Response("".join(lines), mimetype="text/plain; version=0.0.4")
