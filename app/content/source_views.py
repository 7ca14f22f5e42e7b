"""Curator pages: RSS/Atom sources and the curation inbox (routes only; rules in feeds.py)."""

from __future__ import annotations

import re

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.accounts.forms import LANGUAGE_CHOICES, ConfirmForm
from app.common.errors import ServiceError
from app.common.fetcher import FetchPolicy
from app.common.forms import require_post_form
from app.common.pagination import paginate
from app.common.web import current_actor, db, get_or_404, render_invalid
from app.content import bp, feeds
from app.content.models import InboxEntry, Source


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SourceForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    url = StringField(_l("Feed address (RSS or Atom)"), filters=[_strip],
                      validators=[DataRequired(), Length(max=2000)])
    language = SelectField(_l("Language of its entries"), choices=LANGUAGE_CHOICES)
    active = BooleanField(_l("Active (polled every 15 minutes)"), default=True)


# --- helpers -------------------------------------------------------------------------------




def _policy() -> FetchPolicy:
    return FetchPolicy.from_config(current_app.config)


def _item_url(item_id: int) -> str:
    """The curator's item page (app/content/curator_views.py)."""
    for endpoint in ("content.curator_item", "content.item_detail"):
        try:
            return url_for(endpoint, item_id=item_id)
        except BuildError:
            continue
    return f"/curate/items/{item_id}"


_OK_NEW = re.compile(r"^ok: (\d+) new$")


def _reasons() -> dict[str, str]:
    return {
        "blocked_address": _("the address points to a private or reserved network"),
        "bad_scheme": _("only http:// and https:// addresses can be fetched"),
        "bad_url": _("the address is not valid"),
        "bad_host": _("the host name is not valid"),
        "no_host": _("the address has no host name"),
        "userinfo": _("addresses with a user name or password cannot be fetched"),
        "dns": _("the host name could not be found"),
        "unreachable": _("the site could not be reached"),
        "timeout": _("the site took too long to answer"),
        "tls": _("a secure connection to the site could not be made"),
        "too_large": _("the feed is too large"),
        "too_many_redirects": _("the address redirects too many times"),
        "protocol": _("the site sent an invalid answer"),
        "encoding": _("the site sent content in an unsupported encoding"),
        "decode": _("the site sent corrupted compressed content"),
        "not_a_feed": _("this is not an RSS or Atom feed"),
    }


def status_text(status: str) -> str:
    """A source's stored ``last_status`` in the reader's language."""
    if not status:
        return _("not polled yet")
    if status == "ok: not modified":
        return _("OK: unchanged since the last poll")
    match = _OK_NEW.match(status)
    if match:
        return _("OK: %(n)d new", n=int(match.group(1)))
    if status.startswith("error: "):
        code, _sep, message = status[len("error: "):].partition(": ")
        if code.startswith("http_"):
            return _("Error: the site answered HTTP %(code)s", code=code[5:])
        reason = _reasons().get(code) or message or code
        return _("Error: %(reason)s", reason=reason)
    return status


def _flash_poll(source: Source, result: feeds.PollResult) -> None:
    flash(_("%(name)s checked. %(status)s", name=source.name,
            status=status_text(result.status)), "success" if result.ok else "warning")


# --- sources -------------------------------------------------------------------------------


@bp.get("/curate/sources")
def sources():
    return render_template("content/sources/list.html", rows=feeds.sources_overview(db()),
                           action_form=ConfirmForm(), status_text=status_text)


@bp.route("/curate/sources/new", methods=["GET", "POST"])
def source_new():
    form = SourceForm()
    if form.validate_on_submit():
        try:
            source = feeds.create_source(db(), current_actor(), name=form.name.data,
                                         url=form.url.data, language=form.language.data,
                                         active=form.active.data)
        except ServiceError as exc:
            getattr(form, exc.field or "url", form.url).errors.append(exc.message)
            return render_invalid("content/sources/form.html", form=form, source=None)
        flash(_("Source added."), "success")
        if request.form.get("check") == "1":
            _flash_poll(source, feeds.poll_source(db(), source, policy=_policy()))
        return redirect(url_for("content.sources"))
    if form.is_submitted():
        return render_invalid("content/sources/form.html", form=form, source=None)
    return render_template("content/sources/form.html", form=form, source=None)


@bp.route("/curate/sources/<int:source_id>", methods=["GET", "POST"])
def source_edit(source_id: int):
    source = get_or_404(Source, source_id)
    form = SourceForm(obj=source)
    context = dict(form=form, source=source, action_form=ConfirmForm(),
                   status_text=status_text)
    if form.validate_on_submit():
        try:
            feeds.update_source(db(), current_actor(), source, name=form.name.data,
                                url=form.url.data, language=form.language.data,
                                active=form.active.data)
        except ServiceError as exc:
            getattr(form, exc.field or "url", form.url).errors.append(exc.message)
            return render_invalid("content/sources/form.html", **context)
        flash(_("Changes saved."), "success")
        return redirect(url_for("content.sources"))
    if form.is_submitted():
        return render_invalid("content/sources/form.html", **context)
    return render_template("content/sources/form.html", **context)


@bp.post("/curate/sources/<int:source_id>/check")
def source_check(source_id: int):
    source = get_or_404(Source, source_id)
    require_post_form()
    _flash_poll(source, feeds.poll_source(db(), source, policy=_policy()))
    return redirect(url_for("content.sources"))


@bp.post("/curate/sources/<int:source_id>/active")
def source_active(source_id: int):
    source = get_or_404(Source, source_id)
    require_post_form()
    active = request.form.get("active") == "1"
    feeds.set_source_active(db(), current_actor(), source, active)
    flash(_("%(name)s is polled again.", name=source.name) if active
          else _("%(name)s is no longer polled.", name=source.name), "success")
    return redirect(url_for("content.sources"))


@bp.post("/curate/sources/<int:source_id>/delete")
def source_delete(source_id: int):
    source = get_or_404(Source, source_id)
    require_post_form()
    feeds.delete_source(db(), current_actor(), source)
    flash(_("Source deleted."), "success")
    return redirect(url_for("content.sources"))


@bp.post("/curate/sources/<int:source_id>/dismiss-all")
def inbox_dismiss_all(source_id: int):
    source = get_or_404(Source, source_id)
    require_post_form()
    count = feeds.dismiss_all(db(), current_actor(), source)
    flash(_("%(n)d entries dismissed.", n=count), "success")
    return redirect(url_for("content.inbox"))


# --- the inbox -----------------------------------------------------------------------------


@bp.get("/curate/inbox")
def inbox():
    source_id = request.args.get("source", 0, type=int)
    current = db().get(Source, source_id) if source_id else None
    page = paginate(db(), feeds.inbox_statement(current.id if current else None),
                    request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    rows = feeds.sources_overview(db())
    args = {"source": current.id} if current else {}
    return render_template("content/sources/inbox.html", page=page, current=current,
                           sources=rows, args=args, action_form=ConfirmForm())


@bp.post("/curate/inbox/<int:entry_id>/draft")
def inbox_make_draft(entry_id: int):
    entry = get_or_404(InboxEntry, entry_id)
    require_post_form()
    try:
        item = feeds.make_draft(db(), current_actor(), entry)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("content.inbox")), 303
    flash(_("Draft created from the feed entry: review and complete it."), "success")
    return redirect(_item_url(item.id))


@bp.post("/curate/inbox/<int:entry_id>/dismiss")
def inbox_dismiss(entry_id: int):
    entry = get_or_404(InboxEntry, entry_id)
    require_post_form()
    source_id = entry.source_id
    feeds.dismiss_entry(db(), entry)
    flash(_("Entry dismissed."), "success")
    back = request.form.get("source", type=int)
    return redirect(url_for("content.inbox", source=back) if back == source_id
                    else url_for("content.inbox"))
