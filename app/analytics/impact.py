"""The employee's "my impact" page: what concerns one person only (docs/analytics.md,
"My impact").

Every figure of the page comes from ``app.analytics.dashboard`` over a one-person scope
(the rollups only, a constant number of statements); the level and badges from the
gamification feature. What is here is specific to one person: how each network they share
on compares with their own average, and the sentence that says where they are most
effective.

The comparison is per share, within the period: unique clicks (and conversions) of a
network divided by the shares made on it, against the same ratio over every network the
person shared on in the period. Clicks and conversions are counted on the day they happen,
so a click in the period on a share made before it counts too: over a period of a few
weeks or more this evens out, and the page says the period the figures cover.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analytics.dashboard import (
    NetworkRow,
    Period,
    Scope,
    Summary,
    Trend,
    by_network,
    page_context,
    summary,
    trend,
)
from app.analytics.models import UserDay
from app.gamification import badges, levels
from app.gamification.levels import Progress, Stats
from app.gamification.models import UserBadge

#: a network is named "where you are most effective" only with this many shares in the
#: period: one lucky share must not decide it (the ratios are shown for every network)
MIN_SHARES_TO_RANK = 3


@dataclass(frozen=True)
class NetworkRatio:
    """One network of one person in a period, against the person's own average."""

    network: str
    label: str
    shares: int
    unique_clicks: int
    conversions: int
    #: unique clicks per share on this network (None: no share on it in the period)
    clicks_per_share: float | None
    conversions_per_share: float | None
    #: clicks_per_share / the person's average (None: no share here, or no click at all)
    clicks_ratio: float | None
    conversions_ratio: float | None


@dataclass(frozen=True)
class Comparison:
    networks: list[NetworkRatio]
    #: unique clicks (conversions) per share over every network shared on in the period
    average_clicks: float | None
    average_conversions: float | None
    #: the network with the most unique clicks per share, above the average, among those
    #: with at least MIN_SHARES_TO_RANK shares, when at least two networks had shares
    #: (None otherwise); same for conversions
    best_clicks: NetworkRatio | None
    best_conversions: NetworkRatio | None

    @property
    def shared_networks(self) -> list[NetworkRatio]:
        return [n for n in self.networks if n.shares]

    def sentences(self) -> list[str]:
        """Where the person is most effective, in whole translated sentences."""
        shared = self.shared_networks
        if not shared:
            return []
        if len(shared) == 1:
            return [_("In this period you shared on %(network)s only: share on another "
                      "network too to see where your shares bring the most.",
                      network=shared[0].label)]
        result = []
        if self.best_clicks is not None:
            result.append(_("You are most effective on %(network)s: each share there brings "
                            "%(ratio)s× your average unique clicks per share.",
                            network=self.best_clicks.label,
                            ratio=format_ratio(self.best_clicks.clicks_ratio)))
        if self.best_conversions is not None:
            result.append(_("For conversions, %(network)s works best: %(ratio)s× your "
                            "average conversions per share.",
                            network=self.best_conversions.label,
                            ratio=format_ratio(self.best_conversions.conversions_ratio)))
        if not result:
            if not any(n.unique_clicks for n in shared):
                result.append(_("No unique click in this period yet: the comparison of your "
                                "networks appears once people click your links."))
            elif not any(n.shares >= MIN_SHARES_TO_RANK for n in shared):
                result.append(ngettext(
                    "Share at least %(num)d time on a network in this period to see where "
                    "you are most effective.",
                    "Share at least %(num)d times on a network in this period to see where "
                    "you are most effective.", MIN_SHARES_TO_RANK))
            else:
                result.append(ngettext(
                    "None of your networks with at least %(num)d share in this period stands "
                    "out: each brings about your average unique clicks per share.",
                    "None of your networks with at least %(num)d shares in this period stands "
                    "out: each brings about your average unique clicks per share.",
                    MIN_SHARES_TO_RANK))
        return result


def format_ratio(value: float | None) -> str:
    """1.8 (in the viewer's locale: 1,8 in French); "—" when there is no ratio."""
    return "—" if value is None else format_decimal(round(value, 1), format="0.0")


def _per_share(amount: int, shares: int) -> float | None:
    return amount / shares if shares else None


def _ratio(rate: float | None, average: float | None) -> float | None:
    if rate is None or not average:
        return None
    return rate / average


def compare_networks(rows: Iterable[NetworkRow]) -> Comparison:
    """Each network of one person's ``dashboard.by_network`` rows against the person's
    own average (no statement: the rows are those of the page). The average is over the
    networks shared on in the period, so it is the share-weighted mean of their rates.
    ``networks`` are in the order of ``rows``."""
    totals = [(r, r.totals) for r in rows]
    shares = sum(t.shares for _r, t in totals)
    average_clicks = _per_share(sum(t.unique_clicks for _r, t in totals if t.shares), shares)
    average_conversions = _per_share(sum(t.conversions for _r, t in totals if t.shares),
                                     shares)
    result = []
    for r, t in totals:
        cps = _per_share(t.unique_clicks, t.shares)
        vps = _per_share(t.conversions, t.shares)
        result.append(NetworkRatio(r.network, r.label, t.shares, t.unique_clicks,
                                   t.conversions, cps, vps, _ratio(cps, average_clicks),
                                   _ratio(vps, average_conversions)))
    ranked = [n for n in result if n.shares >= MIN_SHARES_TO_RANK]
    several = sum(1 for n in result if n.shares) >= 2
    return Comparison(
        networks=result, average_clicks=average_clicks, average_conversions=average_conversions,
        best_clicks=_best(ranked, "clicks_ratio") if several else None,
        best_conversions=_best(ranked, "conversions_ratio") if several else None)


def _best(ranked: list[NetworkRatio], attribute: str) -> NetworkRatio | None:
    """The network with the highest ratio, ties to the one with more shares; only above 1
    (a network below the person's average is not where they are most effective)."""
    candidates = [n for n in ranked if (getattr(n, attribute) or 0) > 1]
    if not candidates:
        return None
    return max(candidates, key=lambda n: (getattr(n, attribute), n.shares))


# --- the page ---------------------------------------------------------------------------------


@dataclass
class Impact:
    """Everything "My impact" shows, for one person and period."""

    period: Period
    #: the period's figures (participation aside: one person)
    summary: Summary
    trend: Trend
    networks: list[NetworkRow]
    comparison: Comparison
    #: all-time numbers of the gamification feature (points balance, level)
    stats: Stats
    progress: Progress
    earned: list[UserBadge]
    #: the person has shared at least once (any day): else the page invites them to
    ever_shared: bool


def my_impact(db: Session, user_id: int, period: Period) -> Impact:
    """The page's figures in a constant number of statements (about a dozen) whatever the
    person's history: the rollups through ``dashboard`` with a one-person scope, the level
    and badges through the gamification feature."""
    scope = Scope.person(user_id)
    ctx = page_context(db)
    networks = by_network(db, period, scope, context=ctx)
    stats = levels.stats_for(db, [user_id])[user_id]
    earned = badges.earned(db, user_id)  # with each entry's Badge: no SELECT per badge
    return Impact(
        period=period,
        summary=summary(db, period, scope, context=ctx),
        trend=trend(db, period, scope, context=ctx),
        networks=networks,
        comparison=compare_networks(networks),
        stats=stats,
        progress=levels.progress(db, stats, levels.config(db)),
        earned=earned,
        ever_shared=db.scalar(select(select(UserDay.day).where(
            UserDay.user_id == user_id, UserDay.shares > 0).exists())),
    )
