"""Single sign-on identities in a person's data export, and their deletion on erasure."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.export import eraser, exporter
from app.accounts.models import User
from app.accounts.sso_models import SsoIdentity


@exporter
def _sso(db: Session, user: User) -> dict:
    rows = db.scalars(select(SsoIdentity).where(SsoIdentity.user_id == user.id)
                      .order_by(SsoIdentity.id))
    return {"single_sign_on": [
        {"issuer": r.issuer, "subject": r.subject,
         "linked_at": r.created_at.isoformat(),
         "last_login_at": r.last_login_at.isoformat() if r.last_login_at else None}
        for r in rows]}


@eraser
def _erase_sso(db: Session, user: User) -> None:
    # the link to the identity provider is personal data, and without it the erased
    # account can never be signed into again through SSO
    db.execute(delete(SsoIdentity).where(SsoIdentity.user_id == user.id))
