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


# --- the dashboards' scene (tests/test_analytics_dashboard*.py) ------------------------------


class Scene:
    """People, groups, topics, items and events of the dashboard tests (numbers worked out
    by hand in tests/test_analytics_dashboard.py)."""


def dashboard_scene(db) -> Scene:
    """Mia manages Ana and Ben; Cid reports to Ben (Mia's indirect report); Dan and Eve
    are outside her team. Sales = Ana, Ben, Eve; Tech = Cid, Dan. Topics AI and Cloud.

    On T0's day: Ana shares item 1 (AI) three times on LinkedIn (reach 1,000 each): 4
    unique clicks and one 100.00 conversion; Ben shares item 2 (Cloud) once on X (reach
    500): 3 human clicks of which 2 unique, and a bot click; Cid shares item 3 (AI and
    Cloud) three times on LinkedIn (reach 200): 1 unique click, two 50.00 conversions;
    Dan shares item 1 once on Facebook (reach 300): 5 unique clicks and a self click.
    Points: Ana 10, Dan 5. Eve never shares.
    """
    from app.accounts.models import Role
    from app.analytics import tally

    s = Scene()
    s.sales, s.tech = group(db, "Sales"), group(db, "Tech")
    s.ai, s.cloud = topic(db, "AI"), topic(db, "Cloud")
    s.mia = person(db, name="Mia Manager", role=Role.MANAGER)
    s.ana = person(db, name="Ana Alpha", groups=[s.sales], manager_id=s.mia.id)
    s.ben = person(db, name="Ben Beta", groups=[s.sales], manager_id=s.mia.id)
    s.cid = person(db, name="Cid Gamma", groups=[s.tech], manager_id=s.ben.id)
    s.dan = person(db, name="Dan Delta", groups=[s.tech])
    s.eve = person(db, name="Eve Epsilon", groups=[s.sales])
    s.item1 = item(db, topics=[s.ai], title="Item one")
    s.item2 = item(db, topics=[s.cloud], title="Item two")
    s.item3 = item(db, topics=[s.ai, s.cloud], title="Item three")
    a = [share(db, s.ana, s.item1, reach=1000) for _ in range(3)]
    for n, visitor in enumerate(("v1", "v2", "v3")):
        click(db, a[0], T0 + (n + 1) * HOUR, visitor)
    click(db, a[1], T0 + HOUR, "v4")
    conversion(db, a[0], T0 + 2 * HOUR, "100.00")
    b = share(db, s.ben, s.item2, network="x", reach=500)
    click(db, b, T0 + HOUR, "v1")
    click(db, b, T0 + 2 * HOUR, "v1")
    click(db, b, T0 + 3 * HOUR, "v2")
    click(db, b, T0 + 3 * HOUR, "crawler", bot=True)
    c = [share(db, s.cid, s.item3, reach=200) for _ in range(3)]
    click(db, c[0], T0 + HOUR, "v1")
    conversion(db, c[1], T0 + HOUR, "50.00")
    conversion(db, c[1], T0 + 2 * HOUR, "50.00")
    d = share(db, s.dan, s.item1, network="facebook", reach=300)
    for n in range(5):
        click(db, d, T0 + HOUR, f"d{n}")
    click(db, d, T0 + HOUR, "dan-himself", self_=True)
    points(db, s.ana, T0, 10)
    points(db, s.dan, T0, 5)
    tally.tally(db, T0 + DAY)
    return s


def add_sharers(db, scene: Scene, count: int) -> list[User]:
    """``count`` more people in Mia's team, alternately in Sales and Tech, who share once
    and get one click (to compare statement counts at different sizes); tallied."""
    from app.analytics import tally

    added = []
    for n in range(count):
        someone = person(db, name=f"Extra {n:03d}",
                         groups=[scene.sales if n % 2 else scene.tech], manager_id=scene.mia.id)
        click(db, share(db, someone, scene.item2 if n % 2 else scene.item3, reach=10),
              T0 + HOUR, f"x{n}")
        added.append(someone)
    tally.tally(db, T0 + 2 * DAY)
    return added
