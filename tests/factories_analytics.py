"""Builders of raw events for the analytics tests: items, shares, clicks, conversions,
engagement snapshots and ledger entries, written directly through the models (the tally
reads the tables, whatever wrote them)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert

from app.accounts.models import Group, Topic, User, user_groups
from app.content.models import ContentItem, ContentStatus
from app.gamification.models import Action, LedgerEntry
from app.sharing.models import (
    Click,
    Conversion,
    EngagementSnapshot,
    Share,
    ShareMethod,
    ShareStatus,
)
from tests.factories import GroupFactory, TopicFactory, UserFactory

#: a Monday, noon UTC: the tests' "now" unless they say otherwise
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
_n = itertools.count(1)


def person(db, *, groups: list[Group] = (), **fields) -> User:
    return UserFactory(groups=list(groups), **fields)


def group(db, name: str | None = None) -> Group:
    return GroupFactory(**({"name": name} if name else {}))


def topic(db, name: str | None = None) -> Topic:
    return TopicFactory(**({"name": name} if name else {}))


def item(db, *, topics: list[Topic] = (), title: str | None = None) -> ContentItem:
    n = next(_n)
    row = ContentItem(url=f"https://www.acme.example/a/{n}", slug=f"analytics-{n}",
                      title=title or f"Item {n}", status=ContentStatus.PUBLISHED,
                      published_at=T0 - 30 * DAY, topics=list(topics))
    db.add(row)
    db.flush()
    return row


def share(db, user: User, content: ContentItem, *, at: datetime = T0, network="linkedin",
          reach: int = 100, status: ShareStatus = ShareStatus.OPENED,
          method: ShareMethod = ShareMethod.INTENT, posted_at: datetime | None = None,
          **fields) -> Share:
    n = next(_n)
    row = Share(code=f"an{n:08d}", user_id=user.id, item_id=content.id, network=network,
                method=method, status=status, text=f"text {n}", reach=reach, created_at=at,
                posted_at=posted_at, **fields)
    db.add(row)
    db.flush()
    return row


def click(db, target: Share, at: datetime, visitor: str = "v1", *, bot: bool = False,
          self_: bool = False, id: int | None = None) -> Click:  # noqa: A002
    row = Click(share_id=target.id, at=at, visitor_hash=visitor, is_bot=bot, is_self=self_)
    if id is not None:
        row.id = id
    db.add(row)
    db.flush()
    return row


def conversion(db, target: Share, at: datetime, value: str | None = "100.00") -> Conversion:
    row = Conversion(event_id=f"evt-{next(_n)}", share_id=target.id, type="lead",
                     value=Decimal(value) if value is not None else None,
                     currency="EUR" if value is not None else "", occurred_at=at)
    db.add(row)
    db.flush()
    return row


def snapshot(db, target: Share, at: datetime, likes: int = 0, comments: int = 0,
             reshares: int = 0, source: str = "api") -> EngagementSnapshot:
    row = EngagementSnapshot(share_id=target.id, taken_at=at, source=source, likes=likes,
                             comments=comments, reshares=reshares, impressions=0)
    db.add(row)
    db.flush()
    return row


def points(db, user: User, at: datetime, amount: int, action: Action = Action.SHARE
           ) -> LedgerEntry:
    n = next(_n)
    row = LedgerEntry(user_id=user.id, action=action, points=amount, source_type="",
                      source_id=None, idempotency_key=f"test:{n}", occurred_at=at)
    db.add(row)
    db.flush()
    return row


def join(db, user: User, target: Group) -> None:
    db.execute(insert(user_groups).values(user_id=user.id, group_id=target.id))
    db.flush()
