"""Curator pages: the content list (filters, status tabs, bulk actions), the review queue,
the item editor (link preview, image upload, per-network text with a live counter), the
item page (lifecycle buttons, history), and the route that serves uploaded images."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import queries as account_queries
from app.accounts.forms import ConfirmForm, as_choices
from app.common.errors import ServiceError
from app.common.fetcher import FetchPolicy
from app.common.pagination import paginate
from app.common.timeutil import local_to_utc, utc_to_local, zone_label
from app.common.uploads import (
    UPLOAD_NAME,
    UPLOAD_TYPES,
    pending_upload,
    store_upload,
    upload_dir,
)
from app.common.web import current_actor, db, mailer, render_invalid
from app.content import bp, queries, services
from app.content.forms import BulkForm, ItemForm, PreviewForm, RejectForm
from app.content.models import ContentItem, ContentStatus
from app.content.networks import NETWORKS, compose, count
from app.content.preview import PreviewError, fetch_preview
from app.content.services import ACTIONS, PLACEHOLDER_LINK
from app.db import utcnow

# --- helpers -----------------------------------------------------------------------------


def _item_or_404(item_id: int) -> ContentItem:
    item = queries.item_for_curator(db(), item_id)
    if item is None:
        abort(404)
    return item



def _tz() -> str:
    return current_user.timezone or "UTC"


def _fill_choices(form: ItemForm) -> None:
    form.topic_ids.choices = as_choices((t.id, t.name)
                                        for t in account_queries.all_topics(db()))
    form.group_ids.choices = as_choices((g.id, g.name)
                                        for g in account_queries.all_groups(db()))


def _form_from_item(form: ItemForm, item: ContentItem) -> None:
    form.topic_ids.data = [t.id for t in item.topics]
    form.group_ids.data = [g.id for g in item.groups]
    form.target_languages.data = [x for x in item.target_languages.split(",") if x]
    for network in NETWORKS:
        getattr(form, f"text_{network}").data = item.text_for(network)
    form.hashtags.data = " ".join(f"#{t}" for t in item.hashtags.split())
    form.priority.data = item.priority
    form.publish_at.data = utc_to_local(item.publish_at, _tz())
    form.expire_at.data = utc_to_local(item.expire_at, _tz())


def _input_from_form(form: ItemForm, image_url: str) -> services.ItemInput:
    return services.ItemInput(
        url=form.url.data, title=form.title.data, summary=form.summary.data or "",
        image_url=image_url, language=form.language.data,
        topic_ids=form.topic_ids.data or (), group_ids=form.group_ids.data or (),
        target_languages=form.target_languages.data or (),
        texts={n: getattr(form, f"text_{n}").data or "" for n in NETWORKS},
        hashtags=form.hashtags.data or "", disclaimer=form.disclaimer.data or "",
        text_locked=form.text_locked.data, priority=form.priority.data or 0,
        featured=form.featured.data, curator_notes=form.curator_notes.data or "",
        publish_at=local_to_utc(form.publish_at.data, _tz()),
        expire_at=local_to_utc(form.expire_at.data, _tz()))


def _network_texts(item: ContentItem) -> list[dict]:
    """Each network's text as an employee would post it, with its length and limit."""
    out = []
    for key, rules in NETWORKS.items():
        text = item.text_for(key)
        full = compose(key, text, link=PLACEHOLDER_LINK, hashtags=item.hashtags,
                       disclaimer=item.disclaimer) if text else ""
        out.append({"key": key, "label": rules.label, "limit": rules.limit, "text": text,
                    "full": full, "count": count(key, full) if text else 0})
    return out


def _editor_context(form: ItemForm, item: ContentItem | None, **extra) -> dict:
    return dict(form=form, item=item, networks=NETWORKS, placeholder_link=PLACEHOLDER_LINK,
                tz_label=zone_label(_tz()), **extra)


def _apply_service_error(form: ItemForm, exc: ServiceError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        target.errors.append(exc.message)
    else:
        flash(exc.message, "danger")


def _fill_from_preview(form: ItemForm) -> str | None:
    """Fill title, summary and image from the page at form.url; the error, if any."""
    try:
        found = fetch_preview(form.url.data or "", FetchPolicy.from_config(current_app.config))
    except PreviewError as exc:
        return exc.message
    form.title.data = found.title or form.title.data
    form.summary.data = found.description or form.summary.data
    form.image_url.data = found.image_url or form.image_url.data
    return None


# --- the list, the review queue ------------------------------------------------------------


@bp.get("/curate/items")
def curator_items():
    flt = queries.ItemFilter.from_args(request.args)
    page = paginate(db(), queries.items_statement(flt), request.args.get("page", 1, type=int),
                    current_app.config["PER_PAGE"])
    return render_template(
        "content/curator/items.html", page=page, flt=flt,
        counts=queries.status_counts(db(), flt), statuses=list(ContentStatus),
        topics=account_queries.all_topics(db()), groups=account_queries.all_groups(db()),
        authors=queries.content_authors(db()), bulk_form=BulkForm(),
        status_label=services.status_label)


@bp.post("/curate/items/bulk")
def curator_bulk():
    form = BulkForm()
    back = request.form.get("back", "")
    target = back if back.startswith("/curate/items") and "//" not in back \
        else url_for("content.curator_items")
    if not form.validate_on_submit():
        flash(_("Choose an action and at least one item."), "danger")
        return redirect(target), 303
    try:
        done, skipped = services.bulk(db(), current_actor(), form.ids.data, form.action.data)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(target), 303
    message = (_("%(n)d item(s) archived.", n=done) if form.action.data == "archive"
               else _("%(n)d item(s) expired.", n=done))
    if skipped:
        message += " " + _("%(n)d skipped: their status does not allow it.", n=skipped)
    flash(message, "success" if done else "warning")
    return redirect(target)


@bp.get("/curate/review")
def curator_review():
    page = paginate(db(), queries.review_statement(), request.args.get("page", 1, type=int),
                    current_app.config["PER_PAGE"])
    return render_template("content/curator/review.html", page=page,
                           action_form=ConfirmForm())


# --- the editor ------------------------------------------------------------------------------


@bp.route("/curate/items/new", methods=["GET", "POST"])
def curator_new():
    form = ItemForm()
    _fill_choices(form)
    if request.method == "GET":
        form.url.data = request.args.get("url", "")[:2000] or None
    return _save(form, None)


@bp.route("/curate/items/<int:item_id>/edit", methods=["GET", "POST"])
def curator_edit(item_id: int):
    item = _item_or_404(item_id)
    if item.status == ContentStatus.ARCHIVED:
        flash(_("Archived items cannot be edited. Reopen it first."), "warning")
        return redirect(url_for("content.curator_item", item_id=item.id))
    form = ItemForm(obj=item) if request.method == "GET" else ItemForm()
    _fill_choices(form)
    if request.method == "GET":
        _form_from_item(form, item)
    return _save(form, item)


def _save(form: ItemForm, item: ContentItem | None):
    template = "content/curator/edit.html"
    if request.method == "POST" and request.form.get("action") == "fetch":
        # without JavaScript, "Fetch preview" posts the whole form: fill it and show it again
        if not PreviewForm().validate_on_submit():
            return render_invalid(template, **_editor_context(form, item))
        error = _fill_from_preview(form)
        return render_template(template, **_editor_context(form, item, preview_error=error))
    if not form.validate_on_submit():
        if form.is_submitted():
            return render_invalid(template, **_editor_context(form, item))
        return render_template(template, **_editor_context(form, item))
    upload = pending_upload(form.image_file)
    image_url = url_for("content.uploaded_image", name=upload[0]) if upload \
        else form.image_url.data or ""
    data = _input_from_form(form, image_url)
    try:
        if item is None:
            item = services.create_item(db(), current_actor(), data)
            message = _("Draft created.")
        else:
            services.update_item(db(), current_actor(), item, data)
            message = _("Changes saved.")
    except ServiceError as exc:
        _apply_service_error(form, exc)
        return render_invalid(template, **_editor_context(form, item if item and item.id
                                                          else None))
    if upload:
        store_upload(*upload)
    flash(message, "success")
    return redirect(url_for("content.curator_item", item_id=item.id))


@bp.post("/curate/preview")
def curator_preview():
    """htmx: fetch the page at ``url`` and send back the title/summary/image fields, filled."""
    form = ItemForm()
    preview_form = PreviewForm()
    if not preview_form.validate_on_submit():
        error = _("Enter the address of the page first.")
    else:
        error = _fill_from_preview(form)
    return render_template("content/curator/_preview_fields.html", form=form,
                           preview_error=error, fetched=error is None)


# --- one item ---------------------------------------------------------------------------------


@bp.get("/curate/items/<int:item_id>")
def curator_item(item_id: int):
    item = _item_or_404(item_id)
    return render_template(
        "content/curator/item.html", item=item, texts=_network_texts(item),
        history=queries.item_history(db(), item.id),
        actions=services.allowed_actions(item, current_user),
        reject_form=RejectForm(), action_form=ConfirmForm(),
        status_label=services.status_label, now=utcnow(),
        own_suggestion=item.suggested_by_id is not None
        and item.suggested_by_id == current_user.id)


@bp.post("/curate/items/<int:item_id>/<action>")
def curator_transition(item_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    item = _item_or_404(item_id)
    form = RejectForm() if action == "reject" else ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    actor, user = current_actor(), current_user._get_current_object()
    back = url_for("content.curator_item", item_id=item.id)
    try:
        if action == "submit":
            services.submit_for_review(db(), actor, item)
        elif action == "approve":
            services.approve(db(), actor, user, item, mailer=mailer())
        elif action == "publish":
            services.publish(db(), actor, user, item, mailer=mailer())
        elif action == "reject":
            services.reject(db(), actor, user, item, form.note.data or "", mailer=mailer())
        elif action == "expire":
            services.expire(db(), actor, item)
        elif action == "archive":
            services.archive(db(), actor, item)
        else:
            services.reopen(db(), actor, item)
    except ServiceError as exc:
        db().rollback()  # a 303 would commit: keep nothing a refused move may have touched
        flash(exc.message, "danger")
        return redirect(back), 303
    flash(_transition_message(action, item), "success")
    if action in ("approve", "reject") and request.form.get("from") == "review":
        return redirect(url_for("content.curator_review"))
    return redirect(back)


def _transition_message(action: str, item: ContentItem) -> str:
    if action == "submit":
        return _("Sent for review.")
    if action in ("approve", "publish"):
        return (_("Scheduled: it will be published at the chosen time.")
                if item.status == ContentStatus.SCHEDULED else _("Published."))
    if action == "reject":
        return _("Sent back.") if item.status == ContentStatus.DRAFT \
            else _("Suggestion declined.")
    return {"expire": _("Expired."), "archive": _("Archived."),
            "reopen": _("Reopened as a draft.")}[action]


# --- uploaded images --------------------------------------------------------------------------


@bp.get("/uploads/content/<name>")
def uploaded_image(name: str):
    """Only files of the upload folder, with the names Relais gave them."""
    match = UPLOAD_NAME.fullmatch(name)
    if match is None:
        abort(404)
    return send_from_directory(upload_dir(), name, mimetype=UPLOAD_TYPES[match.group(1)],
                               max_age=86400)
