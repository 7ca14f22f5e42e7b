"""The tally job (``analytics.tally``): what each rollup counts, idempotence (twice = once, a
crash half way then a rerun = a clean run), late commits within the overlap counted once,
events that change other days' buckets, bounded batches, and ``rebuild`` = incremental.

DESIGN.md: every job test runs the job twice and asserts the same state.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import insert, select, update

from app import ROOT
from app.analytics import tally
from app.analytics.models import (
    ROLLUPS,
    GroupDay,
    ItemDay,
    ShareDay,
    UserDay,
    UserTopicDay,
)
from app.jobs import REGISTRY
from app.jobs.models import JobRun, JobStatus
from app.jobs.runner import run_job
from app.jobs.watermark import get_watermark
from app.sharing.models import Click, Share, ShareMethod, ShareStatus
from tests import factories_analytics as f
from tests.factories_analytics import DAY, HOUR, T0

D1, D2 = T0.date(), (T0 + DAY).date()
LATER = T0 + 3 * DAY  # "now" of the runs: every event is in the past


def rollups(db) -> dict[str, list[tuple]]:
    """Every rollup row (without its surrogate id), per table, sorted."""
    db.expire_all()
    return {model.__tablename__: sorted(
        tuple(row) for row in db.execute(select(*(c for c in model.__table__.columns
                                                  if c.name != "id"))))
        for model in ROLLUPS}


def run(app):
    result = run_job(app, "analytics.tally")
    assert result.status == JobStatus.OK, result.error
    return result


def metrics(row) -> dict:
    return {name: getattr(row, name) for name in (
        "shares", "reach", "human_clicks", "unique_clicks", "bot_clicks", "engagements",
        "conversions", "conversion_value")}


@pytest.fixture
def scene(db):
    """Two people (Ana in Sales and Paris, Ben in Sales), two items, three shares over two
    days with every kind of click, conversions, engagement snapshots and points."""
    sales, paris = f.group(db, "Sales"), f.group(db, "Paris")
    news, careers = f.topic(db, "News"), f.topic(db, "Careers")
    ana = f.person(db, groups=[sales, paris])
    ben = f.person(db, groups=[sales])
    launch = f.item(db, topics=[news, careers], title="Launch")
    jobs = f.item(db, topics=[careers], title="Jobs")
    a1 = f.share(db, ana, launch, at=T0, network="linkedin", reach=1000)
    a2 = f.share(db, ana, jobs, at=T0 + HOUR, network="x", reach=50)
    b1 = f.share(db, ben, launch, at=T0 + 2 * HOUR, network="linkedin", reach=300)
    failed = f.share(db, ben, jobs, at=T0, status=ShareStatus.FAILED, method=ShareMethod.API,
                     network="facebook", reach=900)
    # a1: v1 unique, v1 again (repeat), a bot, Ana herself, v2 unique; v1 the next morning
    # (within 24 h: not unique again) and v3 (unique) the next day
    f.click(db, a1, T0 + HOUR, "v1")
    f.click(db, a1, T0 + 2 * HOUR, "v1")
    f.click(db, a1, T0 + 2 * HOUR, "crawler", bot=True)
    f.click(db, a1, T0 + 3 * HOUR, "ana", self_=True)
    f.click(db, a1, T0 + 4 * HOUR, "v2")
    f.click(db, a1, T0 + 14 * HOUR, "v1")
    f.click(db, a1, T0 + 15 * HOUR, "v3")
    f.click(db, a2, T0 + 2 * HOUR, "v1")  # another share: unique there
    f.click(db, b1, T0 + 5 * HOUR, "v4", bot=True)
    f.conversion(db, a1, T0 + 5 * HOUR, "120.50")
    f.conversion(db, a1, T0 + 16 * HOUR, None)
    f.conversion(db, b1, T0 + 6 * HOUR, "30.00")
    # a1's engagement: 3, then 7 by the evening (day 1: +7); 12 the next day (day 2: +5)
    f.snapshot(db, a1, T0 + HOUR, likes=3)
    f.snapshot(db, a1, T0 + 6 * HOUR, likes=5, comments=1, reshares=1)
    f.snapshot(db, a1, T0 + DAY, likes=9, comments=2, reshares=1)
    f.points(db, ana, T0, 5)
    f.points(db, ana, T0 + HOUR, 5)
    f.points(db, ben, T0 + DAY, 10)
    f.points(db, ben, T0 + DAY + HOUR, -3)
    return {"ana": ana, "ben": ben, "sales": sales, "paris": paris, "news": news,
            "careers": careers, "launch": launch, "jobs": jobs, "a1": a1, "a2": a2, "b1": b1,
            "failed": failed}


def test_the_jobs_are_declared():
    assert REGISTRY["analytics.tally"].trigger == {"trigger": "interval", "minutes": 5}
    assert REGISTRY["analytics.retention"].trigger == {"trigger": "cron", "hour": 4,
                                                       "minute": 10}
    for job_id in ("analytics.tally", "analytics.retention"):
        options = REGISTRY[job_id].scheduler_options()
        assert options["coalesce"] is True and options["max_instances"] == 1
        assert REGISTRY[job_id].misfire_grace_time > 0 and REGISTRY[job_id].description


@time_machine.travel(LATER, tick=False)
def test_the_tally_rolls_every_metric_up_per_share_person_item_topic_and_group(app, db, scene):
    result = run(app)
    assert result.summary["days"] == 2 and result.summary["more"] is False

    a1_d1 = db.scalar(select(ShareDay).where(ShareDay.day == D1,
                                             ShareDay.share_id == scene["a1"].id))
    assert metrics(a1_d1) == {"shares": 1, "reach": 1000, "human_clicks": 3, "unique_clicks": 2,
                              "bot_clicks": 1, "engagements": 7, "conversions": 1,
                              "conversion_value": Decimal("120.50")}
    a1_d2 = db.scalar(select(ShareDay).where(ShareDay.day == D2,
                                             ShareDay.share_id == scene["a1"].id))
    assert metrics(a1_d2) == {"shares": 0, "reach": 0, "human_clicks": 2, "unique_clicks": 1,
                              "bot_clicks": 0, "engagements": 5, "conversions": 1,
                              "conversion_value": Decimal("0.00")}
    # the failed API share counts nowhere
    assert db.scalar(select(ShareDay).where(ShareDay.share_id == scene["failed"].id)) is None
    assert db.scalar(select(UserDay).where(UserDay.network == "facebook")) is None

    ana = {(r.day, r.network): r for r in db.scalars(
        select(UserDay).where(UserDay.user_id == scene["ana"].id))}
    assert set(ana) == {(D1, "linkedin"), (D1, "x"), (D1, ""), (D2, "linkedin")}
    assert metrics(ana[D1, "x"])["unique_clicks"] == 1 and ana[D1, "x"].shares == 1
    assert ana[D1, ""].points == 10 and ana[D1, ""].shares == 0  # points: no network
    assert ana[D1, "linkedin"].points == 0
    ben = {(r.day, r.network): r for r in db.scalars(
        select(UserDay).where(UserDay.user_id == scene["ben"].id))}
    assert ben[D2, ""].points == 7  # 10 - 3: corrections count on their day
    assert metrics(ben[D1, "linkedin"]) == {
        "shares": 1, "reach": 300, "human_clicks": 0, "unique_clicks": 0, "bot_clicks": 1,
        "engagements": 0, "conversions": 1, "conversion_value": Decimal("30.00")}

    launch = {r.network: r for r in db.scalars(
        select(ItemDay).where(ItemDay.item_id == scene["launch"].id, ItemDay.day == D1))}
    assert launch["linkedin"].shares == 2 and launch["linkedin"].reach == 1300
    assert launch["linkedin"].conversion_value == Decimal("150.50")

    topics = {(r.user_id, r.topic_id): r for r in db.scalars(
        select(UserTopicDay).where(UserTopicDay.day == D1))}
    # Launch has two topics: Ana's share of it counts in both; Jobs only in Careers
    assert topics[scene["ana"].id, scene["news"].id].unique_clicks == 2
    assert topics[scene["ana"].id, scene["careers"].id].unique_clicks == 3
    assert topics[scene["ana"].id, scene["careers"].id].shares == 2

    groups = {(r.group_id, r.network): r for r in db.scalars(
        select(GroupDay).where(GroupDay.day == D1))}
    sales_li = groups[scene["sales"].id, "linkedin"]
    assert (sales_li.shares, sales_li.sharers, sales_li.reach) == (2, 2, 1300)
    assert sales_li.human_clicks == 3 and sales_li.conversions == 2
    # a person in several groups counts in each
    assert groups[scene["paris"].id, "linkedin"].unique_clicks == 2
    assert groups[scene["sales"].id, ""].points == 10
    assert (scene["paris"].id, "") in groups and groups[scene["paris"].id, ""].sharers == 0


@time_machine.travel(LATER, tick=False)
def test_running_the_job_twice_gives_the_same_rollups_and_watermark(app, db, scene):
    run(app)
    first, position = rollups(db), get_watermark(db, "analytics.tally")
    assert first["analytics_share_days"]

    second = run(app)
    assert rollups(db) == first
    assert get_watermark(db, "analytics.tally")["pos"] == position["pos"]
    assert second.summary["more"] is False
    assert [r.status for r in db.scalars(select(JobRun).where(
        JobRun.job_id == "analytics.tally"))] == [JobStatus.OK, JobStatus.OK]


@time_machine.travel(LATER, tick=False)
def test_a_crash_half_way_rolls_everything_back_and_the_rerun_equals_a_clean_run(
        app, db, scene, monkeypatch):
    calls = []
    real = tally.compute_day

    def crash_on_the_second_day(session, day, **kwargs):
        calls.append(day)
        if len(calls) == 2:
            raise RuntimeError("killed half way")
        return real(session, day, **kwargs)

    monkeypatch.setattr(tally, "compute_day", crash_on_the_second_day)
    failed = run_job(app, "analytics.tally")
    assert failed.status == JobStatus.FAILED and "killed half way" in failed.error
    assert all(not rows for rows in rollups(db).values())  # day 1 was rolled back too
    assert get_watermark(db, "analytics.tally") is None

    monkeypatch.setattr(tally, "compute_day", real)
    run(app)
    after_crash = rollups(db)
    with app.app_context():
        from app.db import get_database

        with get_database().unit_of_work() as session:
            tally.rebuild(session, LATER)
    assert rollups(db) == after_crash


def test_a_click_committed_late_inside_the_overlap_is_counted_once(db):
    """PostgreSQL takes ids at insert and rows become visible at commit: a click with a
    smaller id can appear after a run has moved past it."""
    ana = f.person(db)
    s = f.share(db, ana, f.item(db), at=T0)
    f.click(db, s, T0 + HOUR, "v1", id=1_000_001)
    f.click(db, s, T0 + HOUR, "v3", id=1_000_003)
    tally.tally(db, T0 + 2 * HOUR)
    assert tally.user_day_rows(db, D1)[0][4:6] == (2, 2)

    f.click(db, s, T0 + HOUR, "v2", id=1_000_002)  # its transaction commits only now
    for minutes in (5, 10, 14):  # each run within the 15-minute overlap re-scans it
        tally.tally(db, T0 + 2 * HOUR + timedelta(minutes=minutes))
        assert tally.user_day_rows(db, D1)[0][4:6] == (3, 3)
    state = tally.load_state(db)
    tally.tally(db, T0 + 3 * HOUR)
    assert tally.user_day_rows(db, D1)[0][4:6] == (3, 3)
    assert tally.load_state(db).floor["clicks"] >= state.floor["clicks"]


def test_a_row_committed_later_than_the_overlap_waits_for_a_rebuild(db):
    """The documented limit: the overlap must exceed the longest write transaction."""
    ana = f.person(db)
    s = f.share(db, ana, f.item(db), at=T0)
    f.click(db, s, T0 + HOUR, "v1", id=2_000_001)
    f.click(db, s, T0 + HOUR, "v3", id=2_000_003)
    tally.tally(db, T0 + 2 * HOUR)
    tally.tally(db, T0 + 3 * HOUR)  # an hour later: 2,000,003 is now below the floor
    f.click(db, s, T0 + HOUR, "v2", id=2_000_002)
    tally.tally(db, T0 + 3 * HOUR + timedelta(minutes=5))
    assert tally.user_day_rows(db, D1)[0][4] == 2
    tally.rebuild(db, T0 + 4 * HOUR)
    assert tally.user_day_rows(db, D1)[0][4] == 3


def test_a_late_click_makes_the_next_days_click_of_the_same_visitor_not_unique(db):
    ana = f.person(db)
    s = f.share(db, ana, f.item(db), at=T0)
    f.click(db, s, T0 + 13 * HOUR, "v1")  # day 2, 01:00
    tally.tally(db, LATER)
    assert tally.user_day_rows(db, D2)[0][4:6] == (1, 1)

    f.click(db, s, T0 + 11 * HOUR, "v1")  # day 1, 23:00: written later, happened before
    tally.tally(db, LATER + HOUR)
    assert tally.user_day_rows(db, D1)[0][4:6] == (1, 1)
    assert tally.user_day_rows(db, D2)[0][4:6] == (1, 0)  # within 24 h of the late one


def test_a_late_snapshot_changes_the_increase_of_the_following_days(db):
    ana = f.person(db)
    s = f.share(db, ana, f.item(db), at=T0, method=ShareMethod.API,
                status=ShareStatus.POSTED, posted_at=T0)
    f.snapshot(db, s, T0 + HOUR, likes=10)
    f.snapshot(db, s, T0 + DAY, likes=15)
    tally.tally(db, LATER)
    assert [r[7] for r in (tally.user_day_rows(db, D1) + tally.user_day_rows(db, D2))] == [10, 5]

    f.snapshot(db, s, T0 + 10 * HOUR, likes=12, source="csv")  # an import of day 1, later
    tally.tally(db, LATER + HOUR)
    assert [r[7] for r in (tally.user_day_rows(db, D1) + tally.user_day_rows(db, D2))] == [12, 3]


def test_a_scheduled_share_counts_on_the_day_it_is_posted_and_a_failed_one_never(db):
    ana = f.person(db)
    later = f.share(db, ana, f.item(db), at=T0, method=ShareMethod.API,
                    status=ShareStatus.SCHEDULED, network="x", reach=70)
    failing = f.share(db, ana, f.item(db), at=T0, method=ShareMethod.API,
                      status=ShareStatus.SCHEDULED, network="linkedin", reach=500)
    tally.tally(db, T0 + HOUR)
    assert tally.user_day_rows(db, D1) == []
    assert tally.load_state(db).pending == sorted([later.id, failing.id])

    # the posting job changes rows, it adds none: the tally notices the status change
    db.execute(update(Share).where(Share.id == later.id)
               .values(status=ShareStatus.POSTED, posted_at=T0 + DAY))
    db.execute(update(Share).where(Share.id == failing.id).values(status=ShareStatus.FAILED))
    tally.tally(db, T0 + DAY + HOUR)
    assert tally.user_day_rows(db, D1) == []
    assert [r[:4] for r in tally.user_day_rows(db, D2)] == [(ana.id, "x", 1, 70)]
    assert tally.load_state(db).pending == []


def test_a_run_is_bounded_and_the_next_runs_work_the_backlog_off(db, scene):
    options = tally.TallyOptions(batch=3)
    summaries = [tally.tally(db, LATER, options)]
    assert summaries[0]["more"] is True
    while summaries[-1]["more"]:
        summaries.append(tally.tally(db, LATER, options))
        assert len(summaries) < 10
    incremental = rollups(db)
    tally.rebuild(db, LATER)
    assert rollups(db) == incremental


def test_group_rows_follow_the_memberships_at_tally_time(db, scene):
    tally.tally(db, LATER)
    marketing = f.group(db, "Marketing")
    f.join(db, scene["ben"], marketing)
    # nothing new about Ben: his past days stay where they were tallied
    tally.tally(db, LATER + HOUR)
    assert db.scalar(select(GroupDay).where(GroupDay.group_id == marketing.id)) is None
    # a new event of his day 1 recomputes it, now with his new group
    f.click(db, scene["b1"], T0 + 7 * HOUR, "v9")
    tally.tally(db, LATER + 2 * HOUR)
    row = db.scalar(select(GroupDay).where(GroupDay.group_id == marketing.id,
                                           GroupDay.day == D1, GroupDay.network == "linkedin"))
    assert (row.shares, row.human_clicks, row.sharers) == (1, 1, 1)


def test_a_deleted_group_takes_its_rows_along(db, scene):
    tally.tally(db, LATER)
    assert db.scalar(select(GroupDay).where(GroupDay.group_id == scene["paris"].id))
    db.delete(scene["paris"])
    db.flush()
    db.expire_all()
    assert db.scalar(select(GroupDay).where(GroupDay.group_id == scene["paris"].id)) is None


@pytest.mark.parametrize("kind", sorted(tally.KEYS))
def test_each_rollup_equals_the_raw_aggregate_of_its_day(db, scene, kind):
    """The same numbers computed in one aggregate straight over the raw events (the
    benchmark's baseline) equal the stored rows of every rollup, every day."""
    tally.tally(db, LATER)
    for day in (D1, D2):
        assert tally.direct_rows(db, day, kind) == tally.stored_rows(db, day, kind)
        assert tally.stored_rows(db, day, kind)


# --- rebuild ------------------------------------------------------------------------------------


def test_rebuild_equals_the_incremental_result_and_sets_the_watermark(db, scene):
    tally.tally(db, LATER)
    incremental = rollups(db)
    tally.snapshot_rollups(db)
    summary = tally.rebuild(db, LATER)
    assert tally.compare_with_snapshot(db) == {}
    assert rollups(db) == incremental
    assert summary["rows"]["analytics_share_days"] == len(incremental["analytics_share_days"])
    # the next run has nothing new to read
    assert tally.tally(db, LATER + timedelta(hours=1))["new_ids"] == {}


def test_compare_reports_missing_and_extra_rows(db, scene):
    tally.tally(db, LATER)
    tally.snapshot_rollups(db)
    db.execute(update(UserDay).where(UserDay.user_id == scene["ana"].id,
                                     UserDay.network == "x").values(unique_clicks=99))
    db.execute(insert(ItemDay).values(day=D2, item_id=scene["jobs"].id, network="email",
                                      shares=1, reach=0, human_clicks=0, unique_clicks=0,
                                      bot_clicks=0, engagements=0, conversions=0,
                                      conversion_value=0))
    differences = tally.compare_with_snapshot(db)
    assert differences["analytics_user_days"]["missing"] == 1
    assert differences["analytics_user_days"]["extra"] == 1
    items = differences["analytics_item_days"]
    assert (items["missing"], items["extra"]) == (0, 1)
    assert items["examples"][0][0] == "extra"
    assert items["examples"][0][1]["network"] == "email"
    assert "analytics_share_days" not in differences


def test_the_cli_rebuild_and_its_verify_dry_run(app, db, scene):
    cli = app.test_cli_runner()
    with time_machine.travel(LATER, tick=False):
        result = cli.invoke(args=["analytics", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rollups rebuilt." in result.output
    rebuilt = rollups(db)
    assert rebuilt["analytics_share_days"]

    result = cli.invoke(args=["analytics", "rebuild", "--verify"])
    assert result.exit_code == 0, result.output
    assert "equal the current ones" in result.output

    db.execute(update(ShareDay).values(human_clicks=ShareDay.human_clicks + 1))
    db.flush()
    tampered = rollups(db)
    result = cli.invoke(args=["analytics", "rebuild", "--verify"])
    assert result.exit_code == 1
    assert "differ" in result.output and "analytics_share_days" in result.output
    assert rollups(db) == tampered  # a dry run: nothing changed

    assert cli.invoke(args=["analytics", "rebuild"]).exit_code == 0
    assert rollups(db) == rebuilt


def test_clicks_read_by_the_tally_are_only_those_of_the_id_window(db, scene):
    """The summary says how many new ids of each source a run read."""
    first = tally.tally(db, LATER)
    clicks = db.scalar(select(Click.id).order_by(Click.id.desc()).limit(1))
    assert first["new_ids"]["clicks"] == clicks
    f.click(db, scene["a2"], T0 + 3 * HOUR, "v7")
    second = tally.tally(db, LATER + timedelta(hours=1))
    assert second["new_ids"] == {"clicks": 1}
    assert second["buckets"]["share_days"] == 1


def test_the_tally_runs_once_as_a_subprocess_of_the_cli(tmp_path):
    """``flask jobs run-once analytics.tally`` in its own process (a kill -9 test drives it
    the same way): it commits its rollups and its watermark."""
    from app.db import Base, Database
    from app.models import import_all_models
    from tests import factories

    url = f"sqlite:///{tmp_path / 'relais.db'}"
    import_all_models()
    database = Database(url)
    Base.metadata.create_all(database.engine)
    with database.unit_of_work() as session:
        for factory in factories.ALL:
            factory._meta.sqlalchemy_session = session
        ana = f.person(session)
        share = f.share(session, ana, f.item(session), at=T0)
        f.click(session, share, T0 + HOUR, "v1")
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "s" * 40,
           "RELAIS_INSTANCE_DIR": str(tmp_path)}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "jobs",
                               "run-once", "analytics.tally"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    with database.unit_of_work(write=False) as session:
        assert [row[:6] for row in tally.user_day_rows(session, D1)] == [
            (ana.id, "linkedin", 1, 100, 1, 1)]
        assert tally.load_state(session).pos["clicks"] >= 1
    database.dispose()
