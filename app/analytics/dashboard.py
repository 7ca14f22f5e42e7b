"""The dashboards' read-only queries: what the programme achieved over a period, for the
whole company, one group, a manager's team or one person (docs/analytics.md "Dashboards").

Every function reads the daily rollups only (``UserDay``, ``ItemDay``, ``GroupDay``,
``UserTopicDay``; ``ShareDay`` for the content of a team or a group, which ``ItemDay``
cannot filter by person) — never the raw clicks or shares, so a dashboard costs the same
whatever the traffic was. Each function is ONE SQL statement (plus the network values and
the currency, read once per page with ``page_context``), whatever the number of people,
days or groups: a page is a constant number of statements.

Scopes:

* **company**: every rollup row;
* **group**: the rows of the group's *current* members (``user_groups``), like a team,
  so that participation, top ambassadors, concentration and topics agree with the totals.
  Only the "by group" table reads ``GroupDay`` (membership at tally time, see the
  models) — it is the cheap way to list hundreds of groups;
* **team**: a manager's direct and indirect reports, a recursive CTE inside the same
  statement (never thousands of ids as bind parameters);
* **people**: an explicit set of ids (one person: "my impact") or any SELECT of user ids.

Days are UTC days, both ends included (``Period``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Select, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from app.accounts.models import Group, Topic, User, UserStatus, user_groups
from app.accounts.queries import team_members
from app.analytics.models import (
    METRICS,
    NO_NETWORK,
    GroupDay,
    ItemDay,
    ShareDay,
    UserDay,
    UserTopicDay,
)
from app.analytics.values import Value, currency, emv_sql, network_values
from app.content.models import ContentItem
from app.sharing.networks import SHARE_NETWORKS

#: the longest period a dashboard (or the API) may ask for, in days
MAX_SPAN_DAYS = 731
DEFAULT_PRESET = "30d"
#: influence by topic: a person is ranked on a topic once they shared at least this many
#: times on it in the period (one lucky share must not top the list)
MIN_TOPIC_SHARES = 3
#: the top shares of ambassadors the concentration reports (percent)
CONCENTRATION_TOPS = (1, 5, 20)
CENT = Decimal("0.01")


# --- period ------------------------------------------------------------------------------------


class PeriodError(ValueError):
    """An invalid custom period; ``message`` is translatable."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


#: preset name → label (the period picker)
PRESETS = {
    "7d": _l("Last 7 days"),
    "30d": _l("Last 30 days"),
    "90d": _l("Last 90 days"),
    "month": _l("This month"),
    "last_month": _l("Last month"),
    "quarter": _l("This quarter"),
    "year": _l("This year"),
}


@dataclass(frozen=True)
class Period:
    """UTC days from ``start`` to ``end``, both included."""

    start: date
    end: date
    #: the preset it was made from (the picker shows it selected); None: custom dates
    name: str | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.start > self.end:
            raise PeriodError(_l("The start date must be on or before the end date."))
        if self.days > MAX_SPAN_DAYS:
            raise PeriodError(_l("Choose a period of at most %(days)d days.",
                                 days=MAX_SPAN_DAYS))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @classmethod
    def preset(cls, name: str, today: date) -> Period:
        """A named period ending today (this month, quarter, year: up to today)."""
        if name in ("7d", "30d", "90d"):
            return cls(today - timedelta(days=int(name[:-1]) - 1), today, name)
        if name == "month":
            return cls(today.replace(day=1), today, name)
        if name == "last_month":
            end = today.replace(day=1) - timedelta(days=1)
            return cls(end.replace(day=1), end, name)
        if name == "quarter":
            return cls(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today, name)
        if name == "year":
            return cls(today.replace(month=1, day=1), today, name)
        raise PeriodError(_l("Unknown period."))

    @classmethod
    def custom(cls, start: date | None, end: date | None) -> Period:
        if start is None or end is None:
            raise PeriodError(_l("Enter both dates."))
        return cls(start, end)

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


class Granularity(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def granularity(period: Period) -> Granularity:
    """Day points up to two months, weeks up to about six months, months beyond."""
    if period.days <= 62:
        return Granularity.DAY
    if period.days <= 190:
        return Granularity.WEEK
    return Granularity.MONTH


def bucket_start(day: date, grain: Granularity, period: Period) -> date:
    """The first day of the trend point ``day`` belongs to (weeks start on Monday), never
    before the period's start."""
    if grain is Granularity.WEEK:
        first = day - timedelta(days=day.weekday())
    elif grain is Granularity.MONTH:
        first = day.replace(day=1)
    else:
        first = day
    return max(first, period.start)


# --- scope -------------------------------------------------------------------------------------


class ScopeKind(enum.StrEnum):
    COMPANY = "company"
    GROUP = "group"
    TEAM = "team"
    PEOPLE = "people"


@dataclass(frozen=True)
class Scope:
    """Whose numbers: use the constructors (``Scope.company()``, ``.group(id)``,
    ``.team(manager_id)``, ``.person(id)``, ``.people(ids or SELECT)``)."""

    kind: ScopeKind = ScopeKind.COMPANY
    group_id: int | None = None
    manager_id: int | None = None
    #: ScopeKind.PEOPLE: a few explicit ids (one person), or ``query``
    user_ids: tuple[int, ...] = ()
    #: ScopeKind.PEOPLE: a SELECT of one column of user ids (any size)
    query: Select | None = field(default=None, compare=False, hash=False)

    @classmethod
    def company(cls) -> Scope:
        return cls()

    @classmethod
    def group(cls, group_id: int) -> Scope:
        return cls(ScopeKind.GROUP, group_id=group_id)

    @classmethod
    def team(cls, manager_id: int) -> Scope:
        return cls(ScopeKind.TEAM, manager_id=manager_id)

    @classmethod
    def person(cls, user_id: int) -> Scope:
        return cls(ScopeKind.PEOPLE, user_ids=(user_id,))

    @classmethod
    def people(cls, people: Iterable[int] | Select) -> Scope:
        if isinstance(people, Select):
            return cls(ScopeKind.PEOPLE, query=people)
        return cls(ScopeKind.PEOPLE, user_ids=tuple(people))

    @property
    def is_company(self) -> bool:
        return self.kind is ScopeKind.COMPANY

    def members(self) -> Select | None:
        """A SELECT of the user ids in scope, to use in ``IN (…)``; None: everybody. The
        same object each time: a statement may refer to the team's CTE several times, but
        SQL can hold only one CTE of that name."""
        return self._members

    @cached_property
    def _members(self) -> Select | None:
        if self.kind is ScopeKind.GROUP:
            return (select(user_groups.c.user_id)
                    .where(user_groups.c.group_id == self.group_id))
        if self.kind is ScopeKind.TEAM:
            return team_members(self.manager_id)
        if self.kind is ScopeKind.PEOPLE:
            if self.query is not None:
                return self.query
            return select(User.id).where(User.id.in_(self.user_ids))
        return None

    def where(self, user_id) -> list:
        """The conditions putting a user id column in scope."""
        members = self.members()
        return [] if members is None else [user_id.in_(members)]


# --- results -----------------------------------------------------------------------------------


@dataclass
class Totals:
    """Every metric summed over some rollup rows (``emv``: earned media value)."""

    shares: int = 0
    reach: int = 0
    human_clicks: int = 0
    unique_clicks: int = 0
    bot_clicks: int = 0
    engagements: int = 0
    conversions: int = 0
    conversion_value: Decimal = Decimal("0.00")
    points: int = 0
    emv: Decimal = Decimal("0.00")

    @property
    def clicks_per_share(self) -> float | None:
        """Click-through per share: unique clicks ÷ shares (None without shares)."""
        return self.unique_clicks / self.shares if self.shares else None

    @property
    def is_empty(self) -> bool:
        return not (self.shares or self.human_clicks or self.conversions or self.points
                    or self.engagements or self.reach)


#: the fields of ``Totals`` in display (and CSV) order
TOTAL_FIELDS = (*METRICS, "points", "emv")


@dataclass
class Summary(Totals):
    #: active, not erased people in scope now
    enrolled: int = 0
    #: people who shared at least once in the period
    active: int = 0
    #: of them, those still enrolled (the numerator of the participation rate)
    active_enrolled: int = 0
    currency: str = "EUR"

    @property
    def participation(self) -> float | None:
        """Active ambassadors who are enrolled ÷ enrolled people (None if nobody is)."""
        return self.active_enrolled / self.enrolled if self.enrolled else None


@dataclass
class TrendPoint:
    start: date
    totals: Totals


@dataclass
class Trend:
    granularity: Granularity
    points: list[TrendPoint]


@dataclass
class NetworkRow:
    network: str
    #: people who shared on this network in the period
    active: int
    totals: Totals

    @property
    def label(self) -> str:
        """The network's name in the viewer's language (not stored: a cached dashboard
        serves viewers of every language)."""
        known = SHARE_NETWORKS.get(self.network)
        return str(known.label) if known is not None else self.network


@dataclass
class GroupRow:
    group_id: int
    name: str
    kind: str
    #: active members (in scope) now
    members: int
    #: members (in scope) who shared in the period
    active: int
    totals: Totals

    @property
    def participation(self) -> float | None:
        return self.active / self.members if self.members else None


@dataclass
class ContentRow:
    item_id: int
    title: str
    url: str
    totals: Totals


@dataclass
class AmbassadorRow:
    user_id: int
    name: str
    totals: Totals


@dataclass
class TopShare:
    #: the top ``percent`` % of ambassadors …
    percent: int
    #: … are this many people …
    people: int
    #: … and brought these fractions (0–1) of the unique clicks and conversions
    #: (None when there were none)
    unique_clicks: float | None
    conversions: float | None


@dataclass
class CurvePoint:
    #: the top ``people`` fraction (0–1) of ambassadors, most impactful first …
    people: float
    #: … brought these fractions (0–1) of all unique clicks and conversions
    unique_clicks: float
    conversions: float


@dataclass
class Concentration:
    #: people with a share, a unique click or a conversion in the period
    ambassadors: int
    unique_clicks: int
    conversions: int
    tops: list[TopShare]
    #: the Lorenz-style curve, from (0, 0) to (1, 1): at most 101 points
    curve: list[CurvePoint]


@dataclass
class Influencer:
    user_id: int
    name: str
    shares: int
    unique_clicks: int
    conversions: int

    @property
    def clicks_per_share(self) -> float:
        return self.unique_clicks / self.shares

    @property
    def conversions_per_share(self) -> float:
        return self.conversions / self.shares


@dataclass
class TopicInfluence:
    topic_id: int
    topic: str
    #: everybody's shares and unique clicks on the topic in the period (in scope)
    shares: int
    unique_clicks: int
    people: list[Influencer]


class Dimension(enum.StrEnum):
    USER = "user"
    ITEM = "item"
    GROUP = "group"
    DAY = "day"


@dataclass
class BreakdownRow:
    #: the user, item or group id, or the day
    key: int | date
    #: the person's name, the item's title, the group's name ("" for a day)
    label: str
    totals: Totals


@dataclass
class BreakdownPage:
    dimension: Dimension
    rows: list[BreakdownRow]
    #: the number of keys with data in the period and scope
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageContext:
    """What every statement of a page needs besides the period and scope: the network
    values in force (EMV) and the currency. Read once per page (two statements)."""

    values: dict[str, Value]
    currency: str


def page_context(db: Session) -> PageContext:
    return PageContext(values=network_values(db), currency=currency(db))


# --- SQL building blocks -----------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    """A SUM of money (Decimal on PostgreSQL, float on SQLite) → Decimal to the cent."""
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT)


def _sum(column, label: str):
    return func.coalesce(func.sum(column), 0).label(label)


def _metric_columns(model, values: dict[str, Value], *, points: bool) -> list:
    """SUM of every metric of ``model``'s rows, EMV included (per row: its network's
    values; EMV is linear, so the sum of the rows' EMV is the EMV of their sums)."""
    columns = [_sum(getattr(model, name), name) for name in METRICS]
    columns.append(_sum(model.points, "points") if points else literal(0).label("points"))
    columns.append(_sum(emv_sql(values, model.network, model.reach, model.unique_clicks,
                                model.engagements), "emv"))
    return columns


def _totals(row) -> Totals:
    data = row._mapping
    return Totals(**{name: int(data[name] or 0) for name in TOTAL_FIELDS
                     if name not in ("conversion_value", "emv")},
                  conversion_value=_money(data["conversion_value"]), emv=_money(data["emv"]))


def _in_period(model, period: Period) -> list:
    return [model.day >= period.start, model.day <= period.end]


def _enrolled_ids() -> Select:
    return select(User.id).where(User.status == UserStatus.ACTIVE, User.erased_at.is_(None))


def _grouped(dimension: Dimension, period: Period, scope: Scope, values: dict[str, Value]):
    """A subquery: one row per key of ``dimension`` (column ``key``) with every metric
    summed over the period and scope. Reads the cheapest rollup able to answer."""
    if dimension is Dimension.ITEM:
        # ItemDay has no person: a team's or a group's content comes from its share-days
        model = ItemDay if scope.is_company else ShareDay
        return (select(model.item_id.label("key"),
                       *_metric_columns(model, values, points=False))
                .where(*_in_period(model, period),
                       *([] if scope.is_company else scope.where(model.user_id)))
                .group_by(model.item_id).subquery("per_item"))
    if dimension is Dimension.GROUP:
        if scope.kind in (ScopeKind.COMPANY, ScopeKind.GROUP):
            conditions = _in_period(GroupDay, period)
            if scope.kind is ScopeKind.GROUP:
                conditions.append(GroupDay.group_id == scope.group_id)
            return (select(GroupDay.group_id.label("key"),
                           *_metric_columns(GroupDay, values, points=True))
                    .where(*conditions).group_by(GroupDay.group_id).subquery("per_group"))
        # a team or a set of people: their person-days, by their current groups
        return (select(user_groups.c.group_id.label("key"),
                       *_metric_columns(UserDay, values, points=True))
                .join(user_groups, user_groups.c.user_id == UserDay.user_id)
                .where(*_in_period(UserDay, period), *scope.where(UserDay.user_id))
                .group_by(user_groups.c.group_id).subquery("per_group"))
    key = UserDay.user_id if dimension is Dimension.USER else UserDay.day
    return (select(key.label("key"), *_metric_columns(UserDay, values, points=True))
            .where(*_in_period(UserDay, period), *scope.where(UserDay.user_id))
            .group_by(key).subquery(f"per_{dimension.value}"))


def _metric_refs(sub) -> list:
    return [sub.c[name] for name in TOTAL_FIELDS]


def _impact_order(sub) -> list:
    """Most impact first: unique clicks, then conversions, then shares; ties by key."""
    return [sub.c.unique_clicks.desc(), sub.c.conversions.desc(), sub.c.shares.desc(),
            sub.c.key]


def _context(db: Session, context: PageContext | None) -> PageContext:
    return context if context is not None else page_context(db)


# --- the dashboard's figures -------------------------------------------------------------------


def summary(db: Session, period: Period, scope: Scope, *,
            context: PageContext | None = None) -> Summary:
    """The KPI cards: participation, shares, reach, clicks, engagements, conversions,
    points and earned media value, in one statement."""
    ctx = _context(db, context)
    members = scope.members()
    enrolled_people = _enrolled_ids()
    if members is not None:
        enrolled_people = enrolled_people.where(User.id.in_(members))
    shared = UserDay.shares > 0
    # the row's person if enrolled: a join, not "user_id IN (every enrolled id)", which
    # PostgreSQL runs as a scan of every user even for one person ("my impact")
    enrolled = aliased(User, name="enrolled_user")
    stmt = (select(*_metric_columns(UserDay, ctx.values, points=True),
                   func.count(func.distinct(case((shared, UserDay.user_id)))).label("active"),
                   func.count(func.distinct(case(
                       (and_(shared, enrolled.id.is_not(None)), UserDay.user_id)
                   ))).label("active_enrolled"),
                   select(func.count()).select_from(enrolled_people.subquery())
                   .scalar_subquery().label("enrolled"))
            .select_from(UserDay)
            .outerjoin(enrolled, and_(enrolled.id == UserDay.user_id,
                                      enrolled.status == UserStatus.ACTIVE,
                                      enrolled.erased_at.is_(None)))
            .where(*_in_period(UserDay, period), *scope.where(UserDay.user_id)))
    row = db.execute(stmt).one()
    totals = _totals(row)
    return Summary(**vars(totals), enrolled=int(row.enrolled or 0), active=int(row.active),
                   active_enrolled=int(row.active_enrolled), currency=ctx.currency)


def trend(db: Session, period: Period, scope: Scope, grain: Granularity | None = None, *,
          context: PageContext | None = None) -> Trend:
    """Every metric per day, week or month (auto: ``granularity(period)``), with zeros for
    the points without data. One statement (per day; the weeks and months are added up
    here, at most 731 rows)."""
    ctx = _context(db, context)
    grain = grain or granularity(period)
    sub = _grouped(Dimension.DAY, period, scope, ctx.values)
    per_day = {row.key: _totals(row) for row in db.execute(select(sub))}
    points: dict[date, Totals] = {}
    day = period.start
    while day <= period.end:
        start = bucket_start(day, grain, period)
        bucket = points.setdefault(start, Totals())
        if day in per_day:
            _add(bucket, per_day[day])
        day += timedelta(days=1)
    return Trend(grain, [TrendPoint(start, totals) for start, totals in points.items()])


def _add(into: Totals, more: Totals) -> None:
    for name in TOTAL_FIELDS:
        setattr(into, name, getattr(into, name) + getattr(more, name))


def by_network(db: Session, period: Period, scope: Scope, *,
               context: PageContext | None = None) -> list[NetworkRow]:
    """Per network (the points rows, which belong to none, left out), in the networks'
    display order, with the people who shared there."""
    ctx = _context(db, context)
    stmt = (select(UserDay.network.label("key"),
                   *_metric_columns(UserDay, ctx.values, points=False),
                   func.count(func.distinct(case((UserDay.shares > 0, UserDay.user_id))))
                   .label("active"))
            .where(*_in_period(UserDay, period), UserDay.network != NO_NETWORK,
                   *scope.where(UserDay.user_id))
            .group_by(UserDay.network))
    rows = {row.key: row for row in db.execute(stmt)}
    order = [key for key in SHARE_NETWORKS if key in rows] + sorted(
        key for key in rows if key not in SHARE_NETWORKS)
    return [NetworkRow(key, int(rows[key].active), _totals(rows[key])) for key in order]


def by_group(db: Session, period: Period, scope: Scope, *, limit: int | None = None,
             context: PageContext | None = None) -> list[GroupRow]:
    """Per group with members or data in scope, most impact first: the sums (``GroupDay``
    for the company or a group, the people's current groups for a team), the members now
    and the members who shared in the period."""
    ctx = _context(db, context)
    sums = _grouped(Dimension.GROUP, period, scope, ctx.values)
    active = (select(user_groups.c.group_id.label("group_id"),
                     func.count(func.distinct(UserDay.user_id)).label("n"))
              .join(user_groups, user_groups.c.user_id == UserDay.user_id)
              .where(*_in_period(UserDay, period), UserDay.shares > 0,
                     *scope.where(UserDay.user_id))
              .group_by(user_groups.c.group_id).subquery("active"))
    members = (select(user_groups.c.group_id.label("group_id"), func.count().label("n"))
               .join(User, User.id == user_groups.c.user_id)
               .where(User.status == UserStatus.ACTIVE, User.erased_at.is_(None),
                      *scope.where(User.id))
               .group_by(user_groups.c.group_id).subquery("members"))
    stmt = (select(Group.id, Group.name, Group.kind,
                   func.coalesce(members.c.n, 0).label("members"),
                   func.coalesce(active.c.n, 0).label("active"),
                   *[func.coalesce(sums.c[name], 0).label(name) for name in TOTAL_FIELDS])
            .outerjoin(sums, sums.c.key == Group.id)
            .outerjoin(active, active.c.group_id == Group.id)
            .outerjoin(members, members.c.group_id == Group.id)
            .where(or_(sums.c.key.is_not(None), members.c.group_id.is_not(None)))
            .order_by(func.coalesce(sums.c.unique_clicks, 0).desc(),
                      func.coalesce(sums.c.conversions, 0).desc(),
                      func.coalesce(sums.c.shares, 0).desc(), Group.name, Group.id))
    if scope.kind is ScopeKind.GROUP:
        stmt = stmt.where(Group.id == scope.group_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [GroupRow(row.id, row.name, row.kind.value, int(row.members), int(row.active),
                     _totals(row)) for row in db.execute(stmt)]


def top_content(db: Session, period: Period, scope: Scope, *, limit: int = 10,
                context: PageContext | None = None) -> list[ContentRow]:
    """The items that brought the most unique clicks (then conversions, then shares)."""
    ctx = _context(db, context)
    sub = _grouped(Dimension.ITEM, period, scope, ctx.values)
    stmt = (select(sub, ContentItem.title, ContentItem.url)
            .join(ContentItem, ContentItem.id == sub.c.key)
            .order_by(*_impact_order(sub)).limit(limit))
    return [ContentRow(row.key, row.title, row.url, _totals(row)) for row in db.execute(stmt)]


def top_ambassadors(db: Session, period: Period, scope: Scope, *, limit: int = 10,
                    context: PageContext | None = None) -> list[AmbassadorRow]:
    """The people who brought the most unique clicks (then conversions, then shares);
    only people with a share, a click or a conversion in the period."""
    ctx = _context(db, context)
    sub = _grouped(Dimension.USER, period, scope, ctx.values)
    stmt = (select(sub, User.name)
            .join(User, User.id == sub.c.key)
            .where(or_(sub.c.shares > 0, sub.c.unique_clicks > 0, sub.c.conversions > 0))
            .order_by(*_impact_order(sub)).limit(limit))
    return [AmbassadorRow(row.key, row.name, _totals(row)) for row in db.execute(stmt)]


def concentration(db: Session, period: Period, scope: Scope) -> Concentration:
    """What share of the unique clicks and of the conversions the top 1 %, 5 % and 20 % of
    ambassadors brought, and the Lorenz-style curve (people sorted by impact, most first).

    Ambassadors: the people with a share, a unique click or a conversion in the period.
    The top p % are the ``ceil(p × n / 100)`` people with the most (ties broken by id).
    One statement: per-person sums, ranked and cumulated with window functions; only the
    rows where a percentile is crossed are returned (every row up to 100 people, at most
    two hundred beyond), whatever the number of people.
    """
    per = (select(UserDay.user_id.label("user_id"),
                  func.sum(UserDay.unique_clicks).label("clicks"),
                  func.sum(UserDay.conversions).label("conversions"))
           .where(*_in_period(UserDay, period), *scope.where(UserDay.user_id))
           .group_by(UserDay.user_id)
           .having(or_(func.sum(UserDay.shares) > 0, func.sum(UserDay.unique_clicks) > 0,
                       func.sum(UserDay.conversions) > 0))
           .subquery("per_person"))
    by_clicks = (per.c.clicks.desc(), per.c.user_id)
    by_conversions = (per.c.conversions.desc(), per.c.user_id)
    ranked = select(
        func.count().over().label("n"),
        func.row_number().over(order_by=by_clicks).label("click_rank"),
        func.sum(per.c.clicks).over(order_by=by_clicks, rows=(None, 0)).label("click_cum"),
        func.sum(per.c.clicks).over().label("click_total"),
        func.row_number().over(order_by=by_conversions).label("conv_rank"),
        func.sum(per.c.conversions).over(order_by=by_conversions, rows=(None, 0))
        .label("conv_cum"),
        func.sum(per.c.conversions).over().label("conv_total"),
    ).subquery("ranked")

    def crosses(rank):  # the rank where a new whole percentile of people is reached
        return rank * 100 // ranked.c.n != (rank - 1) * 100 // ranked.c.n

    rows = db.execute(select(ranked).where(or_(crosses(ranked.c.click_rank),
                                               crosses(ranked.c.conv_rank)))).all()
    if not rows:
        return Concentration(0, 0, 0, [TopShare(p, 0, None, None) for p in CONCENTRATION_TOPS],
                             [])
    n = int(rows[0].n)
    clicks_total, conv_total = int(rows[0].click_total), int(rows[0].conv_total)
    clicks_cum = {0: 0} | {int(r.click_rank): int(r.click_cum) for r in rows}
    conv_cum = {0: 0} | {int(r.conv_rank): int(r.conv_cum) for r in rows}

    def share(cum: dict[int, int], total: int, k: int) -> float | None:
        return cum[k] / total if total else None

    tops = []
    for percent in CONCENTRATION_TOPS:
        k = -(-percent * n // 100)  # ceil
        tops.append(TopShare(percent, k, share(clicks_cum, clicks_total, k),
                             share(conv_cum, conv_total, k)))
    ranks = range(n + 1) if n <= 100 else [-(-q * n // 100) for q in range(101)]
    curve = [CurvePoint(k / n, share(clicks_cum, clicks_total, k) or 0.0,
                        share(conv_cum, conv_total, k) or 0.0) for k in ranks]
    return Concentration(n, clicks_total, conv_total, tops, curve)


def influence_by_topic(db: Session, period: Period, scope: Scope, *, per_topic: int = 3,
                       topics: int = 12, min_shares: int = MIN_TOPIC_SHARES
                       ) -> list[TopicInfluence]:
    """Per topic, the people who bring the most unique clicks PER SHARE (then
    conversions per share, then shares) on that topic's items — context over popularity.

    The rule: only people who shared at least ``min_shares`` times on the topic in the
    period are ranked (one lucky share must not top the list). Clicks and conversions
    are those of the period (on shares of the period or earlier), divided by the shares
    made in the period. Topics are listed by their unique clicks in the period (most
    first), at most ``topics`` of them; a topic where nobody reaches the threshold is left
    out. One statement.
    """
    per = (select(UserTopicDay.topic_id.label("topic_id"),
                  UserTopicDay.user_id.label("user_id"),
                  func.sum(UserTopicDay.shares).label("shares"),
                  func.sum(UserTopicDay.unique_clicks).label("unique_clicks"),
                  func.sum(UserTopicDay.conversions).label("conversions"))
           .where(*_in_period(UserTopicDay, period), *scope.where(UserTopicDay.user_id))
           .group_by(UserTopicDay.topic_id, UserTopicDay.user_id).subquery("per_topic"))
    shares = func.nullif(per.c.shares, 0)
    eligible = case((per.c.shares >= min_shares, 1), else_=0)
    ranked = select(
        per,
        func.row_number().over(
            partition_by=(per.c.topic_id, eligible),
            order_by=((cast(per.c.unique_clicks, Float) / shares).desc(),
                      (cast(per.c.conversions, Float) / shares).desc(),
                      per.c.shares.desc(), per.c.user_id)).label("rank"),
        func.sum(per.c.shares).over(partition_by=per.c.topic_id).label("topic_shares"),
        func.sum(per.c.unique_clicks).over(partition_by=per.c.topic_id).label("topic_clicks"),
    ).subquery("ranked")
    stmt = (select(ranked, Topic.name.label("topic"), User.name.label("name"))
            .join(Topic, Topic.id == ranked.c.topic_id)
            .join(User, User.id == ranked.c.user_id)
            .where(ranked.c.shares >= min_shares, ranked.c.rank <= per_topic)
            .order_by(ranked.c.topic_clicks.desc(), Topic.name, Topic.id, ranked.c.rank))
    out: dict[int, TopicInfluence] = {}
    for row in db.execute(stmt):
        entry = out.get(row.topic_id)
        if entry is None:
            if len(out) >= topics:
                break
            entry = out[row.topic_id] = TopicInfluence(
                row.topic_id, row.topic, int(row.topic_shares), int(row.topic_clicks), [])
        entry.people.append(Influencer(row.user_id, row.name, int(row.shares),
                                       int(row.unique_clicks), int(row.conversions)))
    return list(out.values())


def breakdown(db: Session, dimension: Dimension | str, period: Period, scope: Scope, *,
              limit: int = 100, offset: int = 0, context: PageContext | None = None
              ) -> BreakdownPage:
    """Every metric summed per person, item, group or day, ordered by key (stable for
    pagination: ``offset`` / ``limit``). One statement (the total comes with the rows; a
    page past the end costs one more to count)."""
    ctx = _context(db, context)
    dimension = Dimension(dimension)
    sub = _grouped(dimension, period, scope, ctx.values)
    if dimension is Dimension.USER:
        label, joined = User.name, (User, User.id == sub.c.key)
    elif dimension is Dimension.ITEM:
        label, joined = ContentItem.title, (ContentItem, ContentItem.id == sub.c.key)
    elif dimension is Dimension.GROUP:
        label, joined = Group.name, (Group, Group.id == sub.c.key)
    else:
        label, joined = literal(""), None
    stmt = select(sub.c.key, label.label("label"), *_metric_refs(sub),
                  func.count().over().label("total"))
    stmt = stmt.select_from(sub)
    if joined is not None:
        stmt = stmt.join(*joined)
    rows = db.execute(stmt.order_by(sub.c.key).limit(limit).offset(offset)).all()
    if rows:
        total = int(rows[0].total)
    elif offset:
        total = db.scalar(select(func.count()).select_from(
            stmt.with_only_columns(sub.c.key).subquery()))
    else:
        total = 0
    return BreakdownPage(dimension, [BreakdownRow(row.key, row.label or "", _totals(row))
                                     for row in rows], total, limit, offset)


# --- a whole page ------------------------------------------------------------------------------


@dataclass
class Dashboard:
    period: Period
    scope: Scope
    summary: Summary
    trend: Trend
    networks: list[NetworkRow]
    groups: list[GroupRow]
    content: list[ContentRow]
    ambassadors: list[AmbassadorRow]
    concentration: Concentration
    topics: list[TopicInfluence]

    @property
    def is_empty(self) -> bool:
        return self.summary.is_empty


def dashboard(db: Session, period: Period, scope: Scope, *, top: int = 10,
              groups: int | None = 25, context: PageContext | None = None) -> Dashboard:
    """Every figure of the company or team dashboard: a constant number of statements
    (10), whatever the data. The pages read it through ``dashboard_cache``."""
    ctx = _context(db, context)
    return Dashboard(
        period=period, scope=scope,
        summary=summary(db, period, scope, context=ctx),
        trend=trend(db, period, scope, context=ctx),
        networks=by_network(db, period, scope, context=ctx),
        groups=by_group(db, period, scope, limit=groups, context=ctx),
        content=top_content(db, period, scope, limit=top, context=ctx),
        ambassadors=top_ambassadors(db, period, scope, limit=top, context=ctx),
        concentration=concentration(db, period, scope),
        topics=influence_by_topic(db, period, scope),
    )


def has_reports(db: Session, manager_id: int) -> bool:
    """Whether someone reports to this person (their team dashboard has people)."""
    return db.scalar(select(select(User.id).where(User.manager_id == manager_id).exists()))

