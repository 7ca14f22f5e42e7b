"""Connecting social accounts through OAuth2 and posting through them (routes only).

GET  /connect/<network>             → the provider's consent page (state, and PKCE for X,
                                      kept in the session)
GET  /connect/<network>/callback    → state checked, code exchanged, profile read, account
                                      stored with its tokens encrypted
POST /connect/<network>/disconnect  → the connection is forgotten
POST /share/<item_id>/api           → a share posted now, or scheduled, through the account
"""

from __future__ import annotations

import secrets
import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, RadioField, TextAreaField
from wtforms.validators import Optional

from app.common.errors import ServiceError
from app.common.forms import require_post_form
from app.common.web import current_actor, db, get_or_404, safe_next
from app.content.models import ContentItem
from app.db import utcnow
from app.sharing import accounts, bp, services
from app.sharing.connectors import ConnectorError, configured_connectors, get_connector
from app.sharing.models import ShareMethod, ShareStatus
from app.sharing.posting import post_share, post_time

#: where the pending authorization waits for the provider's answer
PENDING_KEY = "oauth_connect"
#: how long a consent page may stay open
PENDING_TTL_SECONDS = 15 * 60


class ApiShareForm(FlaskForm):
    network = HiddenField()
    text = TextAreaField()
    when = RadioField(choices=["now", "later"], default="now")
    scheduled_at = DateTimeLocalField(format="%Y-%m-%dT%H:%M", validators=[Optional()])
    next = HiddenField()


def _connector_or_404(network: str):
    connector = get_connector(network)
    if connector is None:
        abort(404)
    return connector


def _redirect_uri(network: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for("sharing.connect_callback",
                                                                network=network)


def _back_to_accounts():
    return redirect(url_for("accounts.social_accounts"))


@bp.app_context_processor
def _connected_accounts_context():
    def connector_cards():
        """(connector, connected account or None) for each configured connector."""
        if not current_user.is_authenticated:
            return []
        mine = services.connected_accounts(db(), current_user)
        return [(c, mine.get(c.name)) for c in configured_connectors()]

    return {"connector_cards": connector_cards}


@bp.get("/connect/<network>")
def connect(network: str):
    connector = _connector_or_404(network)
    state = secrets.token_urlsafe(32)
    verifier = connector.new_code_verifier() if connector.uses_pkce else None
    session[PENDING_KEY] = {"network": network, "state": state, "verifier": verifier,
                            "at": int(time.time())}
    return redirect(connector.authorization_url(redirect_uri=_redirect_uri(network),
                                                state=state, code_verifier=verifier))


def _refused(message: str, status: int = 400):
    return render_template("sharing/connect_failed.html", message=message), status


@bp.get("/connect/<network>/callback")
def connect_callback(network: str):
    connector = _connector_or_404(network)
    pending = session.pop(PENDING_KEY, None)
    state = request.args.get("state", "")
    if (not isinstance(pending, dict) or pending.get("network") != network or not state
            or not secrets.compare_digest(str(pending.get("state", "")), state)
            or time.time() - int(pending.get("at", 0)) > PENDING_TTL_SECONDS):
        return _refused(_("This connection attempt is not valid any more (it expired or did "
                          "not start here). Please try again."))
    if request.args.get("error"):
        flash(_("The connection to %(network)s was cancelled.", network=connector.label),
              "warning")
        return _back_to_accounts()
    code = request.args.get("code", "")
    if not code:
        return _refused(_("%(network)s sent no authorization code.", network=connector.label))
    try:
        tokens = connector.exchange_code(code, redirect_uri=_redirect_uri(network),
                                         code_verifier=pending.get("verifier"))
        profile = connector.fetch_profile(tokens.access_token)
        accounts.save_connection(db(), current_actor(), current_user, network=network,
                                 tokens=tokens, profile=profile, now=utcnow())
    except (ConnectorError, ServiceError) as exc:
        reason = exc.reason if isinstance(exc, ConnectorError) else exc.message
        return _refused(_("The connection to %(network)s failed: %(reason)s",
                          network=connector.label, reason=reason), 502
                        if isinstance(exc, ConnectorError) else 409)
    flash(_("Your %(network)s account is connected.", network=connector.label), "success")
    return _back_to_accounts()


@bp.post("/connect/<network>/disconnect")
def disconnect(network: str):
    connector = _connector_or_404(network)
    require_post_form()
    if not accounts.disconnect(db(), current_actor(), current_user, network):
        abort(404)
    flash(_("Your %(network)s account is disconnected.", network=connector.label), "success")
    return _back_to_accounts()


@bp.post("/share/<int:item_id>/api")
def share_api(item_id: int):
    item = get_or_404(ContentItem, item_id)
    form = ApiShareForm()
    if not form.validate_on_submit():
        abort(400)
    back = safe_next(form.next.data, url_for("portal.home"))
    network = form.network.data or ""
    connector = get_connector(network)
    account = services.connected_accounts(db(), current_user).get(network)
    if connector is None or account is None:
        flash(_("Connect your account on this network first."), "danger")
        return redirect(back)
    now = utcnow()
    try:
        scheduled_for = post_time(later=form.when.data == "later",
                                  local=form.scheduled_at.data,
                                  timezone=current_user.timezone, now=now)
        share = services.create_share(db(), current_actor(), current_user, item,
                                      network=network, text=form.text.data,
                                      method=ShareMethod.API, status=ShareStatus.SCHEDULED,
                                      connected_account_id=account.id,
                                      scheduled_for=scheduled_for)
    except ServiceError as exc:
        flash(exc.message, "danger")
        return redirect(back)
    if form.when.data == "later":
        flash(_("Your post is scheduled."), "success")
    elif post_share(db(), share, now):
        flash(_("Posted on %(network)s.", network=connector.label), "success")
    else:
        flash(_("The post failed: %(reason)s", reason=share.failure_reason), "danger")
    return redirect(back)
