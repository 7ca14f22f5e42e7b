"""clicks partitioned by month on PostgreSQL (SQLite: nothing)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24

Written by hand (docs/scaling.md, "The click table"). On PostgreSQL ``clicks`` becomes a
table partitioned by RANGE (``at``): one partition per UTC month (``clicks_pYYYY_MM``) from
the month of the oldest click (the current month on an empty table; at most
``MAX_MONTHS_BACK`` months back, older rows land in the DEFAULT partition) to two months
ahead, plus a DEFAULT partition (``clicks_default``). The job ``sharing.click_partitions``
keeps creating the months ahead (``app/sharing/partitions.py``); the retention job drops
whole months instead of deleting their rows.

The rows are copied (INSERT … SELECT) in the migration's one transaction, with an ACCESS
EXCLUSIVE lock on ``clicks``: the redirector's click writes wait (its buffer keeps them in
memory, up to CLICK_BUFFER_MAX_PENDING) and nothing is lost on failure, but a big
installation (tens of millions of clicks: minutes) should upgrade in a maintenance window,
ideally after the retention job has pruned what it can.

What stays the same: the column types, the ids (the ``bigserial`` sequence is handed over to
the new table, so new ids continue after the old ones), the foreign key to ``shares`` and
the indexes, under their names, now partitioned indexes on the parent.

What differs from the models: PostgreSQL requires the partition key in every unique
constraint of a partitioned table, so the primary key is (``id``, ``at``) instead of
(``id``). The model keeps ``id`` alone (SQLite needs ``INTEGER PRIMARY KEY`` for its rowid
ids, and the ORM identifies a click by its id, which the sequence keeps unique). Alembic's
comparison does not look at primary keys, so "upgrade head matches the models" still holds;
the partitions themselves are tables that no model describes, and ``migrations/env.py``
(``include_object``) and tests/test_migrations.py leave them out of the comparison by name
(``app.sharing.partitions.is_partition_table``).

Downgrade turns the table back into a plain one (rows, ids, indexes and foreign key kept).
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

#: older clicks than this many months back go to the DEFAULT partition (a stray timestamp
#: must not create hundreds of partitions)
MAX_MONTHS_BACK = 60
MONTHS_AHEAD = 2
COLUMNS = "id, share_id, at, visitor_hash, referrer_host, is_bot, is_self"
INDEXES = (("ix_clicks_at", "at"),
           ("ix_clicks_share_id_visitor_at", "share_id, visitor_hash, at"))
FOREIGN_KEY = ("CONSTRAINT fk_clicks_share_id_shares FOREIGN KEY (share_id) "
               "REFERENCES shares (id) ON DELETE CASCADE")


def _month_index(moment: datetime) -> int:
    moment = moment.astimezone(UTC)
    return moment.year * 12 + moment.month - 1


def _month(index: int) -> datetime:
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _is_partitioned(bind) -> bool:
    return bind.execute(sa.text("SELECT relkind FROM pg_class "
                                "WHERE oid = to_regclass('clicks')")).scalar() == 'p'


def _swap_prologue(bind, old_name: str) -> str:
    """Lock ``clicks``, rename it ``old_name`` and free the names of its constraints and
    indexes (the new table takes them); returns its id sequence."""
    sequence = bind.execute(sa.text(
        "SELECT pg_get_serial_sequence('clicks', 'id')")).scalar()
    op.execute("LOCK TABLE clicks IN ACCESS EXCLUSIVE MODE")
    op.execute(f"ALTER TABLE clicks RENAME TO {old_name}")
    for index, _ in INDEXES:
        op.execute(f"DROP INDEX {index}")
    op.execute(f"ALTER TABLE {old_name} DROP CONSTRAINT pk_clicks")
    op.execute(f"ALTER TABLE {old_name} DROP CONSTRAINT fk_clicks_share_id_shares")
    return sequence


def _swap_epilogue(old_name: str, sequence: str) -> None:
    op.execute(f"INSERT INTO clicks ({COLUMNS}) "  # noqa: S608 - constants # nosec B608
               f"SELECT {COLUMNS} FROM {old_name} ORDER BY id")
    for index, columns in INDEXES:
        op.execute(f"CREATE INDEX {index} ON clicks ({columns})")
    # the sequence belongs to the old table's column: hand it over before dropping that
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY clicks.id")
    op.execute(f"DROP TABLE {old_name}")
    op.execute("ANALYZE clicks")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql' or _is_partitioned(bind):
        return
    sequence = _swap_prologue(bind, "clicks_unpartitioned")
    op.execute("CREATE TABLE clicks (LIKE clicks_unpartitioned INCLUDING DEFAULTS, "
               f"CONSTRAINT pk_clicks PRIMARY KEY (id, at), {FOREIGN_KEY}) "
               "PARTITION BY RANGE (at)")
    now = _month_index(datetime.now(UTC))
    oldest = bind.execute(sa.text("SELECT min(at) FROM clicks_unpartitioned")).scalar()
    first = max(_month_index(oldest) if oldest is not None else now, now - MAX_MONTHS_BACK)
    for index in range(min(first, now), now + MONTHS_AHEAD + 1):
        start, end = _month(index), _month(index + 1)
        op.execute(f"CREATE TABLE clicks_p{start:%Y_%m} PARTITION OF clicks "
                   f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
    op.execute("CREATE TABLE clicks_default PARTITION OF clicks DEFAULT")
    _swap_epilogue("clicks_unpartitioned", sequence)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql' or not _is_partitioned(bind):
        return
    sequence = _swap_prologue(bind, "clicks_partitioned")
    op.execute("CREATE TABLE clicks (LIKE clicks_partitioned INCLUDING DEFAULTS, "
               f"CONSTRAINT pk_clicks PRIMARY KEY (id), {FOREIGN_KEY})")
    _swap_epilogue("clicks_partitioned", sequence)  # DROP TABLE takes the partitions along
