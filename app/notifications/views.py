from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from app.common.forms import require_post_form
from app.common.pagination import paginate
from app.common.web import db, get_or_404
from app.notifications import bp, services
from app.notifications.kinds import render_notice
from app.notifications.models import Notice


def notice_url(notice: Notice) -> str | None:
    if not notice.link_endpoint:
        return None
    try:
        return url_for(notice.link_endpoint, **notice.link_args)
    except BuildError:  # the target's route changed since the notice was written
        return None


@bp.get("/notices")
def notices():
    page = paginate(db(), services.notices_statement(current_user.id),
                    request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    return render_template("notifications/notices.html", page=page, render_notice=render_notice,
                           notice_url=notice_url)


@bp.get("/notices/bell")
def bell():
    """The bell's unread count, loaded by htmx after the page (no query on every page)."""
    return render_template("notifications/_bell.html",
                           unread=services.unread_count(db(), current_user.id))


@bp.post("/notices/<int:notice_id>/open")
def open_notice(notice_id: int):
    require_post_form()
    notice = get_or_404(Notice, notice_id)
    if notice.user_id != current_user.id:
        abort(404)
    services.mark_read(db(), notice)
    return redirect(notice_url(notice) or url_for("notifications.notices"))


@bp.post("/notices/read-all")
def read_all():
    require_post_form()
    services.mark_all_read(db(), current_user.id)
    return redirect(url_for("notifications.notices"))
