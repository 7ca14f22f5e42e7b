"""kill -9 half way through the tally (issue 7: "running it twice, or killing it half way
(kill -9) and running it again, gives identical rollups"), on SQLite and PostgreSQL.

The job runs as the scheduler would run it, in its own process (``flask --app wsgi jobs
run-once analytics.tally``, or ``analytics rebuild``), through tests/tally_kill_wrapper.py:
once the run has written the rollups of its first day (inside its still open
transaction) the wrapper writes a marker file and sleeps, and the test SIGKILLs it there.
Nothing of the killed run may be committed (rollups and watermark as before it); the
next run, and the one after, give the rollups of a full rebuild and a consistent
watermark.

Each test has a database of its own (a file for SQLite; on PostgreSQL a private database
beside TEST_DATABASE_URL, skipped without it), since the processes commit.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app import ROOT
from app.accounts.models import User
from app.analytics import tally
from app.content.models import ContentItem
from app.db import Base, Database
from app.jobs.runner import advisory_lock_key
from app.jobs.watermark import get_watermark
from app.models import import_all_models
from app.sharing.models import ShareMethod, ShareStatus
from tests import factories
from tests import factories_analytics as f
from tests.conftest import own_postgres_database
from tests.factories_analytics import DAY, HOUR
from tests.test_analytics_tally import rollups

WRAPPER = Path(__file__).with_name("tally_kill_wrapper.py")
#: every wait of these tests is bounded (seconds)
RUN_TIMEOUT, MARKER_TIMEOUT, KILL_TIMEOUT = 120, 60, 15
TALLY = ("jobs", "run-once", "analytics.tally")
REBUILD = ("analytics", "rebuild")


# --- a database of the test's own, and the processes that write to it -----------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(request, tmp_path):
    """An empty schema in a database of this test only (the processes commit to it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'relais.db'}"
        yield from _schema(url)
        return
    with own_postgres_database() as url:
        yield from _schema(url)


def _schema(url: str):
    import_all_models()
    db = Database(url)
    Base.metadata.create_all(db.engine)
    try:
        yield db
    finally:
        db.dispose()


class Cli:
    """``flask --app wsgi …`` in child processes, on the test's database."""

    def __init__(self, database: Database, tmp_path: Path):
        self.database, self.tmp_path = database, tmp_path
        self.env = {**os.environ, "DATABASE_URL": database.engine.url.render_as_string(
                        hide_password=False),
                    "SECRET_KEY": "s" * 40, "RELAIS_INSTANCE_DIR": str(tmp_path)}
        self.env.pop("TEST_DATABASE_URL", None)

    def run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                              cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def tally(self) -> dict:
        """One run of the job; its summary."""
        status, _, summary = self.run(*TALLY).partition("\n")
        assert status.startswith("analytics.tally: ok"), status + summary
        return json.loads(summary)

    def kill_half_way(self, *args: str) -> dict:
        """Start ``args`` through the wrapper, SIGKILL it once its first day is computed
        (mid-transaction); returns what the wrapper said about that moment."""
        marker = self.tmp_path / f"killed-{time.monotonic_ns()}.json"
        log = (self.tmp_path / f"{marker.stem}.log").open("w")
        with log:
            process = subprocess.Popen([sys.executable, str(WRAPPER), str(marker), *args],
                                       cwd=ROOT, env=self.env, stdout=log,
                                       stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + MARKER_TIMEOUT
                while not marker.exists():
                    assert process.poll() is None, (
                        f"ended before the kill ({process.returncode}): "
                        + Path(log.name).read_text())
                    assert time.monotonic() < deadline, "no marker: " + Path(log.name).read_text()
                    time.sleep(0.05)
                os.kill(process.pid, signal.SIGKILL)
                assert process.wait(timeout=KILL_TIMEOUT) == -signal.SIGKILL
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=KILL_TIMEOUT)
        said = json.loads(marker.read_text())
        assert said["pid"] == process.pid
        self._wait_for_the_server_to_roll_back()
        return said

    def _wait_for_the_server_to_roll_back(self) -> None:
        """PostgreSQL rolls the killed client's transaction back when it notices the closed
        connection (at once, normally): wait until the tally's advisory lock is free, so the
        next run is not skipped. (SQLite: the dead process's file locks are gone.)"""
        if self.database.engine.dialect.name != "postgresql":
            return
        deadline = time.monotonic() + KILL_TIMEOUT
        while True:
            with self.database.engine.connect() as conn:
                if conn.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"),
                               {"key": advisory_lock_key(tally.TALLY_JOB)}):
                    return
            assert time.monotonic() < deadline, "the killed run's transaction is still open"
            time.sleep(0.05)


@pytest.fixture
def cli(own_database, tmp_path):
    return Cli(own_database, tmp_path)


# --- the scene ----------------------------------------------------------------------------------


def _midnight(days_ago: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - days_ago * DAY


def events(session, people, items, start: datetime, days: int, rng: random.Random) -> None:
    """Shares (intents and posted API shares, some failed) each day, with human, repeated,
    self and bot clicks (some the next morning), conversions, engagement snapshots and
    points."""
    for d in range(days):
        day = start + d * DAY
        for person in people:
            for n in range(rng.randint(1, 3)):
                at = day + timedelta(hours=rng.randint(1, 20), minutes=n)
                api = rng.random() < 0.3
                share = f.share(session, person, rng.choice(items), at=at,
                                network=rng.choice(("linkedin", "x", "facebook")),
                                reach=rng.randint(10, 2000),
                                method=ShareMethod.API if api else ShareMethod.INTENT,
                                status=(ShareStatus.FAILED if api and rng.random() < 0.2
                                        else ShareStatus.POSTED if api else ShareStatus.OPENED),
                                posted_at=at if api else None)
                for c in range(rng.randint(0, 8)):
                    f.click(session, share, at + timedelta(minutes=10 + 97 * c),
                            f"v{rng.randint(1, 12)}", bot=rng.random() < 0.1,
                            self_=rng.random() < 0.05)
                if rng.random() < 0.3:
                    f.conversion(session, share, at + 2 * HOUR,
                                 rng.choice((None, "10.00", "99.90")))
                if api:
                    for h in (1, 5, 26):
                        f.snapshot(session, share, at + h * HOUR, likes=h + rng.randint(0, 3),
                                   comments=rng.randint(0, 2))
            f.points(session, person, day + 6 * HOUR, rng.choice((5, 10, -2)))


@pytest.fixture
def scene(own_database):
    """Eight people in three groups, six items on three topics, four days of events ending
    four days ago; returns a function adding the later events (two more days)."""
    rng = random.Random(7)
    with own_database.unit_of_work() as session:
        for factory in factories.ALL:
            factory._meta.sqlalchemy_session = session
        groups = [f.group(session, name) for name in ("Sales", "Paris", "Tech")]
        topics = [f.topic(session, name) for name in ("News", "Careers", "Tech")]
        people = [f.person(session, groups=[groups[n % 3]] + ([groups[1]] if n % 4 == 0 else []))
                  for n in range(8)]
        items = [f.item(session, topics=topics[n % 3:n % 3 + 1 + n % 2]) for n in range(6)]
        events(session, people, items, _midnight(8), 4, rng)
        ids = ([p.id for p in people], [i.id for i in items])

    def later():
        """A late share and click on the first, already tallied, day, and two new days of
        events."""
        with own_database.unit_of_work() as session:
            for factory in factories.ALL:
                factory._meta.sqlalchemy_session = session
            them = [session.get(User, i) for i in ids[0]]
            things = [session.get(ContentItem, i) for i in ids[1]]
            events(session, them, things, _midnight(3), 2, rng)
            # on the first day: the first day a run computes changes too
            old = f.share(session, them[0], things[0], at=_midnight(8) + 3 * HOUR)
            f.click(session, old, _midnight(8) + 22 * HOUR, "late")

    return later


# --- what is committed ----------------------------------------------------------------------


def committed(database: Database) -> tuple[dict, dict | None]:
    """The committed rollups and the tally's watermark."""
    with database.unit_of_work(write=False) as session:
        return rollups(session), get_watermark(session, tally.TALLY_JOB)


def assert_rollups_equal_a_rebuild_and_the_watermark_is_complete(database: Database) -> None:
    session = database.new_session(write=True)
    try:
        state = tally.load_state(session)
        assert state.pos == tally.max_ids(session)  # every event read, nothing pending
        assert state.pending == []
        tally.snapshot_rollups(session, "tallied")
        assert sum(len(rows) for rows in rollups(session).values()) > 100
        tally.rebuild(session, datetime.now(UTC))
        differences = tally.compare_with_snapshot(session, "tallied")
        assert differences == {}, tally.describe_differences(differences)
    finally:
        session.rollback()  # the rebuild was only the reference
        session.close()


def assert_the_killed_run_was_under_way(said: dict) -> None:
    """The kill hit an open transaction holding rows of at least one day."""
    assert said["share_days"] > 0 and said["user_days"] > 0


# --- the tests ------------------------------------------------------------------------------


def test_a_first_run_killed_half_way_commits_nothing_and_the_reruns_equal_a_rebuild(
        cli, own_database, scene):
    said = cli.kill_half_way(*TALLY)
    assert_the_killed_run_was_under_way(said)
    rows, watermark = committed(own_database)
    assert all(not table for table in rows.values()) and watermark is None

    cli.tally()
    once = committed(own_database)
    assert_rollups_equal_a_rebuild_and_the_watermark_is_complete(own_database)
    cli.tally()
    twice = committed(own_database)
    assert twice[0] == once[0]
    assert twice[1]["pos"] == once[1]["pos"]


@pytest.mark.parametrize("overlap", ["15", "0"])
def test_a_second_run_killed_half_way_leaves_the_first_runs_state_and_the_rerun_catches_up(
        cli, own_database, scene, overlap):
    """With the default overlap the second run (within 15 minutes) re-scans every id;
    without one it reads only the ids past the first run's."""
    cli.env["ANALYTICS_TALLY_OVERLAP_MINUTES"] = overlap
    cli.tally()
    first = committed(own_database)
    scene()  # later events: a late share of the first day, two new days
    said = cli.kill_half_way(*TALLY)
    assert_the_killed_run_was_under_way(said)
    assert said["day"] == _midnight(8).date().isoformat()  # a day the late share changes
    assert committed(own_database) == first  # rollups and watermark as the first run left them

    summary = cli.tally()
    once = committed(own_database)
    read_from = 0 if overlap == "15" else first[1]["pos"]["clicks"]
    assert summary["new_ids"]["clicks"] == once[1]["pos"]["clicks"] - read_from
    assert once[0] != first[0]
    assert_rollups_equal_a_rebuild_and_the_watermark_is_complete(own_database)
    cli.tally()
    assert committed(own_database)[0] == once[0]


def test_a_rebuild_killed_half_way_leaves_the_rollups_as_they_were(cli, own_database, scene):
    scene()
    cli.tally()
    before = committed(own_database)
    said = cli.kill_half_way(*REBUILD)
    assert_the_killed_run_was_under_way(said)
    assert committed(own_database) == before

    assert "Rollups rebuilt." in cli.run(*REBUILD)
    assert committed(own_database)[0] == before[0]
    assert "equal the current ones" in cli.run(*REBUILD, "--verify")
    cli.tally()
    assert committed(own_database)[0] == before[0]
    assert_rollups_equal_a_rebuild_and_the_watermark_is_complete(own_database)
