"""Daily rollups of the programme's impact, and the values that turn them into earned
media value (docs/analytics.md).

Two levels, all keyed by UTC day:

- ``ShareDay``: one row per share and day with every fact of that share on that day
  (shares made, reach, clicks, engagement, conversions). The tally recomputes these
  (day, share) buckets from the raw events; everything else derives from them.
- ``UserDay`` (day × person × network), ``ItemDay`` (day × item × network), ``GroupDay``
  (day × group × network) and ``UserTopicDay`` (day × person × topic): what the dashboards
  read, never the raw click table.

Every rollup row holds the same metric columns (``Metrics``). Its key is its primary key (a
named constraint: each bucket exists once; a surrogate id's sequence and index would only
slow the tally's writes down). Rollups are derived data: shares, people, items and topics
are referenced by plain ids, without foreign keys (shares, people and items are never
deleted — people are anonymised, items archived — and a foreign-key check per row doubled
the cost of writing a day; see docs/analytics.md). A deleted group takes its rows along; a
deleted topic's rows stay until a rebuild (readers join ``topics``).

Earned media value is not stored: it is computed when read from reach, unique clicks and
engagements with the network values in force then (``app.analytics.values``), so an
admin's change applies to the whole history at once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

#: the network of the rollup rows that belong to no network (points): see UserDay
NO_NETWORK = ""

#: the metric columns every rollup table has, in this order (the tally relies on it)
METRICS = ("shares", "reach", "human_clicks", "unique_clicks", "bot_clicks", "engagements",
           "conversions", "conversion_value")


class Metrics:
    """The metric columns shared by every rollup table."""

    #: shares made (opened intents and posted API shares; scheduled or failed ones reach
    #: nobody), counted on the day they went out: posted_at, else created_at
    shares: Mapped[int] = mapped_column(Integer, default=0)
    #: potential reach: the sum of the reach snapshots (follower counts) of those shares
    reach: Mapped[int] = mapped_column(BigInteger, default=0)
    #: clicks that are neither bot nor self clicks
    human_clicks: Mapped[int] = mapped_column(Integer, default=0)
    #: human clicks of a visitor not seen on the same share in the 24 h before
    #: (``app.sharing.queries.unique_click``: the one definition)
    unique_clicks: Mapped[int] = mapped_column(Integer, default=0)
    #: crawler / link-preview requests that were filtered out
    bot_clicks: Mapped[int] = mapped_column(Integer, default=0)
    #: likes + comments + reshares gained that day (snapshots are cumulative: the increase
    #: from the last snapshot before the day to the last one of the day; may be negative)
    engagements: Mapped[int] = mapped_column(Integer, default=0)
    #: conversions reported by the CRM, on the day they occurred
    conversions: Mapped[int] = mapped_column(Integer, default=0)
    #: the sum of their values as reported (the CRM is expected to use the programme's
    #: currency; see docs/analytics.md)
    conversion_value: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=0)


class ShareDay(Metrics, Base):
    """Every fact of one share on one UTC day: the unit the tally recomputes."""

    __tablename__ = "analytics_share_days"
    __table_args__ = (
        # (day, …) first: the rollups above are recomputed from one day's rows at a time
        PrimaryKeyConstraint("day", "share_id", name="pk_analytics_share_days"),
        # a team's or a group's content (the dashboards read a few people's share-days)
        Index("ix_analytics_share_days_user_id_day", "user_id", "day"),
    )

    day: Mapped[date] = mapped_column(Date)
    share_id: Mapped[int] = mapped_column(Integer)
    #: copies of the share's person, item and network (they never change), so that the
    #: rollups above are sums of these rows without a join
    user_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(Integer)
    network: Mapped[str] = mapped_column(String(16))


class UserDay(Metrics, Base):
    """One person's impact on one day and network (top ambassadors, participation,
    concentration, "my impact", a manager's team).

    Points are not tied to a network: they are on the person's row whose network is
    ``NO_NETWORK`` (""), whose other metrics are 0.
    """

    __tablename__ = "analytics_user_days"
    __table_args__ = (
        PrimaryKeyConstraint("day", "user_id", "network", name="pk_analytics_user_days"),
        # one person over a period ("my impact", a manager's team)
        Index("ix_analytics_user_days_user_id_day", "user_id", "day"),
    )

    day: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(Integer)
    #: linkedin | x | facebook | email, or "" for the points row
    network: Mapped[str] = mapped_column(String(16))
    #: points from the gamification ledger, by the day the event occurred
    points: Mapped[int] = mapped_column(Integer, default=0)


class ItemDay(Metrics, Base):
    """One content item's impact on one day and network (top content)."""

    __tablename__ = "analytics_item_days"
    __table_args__ = (
        PrimaryKeyConstraint("day", "item_id", "network", name="pk_analytics_item_days"),
    )

    day: Mapped[date] = mapped_column(Date)
    item_id: Mapped[int] = mapped_column(Integer)
    network: Mapped[str] = mapped_column(String(16))


class GroupDay(Metrics, Base):
    """A group's impact on one day and network: the sum of its members' ``UserDay`` rows.

    Membership is the one at tally time: a person in several groups counts in each, and a
    day is attributed to the groups the person belonged to when the day was last tallied
    (docs/analytics.md explains the trade-off).
    """

    __tablename__ = "analytics_group_days"
    __table_args__ = (
        PrimaryKeyConstraint("day", "group_id", "network", name="pk_analytics_group_days"),
        Index("ix_analytics_group_days_group_id_day", "group_id", "day"),
    )

    day: Mapped[date] = mapped_column(Date)
    #: a deleted group takes its rows along (admins delete groups)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    #: members who made at least one share that day on that network
    sharers: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(Integer, default=0)


class UserTopicDay(Metrics, Base):
    """One person's impact on one day through items of one topic (influence by topic).

    An item with several topics counts in each of them.
    """

    __tablename__ = "analytics_user_topic_days"
    __table_args__ = (
        PrimaryKeyConstraint("day", "user_id", "topic_id", name="pk_analytics_user_topic_days"),
        # a team's influence by topic: a few people over a period
        Index("ix_analytics_user_topic_days_user_id_day", "user_id", "day"),
    )

    day: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(Integer)
    #: no foreign key either (a check per row doubled the cost of this, the largest
    #: rollup): the rows of a deleted topic stay until a rebuild; readers join ``topics``
    topic_id: Mapped[int] = mapped_column(Integer)


#: every rollup table, finest first (the tally fills them in this order)
ROLLUPS = (ShareDay, UserDay, ItemDay, UserTopicDay, GroupDay)


class NetworkValue(Base):
    """What an impression, a click and an engagement on one network are worth, as paid
    media would cost: earned media value = reach × CPM / 1000 + unique clicks × CPC +
    engagements × CPE. A network without a row uses the documented defaults
    (``app.analytics.values.DEFAULT_VALUES``)."""

    __tablename__ = "analytics_network_values"

    #: linkedin | x | facebook | email (app.sharing.networks)
    network: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: cost per thousand impressions, in the programme's currency
    cpm: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    #: cost per click
    cpc: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    #: cost per engagement
    cpe: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AnalyticsSettings(Base):
    """Programme-wide analytics settings, one row (id 1), edited by admins."""

    __tablename__ = "analytics_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    #: ISO 4217 code of the network values and of earned media value (and the currency the
    #: CRM is expected to report conversion values in)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
