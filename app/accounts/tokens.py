"""Single-use, expiring account tokens (invitations, password resets)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import AccountToken, TokenPurpose, User
from app.db import utcnow


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(db: Session, user: User, purpose: TokenPurpose, ttl: timedelta,
                created_by_id: int | None = None) -> str:
    """Revoke the user's earlier tokens of this purpose and return a new one (256 bits)."""
    now = utcnow()
    db.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
               AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_digest(token),
                        created_at=now, expires_at=now + ttl, created_by_id=created_by_id))
    db.flush()
    return token


def find_usable_token(db: Session, token: str, purpose: TokenPurpose) -> AccountToken | None:
    if not token or len(token) > 200:
        return None
    row = db.scalar(select(AccountToken).where(AccountToken.token_hash == _digest(token),
                                               AccountToken.purpose == purpose))
    if row is None or not row.is_usable(utcnow()):
        return None
    return row


def consume(db: Session, row: AccountToken) -> None:
    row.used_at = utcnow()
    db.flush()


def revoke_open_tokens(db: Session, user_id: int, purpose: TokenPurpose | None = None) -> int:
    stmt = (update(AccountToken)
            .where(AccountToken.user_id == user_id, AccountToken.used_at.is_(None),
                   AccountToken.revoked_at.is_(None))
            .values(revoked_at=utcnow()))
    if purpose is not None:
        stmt = stmt.where(AccountToken.purpose == purpose)
    return db.execute(stmt).rowcount
