"""The API's pages: your personal access tokens, the admin's service tokens (and every
token, to revoke one in an emergency), and the reference page rendered from the OpenAPI
document. Ordinary pages: session cookie, CSRF tokens, the permission table."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api import bp, tokens
from app.api.core import spec_dict
from app.api.forms import TokenForm
from app.api.models import ApiToken, TokenKind
from app.api.reference import build_reference
from app.common.errors import ServiceError
from app.common.forms import ConfirmForm, require_post_form
from app.common.pagination import paginate
from app.common.web import current_actor, db, render_invalid
from app.db import utcnow


def _me():
    return current_user._get_current_object()


# --- my tokens --------------------------------------------------------------------------------


@bp.route("/settings/api-tokens", methods=["GET", "POST"])
def tokens_page():
    form = TokenForm(scope_names=tokens.scopes_for_role(current_user.role))
    context = dict(form=form, action_form=ConfirmForm(), now=utcnow(),
                   tokens_list=tokens.tokens_of(db(), current_user.id), created=None)
    if form.validate_on_submit():
        try:
            token, secret = tokens.create_token(
                db(), current_actor(), _me(), name=form.name.data, kind=TokenKind.PERSONAL,
                scopes=form.scopes.data, expires_in_days=form.expires_in_days)
        except ServiceError as exc:
            getattr(form, exc.field or "name", form.name).errors.append(exc.message)
            return render_invalid("api/tokens.html", **context)
        # shown once, in this answer only: never in a flash message (the session cookie is
        # only signed, not encrypted) and never again
        context.update(created=(token, secret), form=TokenForm(
            formdata=None, scope_names=tokens.scopes_for_role(current_user.role)),
            tokens_list=tokens.tokens_of(db(), current_user.id))
        return render_template("api/tokens.html", **context)
    if form.is_submitted():
        return render_invalid("api/tokens.html", **context)
    return render_template("api/tokens.html", **context)


@bp.post("/settings/api-tokens/<int:token_id>/revoke")
def token_revoke(token_id: int):
    token = db().get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:  # only your own
        abort(404)
    require_post_form()
    tokens.revoke_token(db(), current_actor(), token)
    flash(_("Token “%(name)s” is revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("api.tokens_page"))


# --- admin: service tokens and every token ------------------------------------------------------


@bp.route("/admin/api-tokens", methods=["GET", "POST"])
def admin_tokens():
    form = TokenForm(scope_names=list(tokens.SCOPES))
    kind = request.args.get("kind", "")
    kind = kind if kind in TokenKind._value2member_map_ else ""
    active = request.args.get("active", "1") == "1"

    def context(**extra):
        page = paginate(db(), tokens.all_tokens_statement(TokenKind(kind) if kind else None,
                                                          active_only=active),
                        request.args.get("page", 1, type=int), current_app.config["PER_PAGE"])
        return {"form": form, "action_form": ConfirmForm(), "page": page, "kind": kind,
                "active": active, "now": utcnow(), "created": None, **extra}

    if form.validate_on_submit():
        try:
            token, secret = tokens.create_token(
                db(), current_actor(), _me(), name=form.name.data, kind=TokenKind.SERVICE,
                scopes=form.scopes.data, expires_in_days=form.expires_in_days)
        except ServiceError as exc:
            getattr(form, exc.field or "name", form.name).errors.append(exc.message)
            return render_invalid("api/admin_tokens.html", **context())
        form = TokenForm(formdata=None, scope_names=list(tokens.SCOPES))
        return render_template("api/admin_tokens.html", **context(created=(token, secret)))
    if form.is_submitted():
        return render_invalid("api/admin_tokens.html", **context())
    return render_template("api/admin_tokens.html", **context())


@bp.post("/admin/api-tokens/<int:token_id>/revoke")
def admin_token_revoke(token_id: int):
    token = db().get(ApiToken, token_id)
    if token is None:
        abort(404)
    require_post_form()
    tokens.revoke_token(db(), current_actor(), token)
    flash(_("Token “%(name)s” of %(owner)s is revoked.", name=token.name,
            owner=token.user.name), "success")
    return redirect(url_for("api.admin_tokens"))


# --- the reference -----------------------------------------------------------------------------


@bp.get("/api/v1/docs")
def reference():
    # the document does not change once the app is built: read it once
    ref = current_app.extensions.get("relais_api_reference")
    if ref is None:
        ref = build_reference(spec_dict(current_app.extensions["relais_api"]))
        current_app.extensions["relais_api_reference"] = ref
    return render_template("api/reference.html", ref=ref)
