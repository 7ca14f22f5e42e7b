"""A person's API tokens in their data export (never the secret: only its hash is kept)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.export import exporter
from app.accounts.models import User
from app.api.models import ApiToken


def _iso(value):
    return value.isoformat() if value else None


@exporter
def _api_tokens(db: Session, user: User) -> dict:
    rows = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    return {"api_tokens": [{"name": t.name, "prefix": t.prefix, "kind": t.kind.value,
                            "scopes": t.scopes, "created_at": _iso(t.created_at),
                            "expires_at": _iso(t.expires_at),
                            "last_used_at": _iso(t.last_used_at), "last_used_ip": t.last_used_ip,
                            "revoked_at": _iso(t.revoked_at)}
                           for t in rows]}
