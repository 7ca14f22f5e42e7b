"""Accounts' scheduled jobs (declared in app/jobs/__init__.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, or_
from sqlalchemy.orm import Session

from app.accounts import sessions
from app.accounts.models import AccountToken, ImportBatch, LoginThrottle

if TYPE_CHECKING:
    from app.jobs import JobContext

#: invitation/reset tokens are kept this long after they stopped working (expired, used or
#: revoked), so the invitations page can still say "expired" or "revoked"
TOKEN_RETENTION = timedelta(days=30)
#: failed-sign-in counts of an address are forgotten after a day without a failure
LOGIN_THROTTLE_RETENTION = timedelta(days=1)
#: finished (done/cancelled) CSV imports: their rows and errors hold personal data
FINISHED_IMPORT_RETENTION = timedelta(days=30)
#: uploads that were previewed and never confirmed nor cancelled
PREVIEW_IMPORT_RETENTION = timedelta(days=7)


def prune_dead_tokens(db: Session, now: datetime) -> int:
    """Delete tokens that expired, were used or were revoked before the retention period."""
    cutoff = now - TOKEN_RETENTION
    result = db.execute(
        delete(AccountToken)
        .where(or_(AccountToken.expires_at < cutoff, AccountToken.used_at < cutoff,
                   AccountToken.revoked_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def prune_import_batches(db: Session, now: datetime) -> tuple[int, int]:
    """Delete finished imports past retention, and abandoned previews; (finished, previews)."""
    finished = db.execute(
        delete(ImportBatch)
        .where(ImportBatch.status.in_(("done", "cancelled")),
               ImportBatch.finished_at < now - FINISHED_IMPORT_RETENTION)
        .execution_options(synchronize_session=False)
    ).rowcount
    previews = db.execute(
        delete(ImportBatch)
        .where(and_(ImportBatch.status == "preview",
                    ImportBatch.created_at < now - PREVIEW_IMPORT_RETENTION))
        .execution_options(synchronize_session=False)
    ).rowcount
    return finished, previews


def prune_account_data(db: Session, ctx: JobContext) -> dict:
    """Job "accounts.prune": retention of tokens, CSV import batches and ended sign-in
    sessions. Idempotent."""
    tokens = prune_dead_tokens(db, ctx.now)
    finished, previews = prune_import_batches(db, ctx.now)
    ended_sessions = sessions.prune(db, ctx.now)
    throttles = prune_login_throttles(db, ctx.now)
    return {"tokens_deleted": tokens, "imports_deleted": finished,
            "previews_deleted": previews, "sessions_deleted": ended_sessions,
            "login_throttles_deleted": throttles}


def prune_login_throttles(db: Session, now: datetime) -> int:
    """Failed-sign-in counts and locks untouched for a day: their lock is over, and the
    addresses they hold are personal data."""
    cutoff = now - LOGIN_THROTTLE_RETENTION
    result = db.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < cutoff,
                                                    or_(LoginThrottle.locked_until.is_(None),
                                                        LoginThrottle.locked_until < now)))
    return result.rowcount or 0
