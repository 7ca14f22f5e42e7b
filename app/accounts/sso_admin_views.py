"""The single sign-on admin page: the provider's settings, a discovery test, and the
mapping from the provider's groups claim to Relais groups (routes only)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import bp, queries, sso_services
from app.accounts import sso_protocol as oidc
from app.accounts.admin_views import _kind_label
from app.accounts.forms import as_choices
from app.accounts.sso_forms import SsoMappingForm, SsoSettingsForm
from app.accounts.sso_models import SsoGroupMapping
from app.common.errors import ServiceError
from app.common.forms import ConfirmForm, require_post_form
from app.common.pagination import paginate
from app.common.web import current_actor, db, get_or_404


def _mapping_form() -> SsoMappingForm:
    form = SsoMappingForm(prefix="mapping")
    form.group_id.choices = as_choices((g.id, f"{g.name} ({_kind_label(g.kind)})")
                                       for g in queries.all_groups(db()))
    return form


def _settings_form(config: sso_services.SsoConfig) -> SsoSettingsForm:
    form = SsoSettingsForm(prefix="sso")
    if not form.is_submitted():
        for name in ("enabled", "provider_name", "issuer", "client_id", "scopes",
                     "groups_claim", "auto_provision", "password_login_disabled"):
            getattr(form, name).data = getattr(config, name)
    return form


def _page(status: int = 200, *, form=None, mapping_form=None, test=None):
    config = sso_services.load_config(db(), current_app.config)
    mappings = paginate(db(), sso_services.mappings_statement(),
                        request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
    context = dict(
        sso=config, form=form or _settings_form(config),
        mapping_form=mapping_form or _mapping_form(), mappings=mappings,
        action_form=ConfirmForm(), test=test,
        env_variables=sso_services.ENV_VARIABLES,
        env_list=sorted(sso_services.ENV_VARIABLES[name] for name in config.from_environment),
        redirect_uri=current_app.config["BASE_URL"].rstrip("/") + url_for(
            "accounts.sso_callback"),
        linked=sso_services.linked_people_count(db()),
        domains=[d.domain for d in queries.domains(db())],
    )
    return render_template("accounts/admin/sso.html", **context), status


@bp.route("/admin/sso", methods=["GET", "POST"])
def admin_sso():
    config = sso_services.load_config(db(), current_app.config)
    form = _settings_form(config)
    if form.validate_on_submit():
        try:
            sso_services.save_settings(
                db(), current_actor(), current_app.config, enabled=form.enabled.data,
                provider_name=form.provider_name.data, issuer=form.issuer.data,
                client_id=form.client_id.data, client_secret=form.client_secret.data,
                scopes=form.scopes.data, groups_claim=form.groups_claim.data,
                auto_provision=form.auto_provision.data,
                password_login_disabled=form.password_login_disabled.data)
        except ServiceError as exc:
            getattr(form, exc.field or "enabled").errors.append(exc.message)
            return _page(422, form=form)
        flash(_("Single sign-on settings saved."), "success")
        return redirect(url_for("accounts.admin_sso"))
    if form.is_submitted():
        return _page(422, form=form)
    return _page(form=form)


@bp.post("/admin/sso/test")
def admin_sso_test():
    """Read the discovery document and the keys now (no cache), and show what was found."""
    require_post_form()
    config = sso_services.load_config(db(), current_app.config)
    if not config.issuer:
        return _page(test={"ok": False, "detail": _("Enter the issuer URL first.")})
    settings = oidc.ProtocolSettings.from_config(current_app.config)
    try:
        metadata = oidc.discover(config.issuer, settings, use_cache=False)
        keys = oidc.signing_keys(metadata, settings, refresh=True)
    except oidc.OidcError as exc:
        return _page(test={"ok": False, "detail": exc.detail, "reason": exc.reason,
                           "url": oidc.discovery_url(config.issuer)})
    return _page(test={"ok": True, "metadata": metadata, "key_count": len(keys.keys),
                       "url": oidc.discovery_url(config.issuer)})


@bp.post("/admin/sso/mappings")
def admin_sso_mapping_add():
    form = _mapping_form()
    if form.validate_on_submit():
        try:
            sso_services.add_mapping(db(), current_actor(), form.claim_value.data,
                                     form.group_id.data)
        except ServiceError as exc:
            getattr(form, exc.field or "claim_value").errors.append(exc.message)
            return _page(422, mapping_form=form)
        flash(_("Mapping added."), "success")
        return redirect(url_for("accounts.admin_sso") + "#mappings")
    return _page(422, mapping_form=form)


@bp.post("/admin/sso/mappings/<int:mapping_id>/delete")
def admin_sso_mapping_delete(mapping_id: int):
    mapping = get_or_404(SsoGroupMapping, mapping_id)
    require_post_form()
    sso_services.remove_mapping(db(), current_actor(), mapping)
    flash(_("Mapping removed. Nobody leaves the group now; it is no longer kept in step "
            "with the provider."), "success")
    return redirect(url_for("accounts.admin_sso") + "#mappings")
