"""Helpers for the points, badges and levels tests: the stored events the award pipeline
reads (items, shares, clicks, conversions, accepted suggestions), courses, badges."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import Role, User
from app.common.actor import Actor
from app.content import services as content
from app.content.models import ContentItem, ContentStatus
from app.gamification import badges
from app.gamification.models import Badge, BadgeCriterion, LedgerEntry, Period, PeriodTotal
from app.sharing.models import Click, Conversion, Share, ShareMethod, ShareStatus
from app.training.models import Course, CourseStatus
from tests.factories import UserFactory

#: a Wednesday, mid-month, mid-quarter
T = datetime(2026, 5, 13, 10, 0, tzinfo=UTC)
_n = itertools.count(1)


def item(db, *, featured: bool = False, title: str | None = None) -> ContentItem:
    n = next(_n)
    row = ContentItem(url=f"https://www.acme.example/g/{n}", slug=f"g-{n}",
                      title=title or f"Item {n}", status=ContentStatus.PUBLISHED,
                      published_at=T - timedelta(days=30), featured=featured)
    db.add(row)
    db.flush()
    return row


def share(db, user: User, *, on: ContentItem | None = None, network: str = "linkedin",
          at: datetime = T, reach: int = 100, status: ShareStatus = ShareStatus.OPENED,
          **fields) -> Share:
    n = next(_n)
    row = Share(code=f"g{n:09d}", user_id=user.id, item_id=(on or item(db)).id,
                network=network, method=ShareMethod.INTENT, status=status, text=f"text {n}",
                reach=reach, created_at=at, **fields)
    db.add(row)
    db.flush()
    return row


def click(db, on: Share, visitor: str, at: datetime | None = None, *, bot: bool = False,
          self_: bool = False) -> Click:
    row = Click(share_id=on.id, at=at or on.created_at + timedelta(minutes=5),
                visitor_hash=visitor, is_bot=bot, is_self=self_)
    db.add(row)
    db.flush()
    return row


def conversion(db, on: Share, at: datetime | None = None, value=None) -> Conversion:
    row = Conversion(event_id=f"evt-{next(_n)}", share_id=on.id, type="lead", value=value,
                     currency="EUR" if value is not None else "",
                     occurred_at=at or on.created_at + timedelta(hours=1))
    db.add(row)
    db.flush()
    return row


def accepted_suggestion(db, suggester: User, curator: User | None = None) -> ContentItem:
    """A link suggested by ``suggester`` and approved by a curator, through the services."""
    curator = curator or UserFactory(role=Role.CURATOR)
    n = next(_n)
    row = content.suggest(db, Actor(user_id=suggester.id), suggester,
                          url=f"https://www.acme.example/suggested/{n}", title=f"Tip {n}",
                          comment="Customers ask for this.")
    content.approve(db, Actor(user_id=curator.id), curator, row)
    return row


def course(db, *, slug: str | None = None, title: str = "Social-media policy") -> Course:
    row = Course(slug=slug, title=title, status=CourseStatus.PUBLISHED, language="en")
    db.add(row)
    db.flush()
    return row


def badge(db, criterion: BadgeCriterion, threshold: int = 1, *, course_id=None,
          emoji: str = "🏅", name: str | None = None) -> Badge:
    name = name or f"{criterion.value} {threshold} {next(_n)}"
    return badges.create_badge(db, Actor(user_id=None), badges.BadgeInput(
        emoji=emoji, name_en=name, name_fr=f"{name} (fr)", description_en="",
        description_fr="", criterion=criterion, threshold=threshold, course_id=course_id))


def ledger(db, user: User | None = None) -> list[LedgerEntry]:
    stmt = select(LedgerEntry).order_by(LedgerEntry.id)
    if user is not None:
        stmt = stmt.where(LedgerEntry.user_id == user.id)
    return list(db.scalars(stmt))


def totals(db, user: User, period: Period = Period.ALL) -> list[PeriodTotal]:
    return list(db.scalars(select(PeriodTotal).where(PeriodTotal.user_id == user.id,
                                                     PeriodTotal.period == period)
                           .order_by(PeriodTotal.period_start)))


def all_time(db, user: User) -> PeriodTotal | None:
    rows = totals(db, user)
    return rows[0] if rows else None
