"""Admin page of the analytics: network values (CPM, CPC, CPE) and currency for earned
media value, and the state of the tally (audited by the services)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.analytics import bp, queries, services
from app.analytics.forms import METRIC_LABELS, submitted_values, values_form
from app.analytics.values import DEFAULT_VALUES, currency, network_values, networks
from app.common.errors import ServiceError
from app.common.forms import ConfirmForm, require_post_form
from app.common.web import current_actor, db, render_invalid
from app.sharing.networks import SHARE_NETWORKS

TEMPLATE = "analytics/admin_values.html"


def _context(form) -> dict:
    config = services.AnalyticsConfig.from_config(current_app.config)
    return dict(form=form, networks=networks(), labels=SHARE_NETWORKS, metrics=METRIC_LABELS,
                defaults=DEFAULT_VALUES, status=queries.tally_status(db()),
                retention_days=config.click_retention_days, reset_form=ConfirmForm())


@bp.route("/admin/analytics/values", methods=["GET", "POST"])
def admin_values():
    keys = networks()
    form = values_form(keys, network_values(db()), currency(db()))
    if form.validate_on_submit():
        try:
            services.save_values(db(), current_actor(), currency=form.currency.data,
                                 values=submitted_values(form, keys))
        except ServiceError as exc:
            (form.currency.errors if exc.field == "currency" else form.form_errors) \
                .append(exc.message)
            return render_invalid(TEMPLATE, **_context(form))
        flash(_("Network values saved: earned media value uses them for the whole history."),
              "success")
        return redirect(url_for("analytics.admin_values"))
    if form.is_submitted():
        return render_invalid(TEMPLATE, **_context(form))
    return render_template(TEMPLATE, **_context(form))


@bp.post("/admin/analytics/values/reset")
def admin_values_reset():
    require_post_form()
    services.reset_values(db(), current_actor())
    flash(_("Network values reset to the defaults."), "success")
    return redirect(url_for("analytics.admin_values"))
