"""Single sign-on through an OpenID Connect provider (routes only).

GET /login/sso            → the provider's sign-in page (state, nonce and PKCE verifier wait
                            in the signed session for 10 minutes)
GET /login/sso/callback   → state checked (single use), code exchanged, ID token verified,
                            person provisioned or linked (sso_services.sign_in), new session
"""

from __future__ import annotations

import logging
import secrets
import time

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from app.accounts import bp, sso_services
from app.accounts import sso_protocol as oidc
from app.accounts.views import _start_session
from app.audit.services import record
from app.common.web import current_actor, db, safe_next

log = logging.getLogger("relais.sso")

#: where the pending sign-in waits for the provider's answer
PENDING_KEY = "sso_pending"
#: how long the provider's sign-in page may stay open
PENDING_TTL_SECONDS = 10 * 60


def _redirect_uri() -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for("accounts.sso_callback")


def _protocol_settings() -> oidc.ProtocolSettings:
    return oidc.ProtocolSettings.from_config(current_app.config)


def _refused(message: str, status: int, *, retry: bool = True):
    return render_template("accounts/sso_refused.html", message=message, retry=retry), status


@bp.teardown_app_request
def _forget_sso_config(_exc) -> None:
    # an app context can outlive a request (tests, scripts): never reuse the settings read
    # for one request in the next
    g.pop("_sso_config", None)
    g.pop("_sso_button", None)


@bp.app_context_processor
def _sso_context():
    def sso_button() -> str | None:
        """The provider's name when the sign-in page offers single sign-on, else None."""
        if "_sso_button" not in g:
            config = sso_services.current_config()
            g._sso_button = config.label if config.active else None
        return g._sso_button

    return {"sso_button": sso_button}


@bp.get("/login/sso")
def sso_login():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    config = sso_services.current_config()
    if not config.active:
        flash(_("Single sign-on is not set up. Sign in with your email and password."),
              "warning")
        return redirect(url_for("accounts.login"))
    settings = _protocol_settings()
    try:
        metadata = oidc.discover(config.issuer, settings)
    except oidc.OidcError as exc:
        log.warning("sso: discovery failed: %s", exc)
        return _refused(_("%(provider)s cannot be reached right now. Try again in a "
                          "moment.", provider=config.label), 502)
    pending = oidc.PendingLogin.new(metadata.issuer,
                                    next_url=safe_next(request.args.get("next"), ""))
    session[PENDING_KEY] = pending.as_dict()
    return redirect(oidc.authorization_url(metadata, settings, client_id=config.client_id,
                                           scopes=config.scopes, redirect_uri=_redirect_uri(),
                                           pending=pending))


@bp.get("/login/sso/callback")
def sso_callback():
    pending = oidc.PendingLogin.from_dict(session.pop(PENDING_KEY, None))
    state = request.args.get("state", "")
    if (pending is None or not state or not secrets.compare_digest(pending.state, state)
            or time.time() - pending.started_at > PENDING_TTL_SECONDS):
        return _refused(_("This sign-in attempt is not valid any more: it expired, was "
                          "already used, or did not start here. Please try again."), 400)
    config = sso_services.current_config()
    if not config.active:
        return _refused(_("Single sign-on was turned off. Sign in with your email and "
                          "password."), 400, retry=False)
    actor = current_actor()
    if request.args.get("error"):
        # the person cancelled, or the provider refused them: its words go to the log only
        record(db(), actor, "auth.sso_failed", reason="provider_error",
               error=request.args.get("error", "")[:100])
        flash(_("Signing in with %(provider)s was cancelled.", provider=config.label),
              "warning")
        return redirect(url_for("accounts.login"))
    code = request.args.get("code", "")
    if not code:
        return _refused(_("%(provider)s sent no authorization code. Please try again.",
                          provider=config.label), 400)
    try:
        claims = sso_services.verify_callback(config, _protocol_settings(), pending, code=code,
                                              redirect_uri=_redirect_uri())
    except oidc.OidcError as exc:
        log.warning("sso: sign-in failed: %s", exc)
        record(db(), actor, "auth.sso_failed", reason=exc.reason, detail=exc.detail[:300])
        # 200 on purpose, as on the sign-in page: the audit entry must be committed
        return _refused(_("Signing in with %(provider)s did not work. Please try again; if "
                          "it keeps failing, tell your administrator.",
                          provider=config.label), 200)
    try:
        user = sso_services.sign_in(db(), config, claims, actor)
    except sso_services.SsoRefused as exc:
        # 200 on purpose: the refusal is recorded in the audit log (committed)
        return _refused(exc.message, 200, retry=False)
    if current_user.is_authenticated:
        logout_user()  # someone else was signed in on this browser
    _start_session(user, remember=False)
    flash(_("Welcome, %(name)s!", name=user.name), "success")
    return redirect(safe_next(pending.next, url_for("portal.home")))
