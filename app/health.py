"""GET /healthz: the app version and whether the database answers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.db import get_database
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
