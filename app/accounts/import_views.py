"""CSV import pages: upload, preview with per-row errors, confirm, stepped progress."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts import bp, importer
from app.accounts.forms import ConfirmForm, ImportConfirmForm, ImportUploadForm
from app.accounts.models import ImportBatch
from app.accounts.settings import account_settings
from app.common.errors import ServiceError
from app.common.forms import require_post_form
from app.common.templating import format_size
from app.common.web import current_actor, db, mailer, render_invalid


def _batch_or_404(batch_id: int) -> ImportBatch:
    batch = db().get(ImportBatch, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.route("/admin/import", methods=["GET", "POST"])
def admin_import():
    form = ImportUploadForm()
    recent = list(db().scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(10)))
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        if len(data) > current_app.config["IMPORT_MAX_BYTES"]:
            form.file.errors.append(_("The file is larger than %(size)s.",
                                      size=format_size(current_app.config["IMPORT_MAX_BYTES"])))
            return render_invalid("accounts/admin/import.html", form=form, recent=recent)
        try:
            batch = importer.create_batch(db(), current_actor(), upload.filename or "import.csv",
                                          data, max_rows=current_app.config["IMPORT_MAX_ROWS"])
        except ServiceError as exc:
            form.file.errors.append(exc.message)
            return render_invalid("accounts/admin/import.html", form=form, recent=recent)
        return redirect(url_for("accounts.admin_import_preview", batch_id=batch.id))
    if form.is_submitted():
        return render_invalid("accounts/admin/import.html", form=form, recent=recent)
    return render_template("accounts/admin/import.html", form=form, recent=recent)


@bp.get("/admin/import/<int:batch_id>")
def admin_import_preview(batch_id: int):
    batch = _batch_or_404(batch_id)
    shown = 500
    return render_template("accounts/admin/import_preview.html", batch=batch,
                           sample=batch.rows[:20], errors=batch.errors[:shown],
                           hidden_errors=max(0, len(batch.errors) - shown),
                           confirm_form=ImportConfirmForm(), action_form=ConfirmForm())


@bp.post("/admin/import/<int:batch_id>/confirm")
def admin_import_confirm(batch_id: int):
    batch = _batch_or_404(batch_id)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        importer.confirm(db(), current_actor(), batch,
                         send_invitations=bool(form.send_invitations.data))
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.admin_import_preview", batch_id=batch.id)), 303
    return redirect(url_for("accounts.admin_import_preview", batch_id=batch.id))


@bp.post("/admin/import/<int:batch_id>/step")
def admin_import_step(batch_id: int):
    """Import the next slice; htmx calls it again until done (or the button does, no JS)."""
    batch = _batch_or_404(batch_id)
    require_post_form()
    importer.run_step(db(), account_settings(), mailer(), current_actor(), batch,
                      step_rows=current_app.config["IMPORT_STEP_ROWS"])
    if request.headers.get("HX-Request"):
        return render_template("accounts/admin/_import_progress.html", batch=batch,
                               action_form=ConfirmForm())
    return redirect(url_for("accounts.admin_import_preview", batch_id=batch.id))


@bp.post("/admin/import/<int:batch_id>/cancel")
def admin_import_cancel(batch_id: int):
    batch = _batch_or_404(batch_id)
    require_post_form()
    try:
        importer.cancel(db(), current_actor(), batch)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.admin_import_preview", batch_id=batch.id)), 303
    flash(_("Import stopped. People already imported stay."), "info")
    return redirect(url_for("accounts.admin_import"))
