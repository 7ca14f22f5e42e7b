"""Wall-clock times in a person's time zone ⇄ aware UTC (for ``datetime-local`` inputs).

A ``<input type="datetime-local">`` sends a naive time ("2026-12-01T09:00") that means
"09:00 where the curator is"; the database stores aware UTC. A time that does not exist
(the hour skipped when clocks go forward) or exists twice (clocks go back) takes the
first reading (``fold=0``), as most calendars do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> ZoneInfo:
    """The named zone, or UTC when the name is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_to_utc(value: datetime | None, tz_name: str | None) -> datetime | None:
    """A naive wall-clock time in ``tz_name`` → the aware UTC instant (None stays None)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    return value.replace(tzinfo=zone(tz_name), fold=0).astimezone(UTC)


def utc_to_local(value: datetime | None, tz_name: str | None) -> datetime | None:
    """An aware (or naive UTC) instant → the naive wall-clock time in ``tz_name``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(tz_name)).replace(tzinfo=None)


def zone_label(tz_name: str | None, at: datetime | None = None) -> str:
    """"Europe/Paris (CET)": the zone's name and its abbreviation at ``at`` (default now)."""
    tz = zone(tz_name)
    moment = (at or datetime.now(UTC))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    abbreviation = moment.astimezone(tz).tzname() or ""
    name = str(tz.key)
    return f"{name} ({abbreviation})" if abbreviation and abbreviation != name else name
