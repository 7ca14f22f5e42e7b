from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from app.accounts.queries import team_statement
from app.common.pagination import paginate
from app.common.web import db
from app.portal import bp


@bp.get("/")
def home():
    return render_template("portal/home.html")


@bp.get("/team")
def team():
    page = paginate(db(), team_statement(db(), current_user.id),
                    request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    return render_template("portal/team.html", page=page)
