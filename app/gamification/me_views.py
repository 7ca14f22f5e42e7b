"""The employee's own points: "My points" (balance, level, badges, history, leaderboard
opt-out) and the small card on the profile page."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.common.forms import ConfirmForm, require_post_form
from app.common.pagination import paginate
from app.common.web import db
from app.db import utcnow
from app.gamification import badges, bp, levels, services


@bp.get("/me/points")
def my_points():
    summary = services.points_summary(db(), current_user.id, utcnow())
    page = paginate(db(), services.ledger_statement(current_user.id),
                    request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    return render_template("gamification/my_points.html", summary=summary, page=page,
                           sources=services.describe_entries(db(), page.items),
                           form=ConfirmForm(), levels=levels, badges=badges,
                           services=services)


@bp.post("/me/points/leaderboards")
def my_points_opt_out():
    require_post_form()
    opt_out = request.form.get("opt_out") == "1"
    services.set_opt_out(db(), current_user.id, opt_out)
    flash(_("You no longer appear on other people's leaderboards.") if opt_out
          else _("You appear on the leaderboards again."), "success")
    return redirect(url_for("gamification.my_points") + "#leaderboards")


@bp.get("/me/points/card")
def my_points_card():
    """The level and badges on the profile page (loaded by htmx after the page)."""
    stats = levels.stats_for(db(), [current_user.id])[current_user.id]
    progress = levels.progress(db(), stats, levels.config(db()))
    return render_template("gamification/_profile_card.html", stats=stats, progress=progress,
                           earned=badges.earned(db(), current_user.id), levels=levels)
