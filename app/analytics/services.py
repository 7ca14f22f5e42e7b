"""Analytics rules callable from jobs, the CLI and views: the tally settings, running the
tally / rebuild / retention, and the admin's network values and currency (audited).

Services flush and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import list_currencies
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.analytics import retention, tally
from app.analytics.models import AnalyticsSettings, NetworkValue
from app.analytics.values import DEFAULT_CURRENCY, Value, network_values, networks
from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.db import utcnow

#: largest accepted CPM / CPC / CPE (Numeric(12, 4))
MAX_VALUE = Decimal("1000000")


@dataclass(frozen=True)
class AnalyticsConfig:
    """The operator's settings (config.py, docs/configuration.md)."""

    overlap: timedelta = timedelta(minutes=15)
    batch: int = 500_000
    click_retention_days: int = 400
    retention_batch: int = 1_000_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AnalyticsConfig:
        return cls(overlap=timedelta(minutes=config.get("ANALYTICS_TALLY_OVERLAP_MINUTES", 15)),
                   batch=config.get("ANALYTICS_TALLY_BATCH", 500_000),
                   click_retention_days=config.get("ANALYTICS_CLICK_RETENTION_DAYS", 400),
                   retention_batch=config.get("ANALYTICS_RETENTION_BATCH", 1_000_000))

    @property
    def tally_options(self) -> tally.TallyOptions:
        return tally.TallyOptions(overlap=self.overlap, batch=self.batch)


# --- tally, rebuild, retention ----------------------------------------------------------------


def run_tally(db: Session, now: datetime, config: AnalyticsConfig) -> dict[str, Any]:
    return tally.tally(db, now, config.tally_options)


def rebuild(db: Session, now: datetime) -> dict[str, Any]:
    return tally.rebuild(db, now)


def verify(db: Session, now: datetime) -> tuple[dict[str, Any], dict[str, dict]]:
    """Rebuild and compare with the rollups as they were: (summary, differences). The
    caller rolls back to keep the current rollups (a dry run) or commits."""
    horizon = tally.frozen_before(db)
    tally.snapshot_rollups(db, since=horizon)
    summary = tally.rebuild(db, now)
    differences = tally.compare_with_snapshot(db, since=horizon)
    tally.drop_snapshot(db)
    return summary, differences


def prune_clicks(db: Session, now: datetime, config: AnalyticsConfig) -> dict[str, Any]:
    return retention.prune_clicks(db, now, retention_days=config.click_retention_days,
                                  batch=config.retention_batch)


# --- network values and currency ----------------------------------------------------------------


def currency_codes() -> list[str]:
    return sorted(list_currencies())


def _settings_row(db: Session) -> AnalyticsSettings:
    row = db.get(AnalyticsSettings, 1)
    if row is None:
        row = AnalyticsSettings(id=1, currency=DEFAULT_CURRENCY)
        db.add(row)
    return row


def _check(value: Decimal | None) -> Decimal:
    if value is None or value < 0 or value > MAX_VALUE or not value.is_finite():
        raise ServiceError(_("Values must be between 0 and %(max)s.", max=f"{MAX_VALUE:,}"))
    return value.quantize(Decimal("0.0001"))


def save_values(db: Session, actor: Actor, *, currency: str,
                values: Mapping[str, Value]) -> None:
    """Store the currency and each network's CPM / CPC / CPE; audited with what changed."""
    currency = (currency or "").strip().upper()
    if currency not in list_currencies():
        raise ServiceError(_("Unknown currency."), field="currency")
    before = network_values(db)
    settings = _settings_row(db)
    changes: dict[str, Any] = {}
    if settings.currency != currency:
        changes["currency"] = [settings.currency, currency]
    settings.currency, settings.updated_at, settings.updated_by_id = currency, utcnow(), \
        actor.user_id
    for network in networks():
        if network not in values:
            continue
        value = values[network]
        new = Value(_check(value.cpm), _check(value.cpc), _check(value.cpe))
        row = db.get(NetworkValue, network)
        if row is None:
            row = NetworkValue(network=network)
            db.add(row)
        row.cpm, row.cpc, row.cpe = new.cpm, new.cpc, new.cpe
        row.updated_at, row.updated_by_id = utcnow(), actor.user_id
        old = before[network]
        if (old.cpm, old.cpc, old.cpe) != (new.cpm, new.cpc, new.cpe):
            changes[network] = {"cpm": [str(old.cpm), str(new.cpm)],
                                "cpc": [str(old.cpc), str(new.cpc)],
                                "cpe": [str(old.cpe), str(new.cpe)]}
    db.flush()
    record(db, actor, "analytics.values_saved", target=settings, changes=changes)


def reset_values(db: Session, actor: Actor) -> None:
    """Back to the documented defaults (the currency stays)."""
    removed = db.execute(delete(NetworkValue)).rowcount
    db.flush()
    record(db, actor, "analytics.values_reset", rows=removed)
