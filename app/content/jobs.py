"""Content's scheduled jobs (declared in app/jobs/__init__.py). Each is idempotent: a second
run finds nothing left to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.common.fetcher import FetchPolicy
from app.content import feeds, services

if TYPE_CHECKING:
    from app.jobs import JobContext


def publish_scheduled(db: Session, ctx: JobContext) -> dict:
    """Job "content.publish_scheduled": scheduled items whose time has come are published
    (or expire, when their expiry passed before they could be published)."""
    return {"published": services.publish_due(db, ctx.now)}


def expire_items(db: Session, ctx: JobContext) -> dict:
    """Job "content.expire": published items past their expiry time expire."""
    return {"expired": services.expire_due(db, ctx.now)}


def poll_sources(db: Session, ctx: JobContext) -> dict:
    """Job "content.poll_sources": every active RSS/Atom source is polled; new entries land
    in the curation inbox. The feeds are downloaded before the job writes anything, so the
    writers' lock (SQLite) is not held during the network I/O."""
    policy = FetchPolicy.from_config(ctx.app.config)
    summary = feeds.poll_all(ctx.database.new_session(), db, policy=policy, now=ctx.now)
    return summary.as_dict()
