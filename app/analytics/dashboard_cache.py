"""The dashboards' cache: a whole dashboard (``dashboard.dashboard``) computed once per
version of the rollups, then served from ``app.common.cache`` (docs/analytics.md
"Dashboard cache").

Why: at 100,000 employees a company dashboard sums about two million person-day rows
per 30 days, eight seconds of database time — whatever the indexes, since every figure
(participation, top ambassadors, concentration) needs every person's sums. Those sums
change only when the tally job commits new rollups (every 5 minutes), so the page is
computed once per tally run and shared by every viewer.

The key: scope, period, the page's sizes, the tally's watermark time (``rollups_as_of``:
each tally run that commits moves it, so new rollups are never hidden behind an old
entry) and the earned-media values and currency in force (an admin's change shows at
once). What the rollups do not hold — enrolled people, group members, names — may be up
to ``ANALYTICS_DASHBOARD_CACHE_SECONDS`` old. Nothing translated is stored (network names
are looked up when rendered), so one entry serves every language.

``warm`` (job ``analytics.warm_dashboards``, every minute) computes the default company
view (``DEFAULT_PRESET``, no group filter) for the newest rollups, so nobody waits for it.
It needs a cache shared with the web processes (``REDIS_URL``); with the per-process
memory cache it does nothing, since the scheduler's memory is not the web workers'.

Values are JSON (the Redis backend never pickles): dataclasses ↔ dicts, by their type
hints (``encode`` / ``decode``).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analytics import dashboard as dash
from app.common.cache import MemoryCache, cached, get_cache

NAMESPACE = "dashboards"
#: rows of the top content / ambassadors tables on the page, and groups in "by group"
TOP = 10
GROUPS = 25


def rollups_as_of(db: Session) -> datetime | None:
    """When the tally last committed (its watermark's time); None: it never ran."""
    from app.analytics.tally import TALLY_JOB
    from app.jobs.models import JobWatermark

    return db.scalar(select(JobWatermark.updated_at).where(JobWatermark.job_id == TALLY_JOB))


def _scope_key(scope: dash.Scope) -> str | None:
    if scope.kind is dash.ScopeKind.COMPANY:
        return "company"
    if scope.kind is dash.ScopeKind.GROUP:
        return f"group:{scope.group_id}"
    if scope.kind is dash.ScopeKind.TEAM:
        return f"team:{scope.manager_id}"
    return None  # an ad-hoc set of people: not worth an entry


def _values_key(ctx: dash.PageContext) -> str:
    values = {network: [str(v.cpm), str(v.cpc), str(v.cpe)]
              for network, v in sorted(ctx.values.items())}
    raw = json.dumps([ctx.currency, values], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def cache_key(period: dash.Period, scope: dash.Scope, ctx: dash.PageContext,
              as_of: datetime | None, *, top: int, groups: int | None) -> str | None:
    scope_key = _scope_key(scope)
    if scope_key is None:
        return None
    mark = as_of.isoformat() if as_of is not None else "never"
    return (f"{scope_key}|{period.start.isoformat()}|{period.end.isoformat()}|{top}|{groups}"
            f"|{mark}|{_values_key(ctx)}")


def _ttl() -> float:
    from flask import current_app

    return float(current_app.config.get("ANALYTICS_DASHBOARD_CACHE_SECONDS", 0) or 0)


def _compute(db: Session, period: dash.Period, scope: dash.Scope, ctx: dash.PageContext, *,
             top: int, groups: int | None) -> dict:
    return encode(dash.dashboard(db, period, scope, top=top, groups=groups, context=ctx))


def dashboard(db: Session, period: dash.Period, scope: dash.Scope, *, top: int = TOP,
              groups: int | None = GROUPS) -> tuple[dash.Dashboard, datetime | None]:
    """The dashboard of ``scope`` over ``period`` (from the cache when fresh), and the time
    of the rollups it was computed from (None: the tally never ran)."""
    ctx = dash.page_context(db)
    as_of = rollups_as_of(db)
    key = cache_key(period, scope, ctx, as_of, top=top, groups=groups)
    ttl = _ttl()
    if key is None or ttl <= 0:
        return dash.dashboard(db, period, scope, top=top, groups=groups, context=ctx), as_of
    data = cached(get_cache(), NAMESPACE, key, ttl,
                  lambda: _compute(db, period, scope, ctx, top=top, groups=groups))
    return decode_dashboard(data, period, scope), as_of


def warm(db: Session, now: datetime, app) -> dict[str, Any]:
    """Compute the default company dashboard for the newest rollups unless the shared
    cache already holds it (job ``analytics.warm_dashboards``)."""
    ttl = float(app.config.get("ANALYTICS_DASHBOARD_CACHE_SECONDS", 0) or 0)
    cache = get_cache(app)
    if ttl <= 0:
        return {"skipped": "ANALYTICS_DASHBOARD_CACHE_SECONDS is 0"}
    if isinstance(cache, MemoryCache):
        return {"skipped": "no shared cache (REDIS_URL): each web process computes its own"}
    period = dash.Period.preset(dash.DEFAULT_PRESET, now.date())
    scope = dash.Scope.company()
    ctx = dash.page_context(db)
    as_of = rollups_as_of(db)
    key = cache_key(period, scope, ctx, as_of, top=TOP, groups=GROUPS)
    if cache.generation(NAMESPACE) < 0:  # Redis out of reach: computing would be lost
        return {"skipped": "the cache is unavailable"}
    computed = []

    def compute() -> dict:
        computed.append(True)
        return _compute(db, period, scope, ctx, top=TOP, groups=GROUPS)

    cached(cache, NAMESPACE, key, ttl, compute)
    if not computed:
        return {"warmed": 0, "fresh": True}
    return {"warmed": 1, "period": f"{period.start}..{period.end}",
            "as_of": as_of.isoformat() if as_of else None}


# --- JSON codec ---------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A dataclass tree → JSON values (Decimal and dates as strings, enums as values)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in ("period", "scope")}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(tp: Any, value: Any) -> Any:
    """The inverse of ``encode`` for a value of type ``tp`` (a type hint)."""
    return _decoder(tp)(value)


def _nullable(convert):
    return lambda value: None if value is None else convert(value)


@functools.cache
def _decoder(tp: Any):
    """A function decoding JSON values of type ``tp``, built once per type (resolving type
    hints on every value cost 13 ms a page)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decoder(options[0])
    if origin is list:
        (item,) = typing.get_args(tp)
        inner = _decoder(item)
        return _nullable(lambda value: [inner(v) for v in value])
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        plan = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(tp) if f.init]
        return _nullable(lambda value: tp(**{name: convert(value[name])
                                             for name, convert in plan if name in value}))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _nullable(tp)
    if tp is Decimal:
        return _nullable(Decimal)
    if tp is date:
        return _nullable(date.fromisoformat)
    if tp is float:
        return _nullable(float)
    return lambda value: value


def decode_dashboard(data: dict, period: dash.Period, scope: dash.Scope) -> dash.Dashboard:
    return dash.Dashboard(period=period, scope=scope,
                          **{name: decode(hint, data[name]) for name, hint
                             in typing.get_type_hints(dash.Dashboard).items()
                             if name not in ("period", "scope")})
