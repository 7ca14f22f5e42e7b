"""Network values (CPM, CPC, CPE) and earned media value (EMV).

EMV of one network = reach × CPM / 1000 + unique clicks × CPC + engagements × CPE: what the
same impressions, clicks and engagements would have cost as paid media. It is computed when
read, from the rolled-up reach, unique clicks and engagements and the values in force
then, so changing a value re-values the whole history consistently (docs/analytics.md).

Unique clicks, not every human click: paid platforms do not bill the same person's
repeated clicks as new ones, and "impact, not vanity" (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.analytics.models import AnalyticsSettings, NetworkValue
from app.sharing.networks import SHARE_NETWORKS

DEFAULT_CURRENCY = "EUR"


@dataclass(frozen=True)
class Value:
    """What one network's impressions, clicks and engagements are worth."""

    cpm: Decimal
    cpc: Decimal
    cpe: Decimal

    def emv(self, reach: int, unique_clicks: int, engagements: int) -> Decimal:
        total = (Decimal(reach) * self.cpm / 1000 + Decimal(unique_clicks) * self.cpc
                 + Decimal(engagements) * self.cpe)
        return total.quantize(Decimal("0.01"))


#: documented defaults (docs/analytics.md): round figures of public paid-social benchmarks,
#: meant to be replaced by the programme's own media costs. E-mail has no reach snapshot;
#: a click from a forwarded e-mail is valued like a search-ad click.
DEFAULT_VALUES: dict[str, Value] = {
    "linkedin": Value(Decimal("30.00"), Decimal("5.00"), Decimal("1.00")),
    "x": Value(Decimal("6.00"), Decimal("0.60"), Decimal("0.30")),
    "facebook": Value(Decimal("12.00"), Decimal("1.00"), Decimal("0.20")),
    "email": Value(Decimal("0"), Decimal("1.00"), Decimal("0")),
}
ZERO = Value(Decimal(0), Decimal(0), Decimal(0))


def networks() -> list[str]:
    """The networks people share to, in display order."""
    return list(SHARE_NETWORKS)


def network_values(db: Session) -> dict[str, Value]:
    """The values in force for every network: the stored ones, else the defaults."""
    stored = {row.network: Value(row.cpm, row.cpc, row.cpe)
              for row in db.scalars(select(NetworkValue))}
    return {key: stored.get(key, DEFAULT_VALUES.get(key, ZERO)) for key in networks()}


def currency(db: Session) -> str:
    row = db.get(AnalyticsSettings, 1)
    return row.currency if row is not None else DEFAULT_CURRENCY


def emv(values: Mapping[str, Value], per_network: Mapping[str, tuple[int, int, int]]
        ) -> Decimal:
    """EMV of ``{network: (reach, unique clicks, engagements)}``; unknown networks are 0."""
    total = sum((values.get(network, ZERO).emv(*numbers)
                 for network, numbers in per_network.items()), Decimal(0))
    return Decimal(total).quantize(Decimal("0.01"))


def emv_sql(values: Mapping[str, Value], network: ColumnElement, reach: ColumnElement,
            unique_clicks: ColumnElement, engagements: ColumnElement) -> ColumnElement:
    """EMV as a SQL expression over rollup columns (or their sums grouped by network), so a
    dashboard can rank or total by EMV in the same statement as its other numbers.

    ``CASE network WHEN 'linkedin' THEN reach * 30 / 1000 + … END``, the values bound as
    parameters; the points rows (network "") and unknown networks are worth 0.
    """
    whens = []
    for key, value in values.items():
        whens.append((network == key,
                      reach * literal(value.cpm) / 1000 + unique_clicks * literal(value.cpc)
                      + engagements * literal(value.cpe)))
    if not whens:
        return literal(Decimal(0))
    return case(*whens, else_=literal(Decimal(0)))
