"""Monthly partitions of the click table on PostgreSQL (docs/scaling.md).

Migration 0008 turns ``clicks`` into a table partitioned by RANGE (``at``), one partition
per UTC month (``clicks_pYYYY_MM``) plus a DEFAULT partition (``clicks_default``) that
catches what no month partition covers. This module keeps it that way:

- ``ensure_partitions`` (job ``sharing.click_partitions``, daily) creates the partitions of
  the current month and the next ``MONTHS_AHEAD`` months when they are missing, so clicks
  never pile up in the DEFAULT partition. Idempotent: a month already covered is skipped.
- ``drop_old_partitions`` (called by the retention job) drops the month partitions that
  lie entirely before the retention cutoff and hold only rows the tally has read for good:
  dropping a table is instant where deleting millions of rows is long and leaves bloat.

Everything here is a no-op on SQLite, and on a PostgreSQL database whose ``clicks`` is a
plain table (the test suite builds the schema with ``create_all``; an installation may
have run the migrations before 0008 only). Partitions are found by their bounds, read from
the catalog, not by their names: a partition an operator added by hand is respected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

#: the partitioned table, and the name of the DEFAULT partition the migration creates
PARENT = "clicks"
DEFAULT_PARTITION = "clicks_default"
#: months created ahead of the current one (the job runs daily: two months of slack)
MONTHS_AHEAD = 2

_NAME = re.compile(rf"{PARENT}_(p\d{{4}}_\d{{2}}|default)")
_BOUND = re.compile(r"FOR VALUES FROM \((?P<start>[^)]*)\) TO \((?P<end>[^)]*)\)")


@dataclass(frozen=True)
class Partition:
    name: str
    #: bounds (aware UTC; end excluded); None: MINVALUE / MAXVALUE, or the DEFAULT partition
    start: datetime | None
    end: datetime | None
    is_default: bool = False

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return not self.is_default and (self.start is None or self.start < end) \
            and (self.end is None or self.end > start)


def month_start(moment: datetime) -> datetime:
    """The first instant of ``moment``'s UTC month."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(start: datetime, months: int) -> datetime:
    """The first instant of the month ``months`` after ``start``'s (a month start)."""
    index = start.year * 12 + start.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"{PARENT}_p{start:%Y_%m}"


def is_partition_table(name: str) -> bool:
    """A table named like the partitions this module and migration 0008 create: no model
    describes them, so the schema comparisons (migrations/env.py, tests) leave them out."""
    return _NAME.fullmatch(name) is not None


def is_partitioned(db: Session) -> bool:
    """PostgreSQL, and ``clicks`` is a partitioned table (relkind 'p')."""
    if db.get_bind().dialect.name != "postgresql":
        return False
    return db.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:name)"),
                     {"name": PARENT}) == "p"


def _bound(value: str) -> datetime | None:
    value = value.strip()
    if value in ("MINVALUE", "MAXVALUE"):
        return None
    # a timestamptz literal in the session's time zone, with its offset
    return datetime.fromisoformat(value.strip("'")).astimezone(UTC)


def partitions(db: Session) -> list[Partition]:
    """The partitions of ``clicks`` by start (the DEFAULT one last); [] if not partitioned."""
    if not is_partitioned(db):
        return []
    rows = db.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:name)"),
        {"name": PARENT})
    found = []
    for name, bound in rows:
        match = _BOUND.fullmatch(bound)
        if match is None:  # "DEFAULT"
            found.append(Partition(name, None, None, is_default=True))
        else:
            found.append(Partition(name, _bound(match["start"]), _bound(match["end"])))
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(found, key=lambda p: (p.is_default, p.start or epoch))


def _literal(moment: datetime) -> str:
    return f"'{moment.isoformat()}'"  # ours, from a datetime: no quoting issue


def create_month(db: Session, start: datetime, default: Partition | None) -> str:
    """Create and attach the partition of the month starting at ``start``.

    Rows of that month already in the DEFAULT partition move over first: PostgreSQL
    refuses a new partition while the DEFAULT one holds rows of its range. The table is
    created standalone and then ATTACHed, which takes a weaker lock on ``clicks`` than
    ``CREATE TABLE … PARTITION OF`` (SHARE UPDATE EXCLUSIVE: the redirector's inserts
    go on); the partitioned indexes, primary key and foreign key reach it on attach.
    """
    end, name = add_months(start, 1), partition_name(start)
    db.execute(text(f'CREATE TABLE "{name}" (LIKE {PARENT})'))
    if default is not None:
        db.execute(text(
            f'WITH moved AS (DELETE FROM "{default.name}" WHERE at >= :start AND at < :end '  # noqa: S608 - catalog names # nosec B608
            f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved'),
            {"start": start, "end": end})
    db.execute(text(f'ALTER TABLE {PARENT} ATTACH PARTITION "{name}" '
                    f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})"))
    return name


def ensure_partitions(db: Session, now: datetime,
                      months_ahead: int = MONTHS_AHEAD) -> dict[str, Any]:
    """Create the missing partitions from ``now``'s month to ``months_ahead`` months after
    it. A month that an existing partition overlaps, even partly, is left alone."""
    if not is_partitioned(db):
        return {"created": [], "reason": "clicks is not partitioned (SQLite, or PostgreSQL "
                                         "before migration 0008)"}
    existing = partitions(db)
    default = next((p for p in existing if p.is_default), None)
    created = []
    first = month_start(now)
    for offset in range(months_ahead + 1):
        start = add_months(first, offset)
        end = add_months(start, 1)
        if any(p.overlaps(start, end) for p in existing):
            continue
        created.append(create_month(db, start, default))
    return {"created": created}


def drop_old_partitions(db: Session, before: datetime, final_id: int) -> dict[str, Any]:
    """Drop the month partitions that end at or before ``before`` and whose rows all have
    an id at or below ``final_id`` (read for good by the tally); the rest is left to
    DELETE. Returns the partitions dropped and how many clicks they held."""
    dropped, rows = [], 0
    for partition in partitions(db):
        if partition.is_default or partition.end is None or partition.end > before:
            continue
        count, top = db.execute(text(
            f'SELECT count(*), max(id) FROM "{partition.name}"')).one()  # noqa: S608 - catalog name # nosec B608
        if top is not None and top > final_id:
            continue  # a late commit the tally has not read for good yet: next run
        # DROP takes an ACCESS EXCLUSIVE lock on clicks for an instant (the redirector's
        # inserts wait that long); the caller holds the tally's advisory lock
        db.execute(text(f'DROP TABLE "{partition.name}"'))
        dropped.append(partition.name)
        rows += count
    return {"dropped_partitions": dropped, "dropped_clicks": rows}
