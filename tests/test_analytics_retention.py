"""The retention job (``analytics.retention``): raw clicks older than the retention period
are deleted once rolled up for good; the rollups stay, and the days whose clicks are gone
are frozen (neither the tally nor the rebuild recomputes them).

DESIGN.md: every job test runs the job twice and asserts the same state.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.analytics import retention, tally
from app.jobs.models import JobStatus
from app.jobs.runner import run_job
from app.jobs.watermark import get_watermark
from app.sharing.models import Click
from tests import factories_analytics as f
from tests.factories_analytics import DAY, HOUR, T0
from tests.test_analytics_tally import rollups

#: "today" of these tests: T0 + 12 days; with 10 days of retention the cutoff is T0 + 2 days
TODAY = T0 + 12 * DAY


@pytest.fixture
def app_overrides():
    return {"ANALYTICS_CLICK_RETENTION_DAYS": 10}


def clicks(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Click))


@pytest.fixture
def history(db):
    """Clicks on each of the last 12 days, on one share made at T0."""
    ana = f.person(db)
    share = f.share(db, ana, f.item(db), at=T0)
    for day in range(12):
        f.click(db, share, T0 + day * DAY + HOUR, f"v{day}")
        f.click(db, share, T0 + day * DAY + 2 * HOUR, f"v{day}")
    return share


def test_nothing_is_deleted_before_the_tally_has_run(app, db, history):
    with time_machine.travel(TODAY, tick=False):
        result = run_job(app, "analytics.retention")
    assert result.status == JobStatus.OK, result.error
    assert result.summary == {"deleted": 0, "reason": "the tally has not run yet"}
    assert clicks(db) == 24


def test_old_clicks_go_once_rolled_up_and_the_rollups_stay(app, db, history):
    with time_machine.travel(TODAY, tick=False):
        assert run_job(app, "analytics.tally").status == JobStatus.OK
    # an hour later the tally's floor is past every click (the overlap has elapsed)
    with time_machine.travel(TODAY + HOUR, tick=False):
        assert run_job(app, "analytics.tally").status == JobStatus.OK
        before = rollups(db)
        first = run_job(app, "analytics.retention")
    assert first.status == JobStatus.OK, first.error
    cutoff_day = (TODAY - 10 * DAY).date()
    assert first.summary["deleted"] == 4  # the two days before the cutoff day
    assert first.summary["frozen_before"] == (cutoff_day + timedelta(days=1)).isoformat()
    assert clicks(db) == 20
    assert db.scalar(select(func.min(Click.at))) >= T0 + 2 * DAY
    assert rollups(db) == before  # never touched

    with time_machine.travel(TODAY + HOUR, tick=False):
        second = run_job(app, "analytics.retention")
    assert second.summary["deleted"] == 0 and clicks(db) == 20
    assert rollups(db) == before


def test_frozen_days_are_recomputed_neither_by_the_tally_nor_by_the_rebuild(db, history):
    tally.tally(db, TODAY)
    tally.tally(db, TODAY + HOUR)
    retention.prune_clicks(db, TODAY + HOUR, retention_days=10)
    before = rollups(db)
    horizon = tally.frozen_before(db)
    assert horizon == (TODAY - 9 * DAY).date()

    # a late conversion on a frozen day is not counted (its day cannot be recomputed)...
    f.conversion(db, history, T0 + 3 * HOUR)
    summary = tally.tally(db, TODAY + 2 * HOUR)
    assert summary["frozen_before"] == horizon.isoformat()
    assert rollups(db) == before
    # ...and the rebuild keeps the frozen days as they are
    tally.rebuild(db, TODAY + 3 * HOUR)
    assert rollups(db) == before
    tally.snapshot_rollups(db, since=horizon)
    tally.rebuild(db, TODAY + 3 * HOUR)
    assert tally.compare_with_snapshot(db, since=horizon) == {}


def test_clicks_above_the_tallys_floor_are_kept(db, history):
    tally.tally(db, TODAY)  # the floor is still 0: within the overlap nothing is final
    result = retention.prune_clicks(db, TODAY + timedelta(minutes=5), retention_days=10)
    assert result["deleted"] == 0
    assert clicks(db) == 24


def test_retention_zero_keeps_everything(db, history):
    tally.tally(db, TODAY)
    tally.tally(db, TODAY + HOUR)
    assert retention.prune_clicks(db, TODAY + HOUR, retention_days=0) == {
        "deleted": 0, "reason": "retention disabled"}
    assert clicks(db) == 24


def test_a_batch_bounds_one_run(db, history):
    tally.tally(db, TODAY)
    tally.tally(db, TODAY + HOUR)
    first = retention.prune_clicks(db, TODAY + HOUR, retention_days=10, batch=3)
    assert (first["deleted"], first["more"]) == (3, True)
    second = retention.prune_clicks(db, TODAY + HOUR, retention_days=10, batch=3)
    assert (second["deleted"], second["more"]) == (1, False)
    assert get_watermark(db, "analytics.retention")["frozen_before"] == first["frozen_before"]
