"""Sharing's scheduled jobs (declared in app/jobs/__init__.py): posting scheduled shares,
refreshing connector tokens before they expire, fetching engagement, creating the click
table's monthly partitions ahead (PostgreSQL). Each is idempotent:
a second run finds nothing left to do (or, for engagement, nothing new within the hour)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.sharing import accounts, partitions
from app.sharing.connectors import CONNECTORS, ConnectorError, get_connector
from app.sharing.models import (
    ConnectedAccount,
    EngagementSnapshot,
    Share,
    ShareMethod,
    ShareStatus,
)
from app.sharing.posting import post_share

if TYPE_CHECKING:
    from app.jobs import JobContext

#: tokens expiring within this horizon are refreshed (the job runs every 30 minutes)
REFRESH_AHEAD = timedelta(hours=1)
#: at most this many scheduled shares per run (the next run takes the rest)
POST_BATCH = 200


def hour_bucket(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def post_scheduled_shares(db: Session, ctx: JobContext) -> dict:
    """Job "sharing.post_scheduled": API shares whose time has come are posted (or fail
    with their reason). A posted or failed share is never taken again."""
    due = list(db.scalars(
        select(Share).where(Share.method == ShareMethod.API,
                            Share.status == ShareStatus.SCHEDULED,
                            Share.scheduled_for <= ctx.now)
        .order_by(Share.scheduled_for, Share.id).limit(POST_BATCH)))
    posted = sum(post_share(db, share, ctx.now, ctx.app.config) for share in due)
    return {"posted": posted, "failed": len(due) - posted}


def refresh_tokens(db: Session, ctx: JobContext) -> dict:
    """Job "sharing.refresh_tokens": connected accounts whose access token expires within
    the hour get new tokens from their refresh token (X's last 2 hours)."""
    soon = list(db.scalars(
        select(ConnectedAccount).where(ConnectedAccount.expires_at.is_not(None),
                                       ConnectedAccount.expires_at <= ctx.now + REFRESH_AHEAD,
                                       ConnectedAccount.refresh_token_enc != "",
                                       ConnectedAccount.status == accounts.STATUS_OK)
        .order_by(ConnectedAccount.id)))
    refreshed = failed = 0
    for account in soon:
        connector = get_connector(account.network, ctx.app.config)
        if connector is None:
            continue
        try:
            accounts.refresh(db, account, connector, ctx.now, ctx.app.config)
            refreshed += 1
        except ConnectorError as exc:
            ctx.log.warning("connected account %s: refresh failed: %s", account.id, exc.reason)
            failed += 1
    return {"refreshed": refreshed, "failed": failed}


def fetch_engagement(db: Session, ctx: JobContext) -> dict:
    """Job "sharing.fetch_engagement": one snapshot per posted API share per hour (a second
    run in the same hour adds nothing); X's metrics only for posts younger than 30 days.
    The followers of each account concerned are refreshed at the same time."""
    bucket = hour_bucket(ctx.now)
    already = exists().where(EngagementSnapshot.share_id == Share.id,
                             EngagementSnapshot.taken_at == bucket,
                             EngagementSnapshot.source == "api")
    conditions = [Share.method == ShareMethod.API, Share.status == ShareStatus.POSTED,
                  Share.external_post_id.is_not(None),
                  Share.connected_account_id.is_not(None), ~already]
    windows = [cls.metrics_window for cls in CONNECTORS.values()]
    if windows and None not in windows:
        # never load shares older than the longest window: a programme's whole history
        # of posted shares would otherwise be read every hour to skip almost all of it
        conditions.append(Share.posted_at > ctx.now - max(windows))
    shares = list(db.scalars(select(Share).where(*conditions)
                             .order_by(Share.connected_account_id, Share.id)))
    by_account: dict[int, list[Share]] = defaultdict(list)
    for share in shares:
        by_account[share.connected_account_id].append(share)
    summary = {"snapshots": 0, "skipped_too_old": 0, "errors": 0, "accounts": 0}
    for account_id, account_shares in by_account.items():
        account = db.get(ConnectedAccount, account_id)
        connector = get_connector(account.network, ctx.app.config) if account else None
        if connector is None or account.status != accounts.STATUS_OK:
            continue
        fresh = [s for s in account_shares if connector.metrics_window is None
                 or (s.posted_at is not None and s.posted_at > ctx.now - connector.metrics_window)]
        summary["skipped_too_old"] += len(account_shares) - len(fresh)
        if not fresh:
            continue
        summary["accounts"] += 1
        try:
            _update_followers(db, account, connector, ctx)
        except ConnectorError as exc:
            ctx.log.warning("connected account %s: profile not read: %s", account.id,
                            exc.reason)
        for share in fresh:
            try:
                metrics = accounts.call_with_token(
                    db, account, connector, ctx.now,
                    lambda token, s=share, c=connector: c.fetch_metrics(token,
                                                                       s.external_post_id),
                    ctx.app.config)
            except ConnectorError as exc:
                ctx.log.warning("share %s: metrics not read: %s", share.id, exc.reason)
                summary["errors"] += 1
                if exc.code == "reconnect":
                    break
                continue
            db.add(EngagementSnapshot(share_id=share.id, taken_at=bucket, source="api",
                                      likes=metrics.likes, comments=metrics.comments,
                                      reshares=metrics.reshares,
                                      impressions=metrics.impressions))
            summary["snapshots"] += 1
        db.flush()
    return summary


def _update_followers(db: Session, account: ConnectedAccount, connector, ctx) -> None:
    """Once per hour at most: the account's follower count (later shares' reach)."""
    if account.followers_updated_at is not None and \
            account.followers_updated_at >= hour_bucket(ctx.now):
        return
    profile = accounts.call_with_token(db, account, connector, ctx.now,
                                       connector.fetch_profile, ctx.app.config)
    if profile.followers is not None:
        account.followers = profile.followers
    account.followers_updated_at = ctx.now
    db.flush()


def click_partitions(db: Session, ctx: JobContext) -> dict:
    """Job "sharing.click_partitions": on PostgreSQL with the click table partitioned by
    month, the partitions of this month and the next two exist (created when missing; a
    second run creates nothing). SQLite, or a plain click table: nothing to do."""
    return partitions.ensure_partitions(db, ctx.now)
