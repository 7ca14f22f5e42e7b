"""Posting a share through the employee's connected account (now, or by the job when its
time comes). ``post_share`` never raises: the share ends up posted (with the provider's id)
or failed (with the reason the employee reads)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.common.errors import ServiceError
from app.common.timeutil import local_to_utc
from app.sharing import accounts
from app.sharing.connectors import ConnectorError, get_connector
from app.sharing.models import ConnectedAccount, Share, ShareStatus
from app.sharing.services import may_share

log = logging.getLogger("relais.connectors")

#: how far ahead a post may be scheduled
MAX_SCHEDULE_AHEAD = timedelta(days=90)


def _config(config: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if config is not None:
        return config
    from flask import current_app

    return current_app.config


def tracked_link(code: str, config: Mapping[str, Any] | None = None) -> str:
    """The share's public short link: BASE_URL/r/<code>."""
    return _config(config)["BASE_URL"].rstrip("/") + "/r/" + code


def post_time(*, later: bool, local: datetime | None, timezone: str | None,
              now: datetime) -> datetime:
    """When an API share is to be posted: ``now``, or the person's local ``local`` time
    (in the future, at most MAX_SCHEDULE_AHEAD away). ``ServiceError`` otherwise."""
    if not later:
        return now
    when = local_to_utc(local, timezone)
    if when is None or when <= now:
        raise ServiceError(_("Choose a time in the future to schedule the post."),
                           field="scheduled_at")
    if when > now + MAX_SCHEDULE_AHEAD:
        raise ServiceError(_("A post can be scheduled at most 90 days ahead."),
                           field="scheduled_at")
    return when


def post_share(db: Session, share: Share, now: datetime,
               config: Mapping[str, Any] | None = None) -> bool:
    """Post ``share`` through its connected account; True when it is posted."""
    config = _config(config)
    try:
        external_id = _post(db, share, now, config)
    except ConnectorError as exc:
        return _fail(db, share, exc.reason)
    except Exception:  # a bug or an unexpected answer: the share fails, the caller goes on
        log.exception("posting share %s failed unexpectedly", share.id)
        return _fail(db, share, _("An unexpected error occurred while posting."))
    share.status = ShareStatus.POSTED
    share.external_post_id = external_id[:200]
    share.posted_at = now
    share.failure_reason = ""
    db.flush()
    log.info("share %s posted on %s as %s", share.id, share.network, external_id)
    return True


def _post(db: Session, share: Share, now: datetime, config: Mapping[str, Any]) -> str:
    account = (db.get(ConnectedAccount, share.connected_account_id)
               if share.connected_account_id else None)
    if account is None or account.user_id != share.user_id or account.network != share.network:
        raise ConnectorError(_("The connected account is no longer there."))
    connector = get_connector(share.network, config)
    if connector is None:
        raise ConnectorError(_("Posting to this network is not available."))
    decision = may_share(db, share.user, share.item, now)
    if not decision.allowed:
        raise ConnectorError(decision.reason)
    link = tracked_link(share.code, config)
    return accounts.call_with_token(
        db, account, connector, now,
        lambda token: connector.post(token, author_id=account.external_id, text=share.text,
                                     link=link, title=share.item.title),
        config)


def _fail(db: Session, share: Share, reason: str) -> bool:
    share.status = ShareStatus.FAILED
    share.failure_reason = reason[:1000]
    db.flush()
    log.warning("share %s on %s failed: %s", share.id, share.network, reason)
    return False
