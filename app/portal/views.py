from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from app.accounts.queries import team_statement
from app.common.pagination import paginate
from app.common.web import db
from app.content.queue import CANDIDATE_LIMIT, queue_for
from app.db import utcnow
from app.portal import bp


def _more_param(cap: int) -> int:
    """"Show more" without JavaScript (?more=N), up to the queue's candidate bound."""
    return min(max(0, request.args.get("more", 0, type=int)), CANDIDATE_LIMIT // max(1, cap))


@bp.get("/")
def home():
    """The employee's queue: the top QUEUE_DAILY_CAP items, "Show more" for the next."""
    cap = current_app.config["QUEUE_DAILY_CAP"]
    more = _more_param(cap)
    page = queue_for(db(), current_user._get_current_object(), utcnow(),
                     limit=cap * (more + 1), offset=0)
    return render_template("portal/home.html", page=page, more=more + 1,
                           dismissed=request.args.get("dismissed", type=int))


@bp.get("/team")
def team():
    page = paginate(db(), team_statement(db(), current_user.id),
                    request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    return render_template("portal/team.html", page=page)
