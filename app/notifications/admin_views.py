"""Admin pages: outgoing webhook endpoints and their delivery log (routes only; rules in
webhooks.py). No page calls a receiver: a test message goes through the outbox."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.common.errors import ServiceError
from app.common.fetcher import FetchPolicy
from app.common.forms import ConfirmForm, require_post_form
from app.common.web import current_actor, db, get_or_404, render_invalid
from app.notifications import bp, webhooks
from app.notifications.models import WebhookEndpoint
from app.notifications.webhook_forms import WebhookForm


def _policy() -> FetchPolicy:
    return FetchPolicy.from_config(current_app.config)


def _fields(form: WebhookForm) -> dict:
    return dict(name=form.name.data, url=form.url.data, flavour=form.flavour.data,
                events=form.events.data or [], active=form.active.data, policy=_policy())


def _form_error(form: WebhookForm, exc: ServiceError) -> None:
    getattr(form, exc.field or "url", form.url).errors.append(exc.message)


@bp.get("/admin/webhooks")
def admin_webhooks():
    return render_template("notifications/admin_webhooks.html",
                           endpoints=webhooks.list_endpoints(db()), events=webhooks.EVENTS,
                           flavours=webhooks.FLAVOUR_LABELS, error_text=webhooks.error_text)


@bp.route("/admin/webhooks/new", methods=["GET", "POST"])
def admin_webhook_new():
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            endpoint = webhooks.create_endpoint(db(), current_actor(), **_fields(form))
        except ServiceError as exc:
            _form_error(form, exc)
            return render_invalid("notifications/admin_webhooks_form.html", form=form,
                                  endpoint=None)
        flash(_("Endpoint added. Give its signing secret to the receiver if it checks "
                "signatures."), "success")
        return redirect(url_for("notifications.admin_webhook", endpoint_id=endpoint.id))
    if form.is_submitted():
        return render_invalid("notifications/admin_webhooks_form.html", form=form,
                              endpoint=None)
    return render_template("notifications/admin_webhooks_form.html", form=form, endpoint=None)


@bp.route("/admin/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
def admin_webhook(endpoint_id: int):
    endpoint = get_or_404(WebhookEndpoint, endpoint_id)
    form = WebhookForm(obj=endpoint)

    def page(status: int = 200):
        context = dict(form=form, endpoint=endpoint, action_form=ConfirmForm(),
                       secret=webhooks.secret_of(endpoint),
                       log=webhooks.delivery_log(db(), endpoint.id),
                       error_text=webhooks.error_text)
        template = "notifications/admin_webhooks_form.html"
        return render_invalid(template, **context) if status == 422 \
            else render_template(template, **context)

    if form.validate_on_submit():
        try:
            webhooks.update_endpoint(db(), current_actor(), endpoint, **_fields(form))
        except ServiceError as exc:
            _form_error(form, exc)
            return page(422)
        flash(_("Changes saved."), "success")
        return redirect(url_for("notifications.admin_webhook", endpoint_id=endpoint.id))
    if form.is_submitted():
        return page(422)
    return page()


@bp.post("/admin/webhooks/<int:endpoint_id>/active")
def admin_webhook_active(endpoint_id: int):
    endpoint = get_or_404(WebhookEndpoint, endpoint_id)
    require_post_form()
    active = request.form.get("active") == "1"
    webhooks.set_active(db(), current_actor(), endpoint, active)
    flash(_("%(name)s is active again.", name=endpoint.name) if active
          else _("%(name)s is deactivated: nothing more is sent to it.", name=endpoint.name),
          "success")
    return redirect(url_for("notifications.admin_webhook", endpoint_id=endpoint.id))


def _act_on(endpoint_id: int, action, done: str):
    """A POST button of the endpoint page: run ``action`` (a webhooks service), flash
    ``done`` or the service's refusal, back to the page."""
    endpoint = get_or_404(WebhookEndpoint, endpoint_id)
    require_post_form()
    try:
        action(db(), current_actor(), endpoint)
    except ServiceError as exc:
        flash(exc.message, "warning")
    else:
        flash(done, "success")
    return redirect(url_for("notifications.admin_webhook", endpoint_id=endpoint.id))


@bp.post("/admin/webhooks/<int:endpoint_id>/test")
def admin_webhook_test(endpoint_id: int):
    return _act_on(endpoint_id, webhooks.send_test,
                   _("Test message queued: it is delivered within a minute. Reload this "
                     "page to see the result in the delivery log."))


@bp.post("/admin/webhooks/<int:endpoint_id>/rotate")
def admin_webhook_rotate(endpoint_id: int):
    return _act_on(endpoint_id, webhooks.rotate_secret,
                   _("New signing secret made: give it to the receiver. Deliveries from "
                     "now on are signed with it."))


@bp.post("/admin/webhooks/<int:endpoint_id>/delete")
def admin_webhook_delete(endpoint_id: int):
    endpoint = get_or_404(WebhookEndpoint, endpoint_id)
    require_post_form()
    webhooks.delete_endpoint(db(), current_actor(), endpoint)
    flash(_("Endpoint deleted."), "success")
    return redirect(url_for("notifications.admin_webhooks"))
