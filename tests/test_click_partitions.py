"""The click table partitioned by month on PostgreSQL (migration 0008,
``app/sharing/partitions.py``, docs/scaling.md): the upgrade creates the partitions and
keeps rows, ids, indexes and the foreign key; clicks land in their month's partition
through the redirector; the upkeep job creates the months ahead (twice = once); retention
drops whole old months and deletes the rest; the tally and the rebuild give the same
results; the downgrade gives the plain table back. On SQLite every step is a no-op.

The tests of this module run on a database built by ``alembic upgrade head`` (not by
``create_all`` like the rest of the suite), on SQLite and on a private PostgreSQL database.
Some of the tally and retention tests are imported from their modules and run again here,
on the partitioned table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine
from alembic import command
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.analytics import retention, tally
from app.cli import alembic_config
from app.db import Base, make_engine
from app.jobs import REGISTRY
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.models import import_all_models
from app.sharing import partitions
from app.sharing.models import Click, Share
from tests import factories
from tests import factories_analytics as f
from tests.conftest import own_postgres_database
from tests.factories_analytics import DAY, HOUR, T0

# run again here, on the partitioned table (pytest collects imported tests and fixtures)
from tests.test_analytics_retention import (  # noqa: F401
    app_overrides,
    history,
    test_a_batch_bounds_one_run,
    test_clicks_above_the_tallys_floor_are_kept,
    test_frozen_days_are_recomputed_neither_by_the_tally_nor_by_the_rebuild,
    test_old_clicks_go_once_rolled_up_and_the_rollups_stay,
)
from tests.test_analytics_tally import (  # noqa: F401
    rollups,
    scene,
    test_a_click_committed_late_inside_the_overlap_is_counted_once,
    test_each_rollup_equals_the_raw_aggregate_of_its_day,
    test_rebuild_equals_the_incremental_result_and_sets_the_watermark,
    test_running_the_job_twice_gives_the_same_rollups_and_watermark,
    test_the_tally_rolls_every_metric_up_per_share_person_item_topic_and_group,
)
from tests.test_redirect import make_share, visit


def upgraded(url: str, *, complete: bool = True):
    """An engine on ``url`` after ``upgrade head``; ``complete``: tables of the models that
    no migration creates yet are added (the pending features' migration comes last)."""
    import_all_models()
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    if complete:
        Base.metadata.create_all(engine)  # checkfirst: only what the migrations lack
    return engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """Overrides conftest's: this module's databases are built by the migrations."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('partitions') / 'upgraded.db'}"
        return
    with own_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def engine(database_url):
    eng = upgraded(database_url)
    yield eng
    eng.dispose()


def is_pg(db) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def month(year: int, number: int) -> datetime:
    return datetime(year, number, 1, tzinfo=UTC)


#: the months of T0 (the tally and retention tests' events), with one before and one after
T0_MONTHS = [month(2026, 2), month(2026, 3), month(2026, 4)]


@pytest.fixture(autouse=True)
def t0_partitions(request):
    """The partitions of the imported tests' events (the migration made today's months);
    rolled back with the test's transaction, like everything else."""
    if "db" not in request.fixturenames:
        return None
    db = request.getfixturevalue("db")
    created = partitions.ensure_partitions(db, T0_MONTHS[0], months_ahead=2)
    if is_pg(db):
        assert created == {"created": ["clicks_p2026_02", "clicks_p2026_03", "clicks_p2026_04"]}
    return created


def partition_of(db, click_id: int) -> str:
    """The table a click row is stored in (the parent itself on SQLite)."""
    if not is_pg(db):
        return "clicks"
    return db.scalar(text("SELECT tableoid::regclass::text FROM clicks WHERE id = :id"),
                     {"id": click_id})


def names(db) -> list[str]:
    return [p.name for p in partitions.partitions(db)]


def click_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Click))


# --- helpers of the service ---------------------------------------------------------------

def test_months_and_names():
    assert partitions.month_start(datetime(2026, 11, 24, 23, 59, tzinfo=UTC)) == month(2026, 11)
    # 1 December 01:00 at UTC+2 is still November in UTC
    assert partitions.month_start(datetime(2026, 12, 1, 1, tzinfo=timezone(timedelta(hours=2)))
                                  ) == month(2026, 11)
    assert partitions.add_months(month(2026, 11), 2) == month(2027, 1)
    assert partitions.add_months(month(2026, 1), -1) == month(2025, 12)
    assert partitions.partition_name(month(2027, 1)) == "clicks_p2027_01"
    assert partitions.is_partition_table("clicks_p2027_01")
    assert partitions.is_partition_table("clicks_default")
    assert not partitions.is_partition_table("clicks")
    assert not partitions.is_partition_table("clicks_unpartitioned")


def test_the_upkeep_job_is_declared_daily():
    spec = REGISTRY["sharing.click_partitions"]
    assert spec.trigger == {"trigger": "cron", "hour": 3, "minute": 50}
    assert spec.misfire_grace_time > 0 and spec.description
    options = spec.scheduler_options()
    assert options["coalesce"] is True and options["max_instances"] == 1


# --- the migration ------------------------------------------------------------------------

def test_upgrade_head_partitions_clicks_on_postgresql_only(db, engine):
    schema = inspect(engine)
    assert {i["name"] for i in schema.get_indexes("clicks")} == {
        "ix_clicks_at", "ix_clicks_share_id_visitor_at"}
    [fk] = schema.get_foreign_keys("clicks")
    assert (fk["name"], fk["referred_table"], fk["options"].get("ondelete")) == (
        "fk_clicks_share_id_shares", "shares", "CASCADE")
    if not is_pg(db):
        assert not partitions.is_partitioned(db) and partitions.partitions(db) == []
        assert schema.get_pk_constraint("clicks")["constrained_columns"] == ["id"]
        assert not [t for t in schema.get_table_names() if partitions.is_partition_table(t)]
        return
    assert partitions.is_partitioned(db)
    assert schema.get_pk_constraint("clicks")["constrained_columns"] == ["id", "at"]
    # the empty table got the migration day's month and the next two (+ T0's, above)
    today = partitions.month_start(datetime.now(UTC))
    expected = {partitions.partition_name(partitions.add_months(today, n)) for n in range(3)}
    assert expected <= set(names(db))
    assert names(db)[-1] == "clicks_default"
    for p in partitions.partitions(db):
        if not p.is_default:
            assert p.name == partitions.partition_name(p.start)
            assert p.end == partitions.add_months(p.start, 1)


def test_upgrade_with_data_keeps_rows_ids_and_sequence_and_downgrade_reverses_it():
    with own_postgres_database() as url:
        engine = upgraded(url, complete=False)  # downgrade base at the end
        try:
            _upgrade_downgrade_with_data(url, engine)
        finally:
            engine.dispose()


def _rows(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(
        select(Click.id, Click.share_id, Click.at, Click.visitor_hash).order_by(Click.id))]


def _upgrade_downgrade_with_data(url: str, engine) -> None:
    now = partitions.month_start(datetime.now(UTC))
    three_months_ago = partitions.add_months(now, -3)
    far_future = datetime(2031, 6, 1, tzinfo=UTC)
    with Session(engine) as session:
        for factory in factories.ALL:
            factory._meta.sqlalchemy_session = session
        share = f.share(session, f.person(session), f.item(session))
        f.click(session, share, three_months_ago + 5 * DAY, "old")  # no partition: DEFAULT
        f.click(session, share, now + HOUR, "now")
        f.click(session, share, far_future, "future")  # DEFAULT
        session.commit()
        before = _rows(session)
        share_id = share.id

    command.downgrade(alembic_config(url), "0007")  # before 0008: a plain table
    schema = inspect(engine)
    assert schema.get_pk_constraint("clicks")["constrained_columns"] == ["id"]
    assert not [t for t in schema.get_table_names() if partitions.is_partition_table(t)]
    assert {i["name"] for i in schema.get_indexes("clicks")} == {
        "ix_clicks_at", "ix_clicks_share_id_visitor_at"}
    with Session(engine) as session:
        assert not partitions.is_partitioned(session)
        assert _rows(session) == before
        # the sequence still goes on after the old ids
        click = f.click(session, session.get(Share, share_id), now + 2 * HOUR, "plain")
        assert click.id > before[-1][0]
        session.commit()
        before = _rows(session)

    command.upgrade(alembic_config(url), "head")  # partitions the existing rows
    with Session(engine) as session:
        assert partitions.is_partitioned(session)
        # from the oldest click's month to two months ahead, and the DEFAULT partition
        assert names(session) == [
            partitions.partition_name(partitions.add_months(three_months_ago, n))
            for n in range(6)] + ["clicks_default"]
        assert _rows(session) == before  # same ids, same rows
        by_visitor = {r[3]: r[0] for r in before}
        assert partition_of(session, by_visitor["old"]) == partitions.partition_name(
            three_months_ago)
        assert partition_of(session, by_visitor["now"]) == partitions.partition_name(now)
        assert partition_of(session, by_visitor["future"]) == "clicks_default"
        new = Click(share_id=share_id, at=now + 3 * HOUR, visitor_hash="new")
        session.add(new)
        session.flush()
        assert new.id > before[-1][0]
        session.rollback()
        # the foreign key is kept (on the partitioned parent)
        session.add(Click(share_id=share_id + 1000, at=now, visitor_hash="orphan"))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
        # and cascades from shares
        session.execute(text("DELETE FROM shares WHERE id = :id"), {"id": share_id})
        assert click_count(session) == 0
        session.rollback()

    command.downgrade(alembic_config(url), "base")
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()


# --- clicks land in their partition ---------------------------------------------------------

def test_the_redirector_writes_into_the_months_partition(app, client, db):
    share = make_share(db)
    assert visit(client, share.code).status_code == 302
    [click] = db.scalars(select(Click).where(Click.share_id == share.id)).all()
    now = partitions.month_start(datetime.now(UTC))
    assert partition_of(db, click.id) == (
        partitions.partition_name(now) if is_pg(db) else "clicks")


def test_a_month_without_partition_lands_in_default_then_moves_to_its_new_partition(
        app, client, db):
    later = partitions.add_months(partitions.month_start(datetime.now(UTC)), 6) + 3 * DAY
    share = make_share(db)
    with time_machine.travel(later, tick=False):
        assert visit(client, share.code).status_code == 302
    [click] = db.scalars(select(Click).where(Click.share_id == share.id)).all()
    assert click.at == later
    if not is_pg(db):
        assert partitions.ensure_partitions(db, later)["created"] == []
        return
    assert partition_of(db, click.id) == "clicks_default"
    created = partitions.ensure_partitions(db, later)["created"]
    assert created == [partitions.partition_name(partitions.add_months(
        partitions.month_start(later), n)) for n in range(3)]
    assert partition_of(db, click.id) == partitions.partition_name(later)
    assert db.scalar(text("SELECT count(*) FROM clicks_default")) == 0
    assert db.scalars(select(Click.id).where(Click.share_id == share.id)).all() == [click.id]


# --- the upkeep job ---------------------------------------------------------------------------

def test_the_upkeep_job_creates_the_months_ahead_and_twice_is_once(app, db):
    in_five_months = partitions.add_months(partitions.month_start(datetime.now(UTC)), 5)
    with time_machine.travel(in_five_months + 10 * DAY, tick=False):
        first = run_job(app, "sharing.click_partitions")
        after_first = names(db)
        second = run_job(app, "sharing.click_partitions")
    assert first.status == second.status == JobStatus.OK, (first.error, second.error)
    if not is_pg(db):
        assert first.summary["created"] == second.summary["created"] == []
        assert "not partitioned" in first.summary["reason"]
        return
    expected = [partitions.partition_name(partitions.add_months(in_five_months, n))
                for n in range(3)]
    assert first.summary == {"created": expected}
    assert set(expected) <= set(after_first)
    assert second.summary == {"created": []}
    assert names(db) == after_first
    # the new partitions got the parent's indexes (attached), and clicks go there
    indexes = db.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = :t"),
                         {"t": expected[1]}).all()
    assert len(indexes) == 3  # primary key, at, (share, visitor, at)
    share = f.share(db, f.person(db), f.item(db))
    click = f.click(db, share, partitions.add_months(in_five_months, 1) + HOUR)
    assert partition_of(db, click.id) == expected[1]


def test_a_month_partly_covered_by_a_hand_made_partition_is_left_alone(db):
    if not is_pg(db):
        pytest.skip("PostgreSQL partitions")
    db.execute(text("CREATE TABLE clicks_custom PARTITION OF clicks FOR VALUES "
                    "FROM ('2025-06-15 00:00+00') TO ('2025-07-10 00:00+00')"))
    result = partitions.ensure_partitions(db, month(2025, 5), months_ahead=2)
    assert result == {"created": ["clicks_p2025_05"]}  # June and July overlap the custom one
    custom = next(p for p in partitions.partitions(db) if p.name == "clicks_custom")
    assert (custom.start, custom.end) == (datetime(2025, 6, 15, tzinfo=UTC),
                                          datetime(2025, 7, 10, tzinfo=UTC))


# --- retention --------------------------------------------------------------------------------

#: "today" of the retention tests: with 10 days of retention the cutoff is 2026-03-10
TODAY = datetime(2026, 3, 20, 12, tzinfo=UTC)


@pytest.fixture
def months_of_clicks(db):
    """Clicks in January, February and March 2026, tallied for good (the floor is past
    them: two runs an hour apart)."""
    partitions.ensure_partitions(db, month(2026, 1), months_ahead=0)
    share = f.share(db, f.person(db), f.item(db), at=month(2026, 1))
    for at in (month(2026, 1) + 2 * DAY, month(2026, 1) + 20 * DAY,  # January
               month(2026, 2) + 3 * DAY, month(2026, 2) + 27 * DAY,  # February
               month(2026, 3) + DAY, month(2026, 3) + 8 * DAY,  # March, before the cutoff
               month(2026, 3) + 15 * DAY):  # March, after the cutoff
        f.click(db, share, at, f"v{at:%m%d}")
    tally.tally(db, TODAY)
    tally.tally(db, TODAY + HOUR)
    return share


def test_retention_drops_old_months_and_deletes_the_rest(db, months_of_clicks):
    before = rollups(db)
    first = retention.prune_clicks(db, TODAY + HOUR, retention_days=10)
    assert first["before"] == "2026-03-10T00:00:00+00:00"
    if is_pg(db):
        # January and February are entirely before the cutoff: dropped whole (T0's
        # February partition held them); March's two old clicks are deleted
        assert first["dropped_partitions"] == ["clicks_p2026_01", "clicks_p2026_02"]
        assert (first["dropped_clicks"], first["deleted"]) == (4, 2)
        assert "clicks_p2026_01" not in names(db) and "clicks_p2026_03" in names(db)
    else:
        assert "dropped_partitions" not in first and first["deleted"] == 6
    assert first["more"] is False
    assert click_count(db) == 1
    assert db.scalar(select(Click.at)) == month(2026, 3) + 15 * DAY
    assert rollups(db) == before

    second = retention.prune_clicks(db, TODAY + HOUR, retention_days=10)
    assert second["deleted"] == 0 and second.get("dropped_partitions", []) == []
    assert click_count(db) == 1 and rollups(db) == before
    # the tally and the rebuild leave the frozen days as they were
    tally.tally(db, TODAY + 2 * HOUR)
    tally.rebuild(db, TODAY + 2 * HOUR)
    assert rollups(db) == before


def test_a_month_with_a_click_not_yet_read_for_good_is_deleted_row_by_row(
        db, months_of_clicks):
    # a late commit in January: its id is above the tally's floor
    late = f.click(db, months_of_clicks, month(2026, 1) + 9 * DAY, "late")
    result = retention.prune_clicks(db, TODAY + HOUR, retention_days=10)
    if is_pg(db):
        assert result["dropped_partitions"] == ["clicks_p2026_02"]
        assert (result["dropped_clicks"], result["deleted"]) == (2, 4)  # 2 January + 2 March
        assert "clicks_p2026_01" in names(db)
    else:
        assert result["deleted"] == 6
    db.expire_all()
    assert [c.id for c in db.scalars(select(Click).where(Click.at < month(2026, 3) + 9 * DAY))
            ] == [late.id]
    # once the tally has read it for good, the next run drops January
    tally.tally(db, TODAY + 2 * HOUR)
    tally.tally(db, TODAY + 3 * HOUR)
    again = retention.prune_clicks(db, TODAY + 3 * HOUR, retention_days=10)
    if is_pg(db):
        assert again["dropped_partitions"] == ["clicks_p2026_01"]
        assert (again["dropped_clicks"], again["deleted"]) == (1, 0)
    else:
        assert again["deleted"] == 1
    assert click_count(db) == 1


def test_the_tally_reads_every_partition_and_the_default_one(db):
    """One share with clicks in three partitions and the DEFAULT one (no partition for
    that month): the incremental rollups = the raw aggregates = the rebuild's."""
    share = f.share(db, f.person(db), f.item(db), at=T0 - 10 * DAY)
    moments = [month(2026, 2) + 25 * DAY, T0 + HOUR, T0 + 2 * HOUR,  # Feb, March
               month(2026, 4) + 2 * HOUR,  # April
               month(2026, 5) + 2 * HOUR]  # May: no partition, the DEFAULT one
    clicks = [f.click(db, share, at, f"v{n}") for n, at in enumerate(moments)]
    if is_pg(db):
        assert [partition_of(db, c.id) for c in clicks] == [
            "clicks_p2026_02", "clicks_p2026_03", "clicks_p2026_03", "clicks_p2026_04",
            "clicks_default"]
    later = month(2026, 6)
    tally.tally(db, later)
    days = sorted({at.date() for at in moments} | {share.created_at.date()})
    for day in days:
        for kind in sorted(tally.KEYS):
            assert tally.direct_rows(db, day, kind) == tally.stored_rows(db, day, kind)
    incremental = rollups(db)
    assert len(incremental["analytics_share_days"]) == len(days)
    tally.rebuild(db, later)
    assert rollups(db) == incremental
