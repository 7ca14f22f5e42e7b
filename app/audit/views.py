from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit import bp
from app.audit.models import AuditEvent
from app.common.pagination import paginate
from app.common.web import db


@bp.get("/admin/audit")
def admin_log():
    action = request.args.get("action", "").strip()[:64]
    stmt = (select(AuditEvent).options(selectinload(AuditEvent.actor))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
    page = paginate(db(), stmt, request.args.get("page", 1, type=int),
                    current_app.config["PER_PAGE"] * 2)
    return render_template("audit/log.html", page=page, action=action)
