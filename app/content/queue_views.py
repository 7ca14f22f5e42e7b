"""The employee's side of content: the queue's "show more" and "not for me", and
suggesting a link. The queue itself is on the portal home (app/portal/views.py)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.common.errors import ServiceError
from app.common.web import current_actor, db, render_invalid
from app.content import bp, services
from app.content.models import ContentItem
from app.content.queue import CANDIDATE_LIMIT, entry_for, my_suggestions, queue_for, visible_item
from app.db import utcnow


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SuggestForm(FlaskForm):
    url = StringField(_l("Link"), filters=[_strip],
                      validators=[DataRequired(), Length(max=2000)])
    comment = TextAreaField(_l("Why should colleagues share it?"), filters=[_strip],
                            validators=[DataRequired(), Length(max=2000)])
    title = StringField(_l("Title (optional)"), filters=[_strip],
                        validators=[Optional(), Length(max=300)])


class ActionForm(FlaskForm):
    """A bare POST (dismiss, undo): only the CSRF token."""


def _htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def _me():
    return current_user._get_current_object()


@bp.get("/queue/more")
def queue_more():
    """The next batch of the queue (htmx "Show more"); without htmx, the portal home."""
    cap = current_app.config["QUEUE_DAILY_CAP"]
    offset = min(max(0, request.args.get("offset", 0, type=int)), CANDIDATE_LIMIT)
    if not _htmx():
        return redirect(url_for("portal.home", more=max(1, -(-offset // cap))))
    page = queue_for(db(), _me(), utcnow(), limit=cap, offset=offset)
    return render_template("content/queue/_batch.html", page=page,
                           more=-(-page.next_offset // cap))


@bp.post("/queue/<int:item_id>/dismiss")
def queue_dismiss(item_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    item = visible_item(db(), _me(), item_id, utcnow())
    if item is None:
        abort(404)
    services.dismiss(db(), _me(), item)
    if _htmx():
        return render_template("content/queue/_dismissed.html", item=item)
    flash(_("Removed from your queue."), "info")
    return redirect(url_for("portal.home", dismissed=item.id))


@bp.post("/queue/<int:item_id>/undismiss")
def queue_undismiss(item_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    item = db().get(ContentItem, item_id)
    if item is None:
        abort(404)
    services.undismiss(db(), _me(), item)
    if _htmx():
        visible = visible_item(db(), _me(), item_id, utcnow())
        if visible is None:  # expired or retargeted meanwhile: nothing to put back
            return ""
        return render_template("content/queue/_card.html", entry=entry_for(visible))
    flash(_("Back in your queue."), "success")
    return redirect(url_for("portal.home"))


@bp.route("/suggest", methods=["GET", "POST"])
def suggest():
    form = SuggestForm()
    if form.validate_on_submit():
        try:
            services.suggest(db(), current_actor(), _me(), url=form.url.data,
                             title=form.title.data or "", comment=form.comment.data)
        except ServiceError as exc:
            getattr(form, exc.field if exc.field in ("url", "comment", "title") else "url") \
                .errors.append(exc.message)
            return render_invalid("content/queue/suggest.html", form=form,
                                  suggestions=my_suggestions(db(), _me()))
        flash(_("Thanks! Your suggestion goes to the communications team for review."),
              "success")
        return redirect(url_for("content.suggest"))
    if form.is_submitted():
        return render_invalid("content/queue/suggest.html", form=form,
                              suggestions=my_suggestions(db(), _me()))
    return render_template("content/queue/suggest.html", form=form,
                           suggestions=my_suggestions(db(), _me()))
