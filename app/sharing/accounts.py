"""Connected accounts: storing a connection (tokens encrypted), disconnecting, and handing
out a usable access token (decrypted, refreshed when it is about to expire).

Services: they flush, never commit (the view or the job runner commits).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.sharing import crypto
from app.sharing.connectors import Connector, ConnectorError, Profile, TokenSet
from app.sharing.models import ConnectedAccount, Share, ShareMethod, ShareStatus

log = logging.getLogger("relais.connectors")

#: a token expiring within this margin is refreshed before use
EXPIRY_MARGIN = timedelta(minutes=2)
STATUS_OK = "ok"


def _store_tokens(account: ConnectedAccount, tokens: TokenSet,
                  config: Mapping[str, Any] | None) -> None:
    account.access_token_enc = crypto.encrypt(tokens.access_token, config)
    account.refresh_token_enc = crypto.encrypt(tokens.refresh_token, config)
    account.expires_at = tokens.expires_at
    if tokens.scope:
        account.scopes = tokens.scope[:500]


def save_connection(db: Session, actor: Actor, user: User, *, network: str,
                    tokens: TokenSet, profile: Profile, now: datetime,
                    config: Mapping[str, Any] | None = None) -> ConnectedAccount:
    """Store (or renew) the person's connection to ``network``."""
    taken = db.scalar(select(ConnectedAccount.id).where(
        ConnectedAccount.network == network, ConnectedAccount.external_id == profile.external_id,
        ConnectedAccount.user_id != user.id))
    if taken is not None:
        raise ServiceError(_("This account is already connected by someone else."))
    account = db.scalar(select(ConnectedAccount).where(
        ConnectedAccount.user_id == user.id, ConnectedAccount.network == network))
    if account is None:
        account = ConnectedAccount(user_id=user.id, network=network, created_at=now)
        db.add(account)
    account.external_id = profile.external_id
    account.display_name = profile.display_name
    _store_tokens(account, tokens, config)
    if profile.followers is not None:
        account.followers = profile.followers
        account.followers_updated_at = now
    account.status = STATUS_OK
    db.flush()
    record(db, actor, "connected_account.connected", target=account, network=network)
    return account


def disconnect(db: Session, actor: Actor, user: User, network: str) -> bool:
    """Forget the person's connection; their shares still waiting to be posted through it
    fail (nothing is posted after a disconnection). False when there was none."""
    account = db.scalar(select(ConnectedAccount).where(
        ConnectedAccount.user_id == user.id, ConnectedAccount.network == network))
    if account is None:
        return False
    pending = db.scalars(select(Share).where(
        Share.connected_account_id == account.id, Share.method == ShareMethod.API,
        Share.status == ShareStatus.SCHEDULED))
    for share in pending:
        share.status = ShareStatus.FAILED
        share.failure_reason = _("The account was disconnected before the post time.")
    record(db, actor, "connected_account.disconnected", target=account, network=network)
    db.delete(account)
    db.flush()
    return True


def refresh(db: Session, account: ConnectedAccount, connector: Connector, now: datetime,
            config: Mapping[str, Any] | None = None) -> str:
    """New tokens from the refresh token; the account's status says when it failed."""
    try:
        refresh_token = crypto.decrypt(account.refresh_token_enc, config)
    except crypto.TokenDecryptError as exc:
        account.status = "reconnect: the stored token cannot be read"
        db.flush()
        raise ConnectorError(_("Your %(network)s connection must be renewed: connect it "
                               "again.", network=connector.label), code="reconnect") from exc
    try:
        tokens = connector.refresh(refresh_token)
    except ConnectorError as exc:
        account.status = f"refresh failed: {exc.reason}"[:200]
        db.flush()
        raise
    _store_tokens(account, tokens, config)
    account.status = STATUS_OK
    db.flush()
    log.info("refreshed the %s token of connected account %s", account.network, account.id)
    return tokens.access_token


def access_token(db: Session, account: ConnectedAccount, connector: Connector, now: datetime,
                 config: Mapping[str, Any] | None = None) -> str:
    """A usable access token: decrypted, refreshed first when it expires soon."""
    if account.expires_at is not None and account.expires_at <= now + EXPIRY_MARGIN:
        if not account.refresh_token_enc:
            account.status = "expired"
            db.flush()
            raise ConnectorError(_("Your %(network)s connection expired: connect it again.",
                                   network=connector.label), code="reconnect")
        return refresh(db, account, connector, now, config)
    try:
        return crypto.decrypt(account.access_token_enc, config)
    except crypto.TokenDecryptError as exc:
        account.status = "reconnect: the stored token cannot be read"
        db.flush()
        raise ConnectorError(_("Your %(network)s connection must be renewed: connect it "
                               "again.", network=connector.label), code="reconnect") from exc


def call_with_token(db: Session, account: ConnectedAccount, connector: Connector,
                    now: datetime, call, config: Mapping[str, Any] | None = None):
    """``call(access_token)``; when the provider rejects the token (revoked early, clock
    skew), it is refreshed once and the call made again."""
    token = access_token(db, account, connector, now, config)
    try:
        return call(token)
    except ConnectorError as exc:
        if exc.code != "unauthorized" or not account.refresh_token_enc:
            raise
    return call(refresh(db, account, connector, now, config))
