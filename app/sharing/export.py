"""Shares and connected accounts in a person's data export; erasure removes the
connected accounts (their tokens) and the words the person posted."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts.export import eraser, exporter
from app.accounts.models import User
from app.content.models import ContentItem
from app.sharing.models import Click, ConnectedAccount, Conversion, Share


def _iso(value):
    return value.isoformat() if value else None


@exporter
def _sharing(db: Session, user: User) -> dict:
    clicks = (select(func.count()).where(Click.share_id == Share.id, Click.is_bot.is_(False),
                                         Click.is_self.is_(False))
              .correlate(Share).scalar_subquery())
    conversions = (select(func.count()).where(Conversion.share_id == Share.id)
                   .correlate(Share).scalar_subquery())
    rows = db.execute(select(Share, ContentItem.title, clicks, conversions)
                      .join(ContentItem, ContentItem.id == Share.item_id)
                      .where(Share.user_id == user.id).order_by(Share.created_at, Share.id))
    accounts = db.scalars(select(ConnectedAccount).where(ConnectedAccount.user_id == user.id))
    return {
        "shares": [{"item": title, "network": s.network, "method": s.method.value,
                    "status": s.status.value, "text": s.text, "reach": s.reach,
                    "created_at": _iso(s.created_at), "posted_at": _iso(s.posted_at),
                    "human_clicks": n_clicks, "conversions": n_conversions}
                   for s, title, n_clicks, n_conversions in rows],
        "connected_accounts": [{"network": a.network, "name": a.display_name,
                                "followers": a.followers, "connected_at": _iso(a.created_at)}
                               for a in accounts],
    }


@eraser
def _erase_sharing(db: Session, user: User) -> None:
    db.execute(delete(ConnectedAccount).where(ConnectedAccount.user_id == user.id))
    # the shares stay (the programme's numbers), without the person's own words
    db.execute(update(Share).where(Share.user_id == user.id).values(text=""))
