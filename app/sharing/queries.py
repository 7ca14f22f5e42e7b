"""Read-only selects of the sharing package: the employee's "My shares".

Counted ("human") clicks are clicks that are neither bot nor self clicks (app.sharing.models).

Unique clicks, precisely: a counted click ``c`` is unique when no other counted click of the
same ``visitor_hash`` on the same share happened in the 24 hours before it, i.e. there is no
counted ``e`` with ``e.share_id = c.share_id``, ``e.visitor_hash = c.visitor_hash``,
``c.at - 24 h < e.at`` and ``e`` before ``c`` (``e.at < c.at``, or the same instant and a
smaller id). The window slides: a visitor clicking every 12 hours counts once; the same
visitor 25 hours after their last click counts again. It is computed in SQL with a NOT EXISTS
on the clicks table (served by the index ``ix_clicks_share_id_visitor_at``) and
``day_before()``, a small construct that compiles to ``at - INTERVAL '24 hours'`` on
PostgreSQL and to ``strftime(...)`` on SQLite (millisecond precision there, as SQLite stores
datetimes as text), so no click rows travel to Python, even for a viral link.

"My shares" costs two statements whatever the page size and the number of shares: one for the
totals (all the person's shares) and one for the page, whose per-share numbers are correlated
scalar subqueries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from app.common.pagination import Page
from app.content.models import ContentItem
from app.db import UTCDateTime
from app.sharing.models import Click, Conversion, Share, ShareStatus

# --- SQL helpers ------------------------------------------------------------------------------


class day_before(FunctionElement):  # noqa: N801 (reads like a SQL function)
    """``expr - 24 hours`` in SQL, on SQLite and PostgreSQL."""

    type = UTCDateTime()
    name = "day_before"
    inherit_cache = True


@compiles(day_before)
def _day_before(element, compiler, **kw):
    (expr,) = element.clauses.clauses
    return f"({compiler.process(expr, **kw)} - INTERVAL '24 hours')"


@compiles(day_before, "sqlite")
def _day_before_sqlite(element, compiler, **kw):
    # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" (text); strftime keeps milliseconds: pad
    # to six digits so that both sides compare as text in the same format
    (expr,) = element.clauses.clauses
    return f"strftime('%Y-%m-%d %H:%M:%f000', {compiler.process(expr, **kw)}, '-24 hours')"


def counted(click=Click):
    """A human click: not a bot, not the sharer's own."""
    return and_(click.is_bot.is_(False), click.is_self.is_(False))


def unique_click(click=Click):
    """``click`` is the first counted click of its visitor on its share in 24 h (see above)."""
    earlier = aliased(Click)
    return ~exists().where(
        earlier.share_id == click.share_id,
        earlier.visitor_hash == click.visitor_hash,
        counted(earlier),
        earlier.at > day_before(click.at),
        or_(earlier.at < click.at, and_(earlier.at == click.at, earlier.id < click.id)))


# --- My shares --------------------------------------------------------------------------------


@dataclass
class MyShare:
    share: Share
    item_title: str
    item_url: str
    human_clicks: int
    unique_clicks: int
    conversions: int
    conversion_value: Decimal


@dataclass
class MyTotals:
    #: every share, whatever its status (what the pages count)
    shares: int
    #: opened or posted shares: a scheduled or failed share has reached nobody (yet)
    active_shares: int
    #: sum of the reach snapshots of the active shares
    reach: int
    human_clicks: int
    unique_clicks: int
    conversions: int
    conversion_value: Decimal


REACHING = (ShareStatus.OPENED, ShareStatus.POSTED)


def _totals(db: Session, user_id: int) -> MyTotals:
    mine = Share.user_id == user_id
    reaching = and_(mine, Share.status.in_(REACHING))
    clicks = select(func.count()).select_from(Click).join(Share, Share.id == Click.share_id)
    row = db.execute(select(
        select(func.count()).select_from(Share).where(mine).scalar_subquery(),
        select(func.count()).select_from(Share).where(reaching).scalar_subquery(),
        select(func.coalesce(func.sum(Share.reach), 0)).where(reaching).scalar_subquery(),
        clicks.where(mine, counted()).scalar_subquery(),
        clicks.where(mine, counted(), unique_click()).scalar_subquery(),
        select(func.count(Conversion.id)).join(Share, Share.id == Conversion.share_id)
        .where(mine).scalar_subquery(),
        select(func.coalesce(func.sum(Conversion.value), 0))
        .join(Share, Share.id == Conversion.share_id).where(mine).scalar_subquery(),
    )).one()
    return MyTotals(shares=row[0] or 0, active_shares=row[1] or 0, reach=int(row[2] or 0),
                    human_clicks=row[3] or 0, unique_clicks=row[4] or 0,
                    conversions=row[5] or 0, conversion_value=Decimal(row[6] or 0))


def my_shares(db: Session, user_id: int, page: int, per_page: int
              ) -> tuple[Page, MyTotals]:
    """The person's shares, newest first (a page of ``MyShare``), and their totals."""
    totals = _totals(db, user_id)
    page = max(1, page)
    per_share_clicks = select(func.count()).select_from(Click).where(
        Click.share_id == Share.id, counted())
    stmt = (select(
        Share, ContentItem.title, ContentItem.url,
        per_share_clicks.scalar_subquery().label("human"),
        per_share_clicks.where(unique_click()).scalar_subquery().label("unique"),
        select(func.count(Conversion.id)).where(Conversion.share_id == Share.id)
        .scalar_subquery().label("conversions"),
        select(func.coalesce(func.sum(Conversion.value), 0))
        .where(Conversion.share_id == Share.id).scalar_subquery().label("value"))
        .join(ContentItem, ContentItem.id == Share.item_id)
        .where(Share.user_id == user_id)
        .order_by(Share.created_at.desc(), Share.id.desc())
        .limit(per_page).offset((page - 1) * per_page))
    items = [MyShare(share=row[0], item_title=row.title, item_url=row.url,
                     human_clicks=row.human or 0, unique_clicks=row.unique or 0,
                     conversions=row.conversions or 0, conversion_value=Decimal(row.value or 0))
             for row in db.execute(stmt)]
    return Page(items=items, page=page, per_page=per_page, total=totals.shares), totals
