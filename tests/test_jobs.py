"""Scheduled jobs: the registry and its scheduler options, the runner (unit of work, JobRun
history, advisory lock), watermarks, the CLI, and the accounts retention job.

DESIGN.md: every job test runs the job twice and asserts the same state.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import current_app, has_app_context, has_request_context
from sqlalchemy import select, text

from app import ROOT
from app.accounts.models import AccountToken, ImportBatch, TokenPurpose, Topic
from app.jobs import REGISTRY, JobSpec, build_scheduler
from app.jobs.models import JobRun, JobStatus, JobWatermark
from app.jobs.runner import advisory_lock_key, run_job
from app.jobs.watermark import get_watermark, set_watermark
from tests import factories

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def runs(db, job_id: str) -> list[JobRun]:
    return list(db.scalars(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)))


def spec(job_id: str, func, **kwargs) -> JobSpec:
    return JobSpec(id=job_id, func=func, trigger={"trigger": "interval", "minutes": 5},
                   misfire_grace_time=60, description="a test job", **kwargs)


# --- the registry and the scheduler ----------------------------------------------------------


def test_every_job_is_declared_once_with_a_stable_id_and_a_description():
    assert REGISTRY, "at least one job is declared"
    for job_id, job in REGISTRY.items():
        assert job.id == job_id
        assert "." in job_id, "ids are '<feature>.<name>'"
        assert callable(job.func)
        assert job.description.strip()
        assert job.misfire_grace_time > 0
        job.make_trigger()  # a valid APScheduler trigger


def test_the_scheduler_gets_every_job_with_coalesce_one_instance_and_grace_time(app):
    scheduler = build_scheduler(app, BackgroundScheduler)
    assert not scheduler.running
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(REGISTRY)
    for job_id, job in jobs.items():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == REGISTRY[job_id].misfire_grace_time
        assert job.func is run_job
        assert job.args == (app, REGISTRY[job_id])
        assert job.trigger.timezone == UTC


def test_the_default_scheduler_is_blocking_and_not_started(app):
    scheduler = build_scheduler(app)
    assert isinstance(scheduler, BlockingScheduler)
    assert not scheduler.running
    assert len(scheduler.get_jobs()) == len(REGISTRY)


def test_the_prune_job_runs_daily_at_half_past_three_utc():
    trigger = REGISTRY["accounts.prune"].make_trigger()
    assert isinstance(trigger, CronTrigger)
    assert trigger.get_next_fire_time(None, NOW) == datetime(2026, 6, 16, 3, 30,
                                                             tzinfo=UTC)


def test_advisory_lock_keys_are_stable_signed_64_bit_integers():
    # the key must not change between releases: two versions may run side by side
    assert advisory_lock_key("accounts.prune") == -6318236043544034044
    keys = {advisory_lock_key(job_id) for job_id in REGISTRY}
    assert len(keys) == len(REGISTRY)
    assert all(-(2**63) <= key < 2**63 for key in keys)


def test_a_feature_jobs_module_can_import_the_jobs_package_without_a_cycle():
    # app.jobs must not import the features' jobs.py until REGISTRY is used: their jobs.py
    # import app.jobs.watermark (and so app.jobs) at their top
    code = ("import sys, app.jobs.watermark; "
            "assert 'app.accounts.jobs' not in sys.modules; "
            "from app.jobs import REGISTRY; assert 'accounts.prune' in REGISTRY")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("job_id", sorted(REGISTRY))
def test_every_registered_job_runs_twice(app, db, job_id):
    first = run_job(app, job_id)
    second = run_job(app, job_id)
    assert (first.status, second.status) == (JobStatus.OK, JobStatus.OK), first.error
    assert [r.status for r in runs(db, job_id)] == [JobStatus.OK, JobStatus.OK]


# --- the runner ------------------------------------------------------------------------------


def test_a_scheduled_call_runs_in_its_own_app_context_without_a_request(app, db):
    seen = {}

    def probe(session, ctx):
        seen.update(app_context=has_app_context(), request=has_request_context(),
                    app=current_app._get_current_object(), job_id=ctx.job_id)
        return {"probed": True}

    probe_spec = spec("test.probe", probe)
    job = build_scheduler(app, BackgroundScheduler,
                          registry={probe_spec.id: probe_spec}).get_jobs()[0]
    # the scheduler calls job.func(*job.args) from a worker thread: no Flask context there
    worker = threading.Thread(target=job.func, args=job.args, kwargs=job.kwargs)
    worker.start()
    worker.join(10)
    assert seen == {"app_context": True, "request": False, "app": app, "job_id": "test.probe"}
    [run] = runs(db, "test.probe")
    assert run.status == JobStatus.OK
    assert run.summary == {"probed": True}
    assert run.finished_at >= run.started_at
    assert run.error is None
    assert run.worker


def test_a_successful_run_commits_its_changes_and_records_the_run(app, db, caplog):
    def add_topic(session, ctx):
        session.add(Topic(name="Committed"))
        session.flush()
        return {"added": 1}

    caplog.set_level("INFO", logger="relais.jobs")
    with time_machine.travel(NOW, tick=False):
        result = run_job(app, spec("test.add", add_topic))
    assert result.status == JobStatus.OK
    assert result.summary == {"added": 1}
    assert db.scalar(select(Topic).where(Topic.name == "Committed")) is not None
    [run] = runs(db, "test.add")
    assert (run.status, run.started_at, run.finished_at) == (JobStatus.OK, NOW, NOW)
    lines = [r.getMessage() for r in caplog.records if r.name == "relais.jobs"]
    assert len(lines) == 1
    assert lines[0].startswith("job test.add ok in ")
    assert lines[0].endswith('{"added": 1}')


def test_a_run_whose_process_died_is_marked_failed_by_the_next_run(app, db):
    """A killed run (kill -9, the machine stopped) never records its end: its row stays
    "running" until the next run of the job marks it failed — not a run still under way."""
    from app.jobs.runner import ABANDONED_ERROR

    def nothing(session, ctx):
        return None

    db.add_all([JobRun(job_id="test.nothing", status=JobStatus.RUNNING,
                       started_at=NOW - timedelta(hours=3), summary={}),
                JobRun(job_id="test.nothing", status=JobStatus.RUNNING,
                       started_at=NOW - timedelta(minutes=10), summary={}),
                JobRun(job_id="test.other", status=JobStatus.RUNNING,
                       started_at=NOW - timedelta(hours=3), summary={})])
    db.flush()
    with time_machine.travel(NOW, tick=False):
        assert run_job(app, spec("test.nothing", nothing)).status == JobStatus.OK
    db.expire_all()
    dead, recent, this = runs(db, "test.nothing")
    assert (dead.status, dead.finished_at, dead.error) == (JobStatus.FAILED, NOW,
                                                           ABANDONED_ERROR)
    assert recent.status == JobStatus.RUNNING and this.status == JobStatus.OK
    assert runs(db, "test.other")[0].status == JobStatus.RUNNING  # another job's: untouched


def test_a_failing_job_is_recorded_as_failed_and_its_changes_are_rolled_back(app, db, caplog):
    def explode(session, ctx):
        session.add(Topic(name="Half done"))
        session.flush()
        raise RuntimeError("boom")

    failing = spec("test.explode", explode)
    first = run_job(app, failing)
    second = run_job(app, failing)  # twice: still nothing half done
    assert first.status == second.status == JobStatus.FAILED
    assert first.summary == {"exception": "RuntimeError: boom"}
    assert db.scalar(select(Topic).where(Topic.name == "Half done")) is None
    records = runs(db, "test.explode")
    assert [r.status for r in records] == [JobStatus.FAILED, JobStatus.FAILED]
    assert "RuntimeError: boom" in records[0].error
    assert "Traceback" in records[0].error
    assert records[0].finished_at is not None
    assert any(r.levelname == "ERROR" and r.getMessage().startswith("job test.explode failed")
               for r in caplog.records)


def test_a_job_returning_nothing_has_an_empty_summary(app, db):
    result = run_job(app, spec("test.quiet", lambda session, ctx: None))
    assert result.status == JobStatus.OK
    assert runs(db, "test.quiet")[0].summary == {}


def test_postgresql_advisory_lock_held_elsewhere_skips_the_run(app, db, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; on SQLite one scheduler process runs")
    calls = []

    def work(session, ctx):
        calls.append(ctx.job_id)
        return {"ran": True}

    locked = spec("test.locked", work)
    key = advisory_lock_key(locked.id)
    # another scheduler: a separate connection, outside the test's transaction
    with engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        other.commit()
        try:
            skipped = run_job(app, locked)
            skipped_again = run_job(app, locked)
        finally:
            other.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            other.commit()
    assert skipped.status == skipped_again.status == JobStatus.SKIPPED
    assert calls == []
    assert run_job(app, locked).status == JobStatus.OK
    assert calls == ["test.locked"]
    assert [r.status for r in runs(db, "test.locked")] == [
        JobStatus.SKIPPED, JobStatus.SKIPPED, JobStatus.OK]


# --- watermarks ------------------------------------------------------------------------------


def count_new_topics(session, ctx):
    """An incremental job: handles the topics past its watermark, then advances it."""
    last = get_watermark(session, ctx.job_id, default=0)
    ids = list(session.scalars(select(Topic.id).where(Topic.id > last).order_by(Topic.id)))
    if ids:
        set_watermark(session, ctx.job_id, ids[-1])
    return {"new": len(ids)}


def test_an_incremental_job_advances_its_watermark_once(app, db):
    topics = [factories.TopicFactory() for _ in range(3)]
    incremental = spec("test.incremental", count_new_topics)
    assert run_job(app, incremental).summary == {"new": 3}
    assert run_job(app, incremental).summary == {"new": 0}
    assert get_watermark(db, "test.incremental") == topics[-1].id
    newer = factories.TopicFactory()
    assert run_job(app, incremental).summary == {"new": 1}
    assert run_job(app, incremental).summary == {"new": 0}
    db.expire_all()
    assert get_watermark(db, "test.incremental") == newer.id


def test_a_failed_incremental_run_leaves_the_watermark_where_it_was(app, db):
    factories.TopicFactory()

    def advance_then_fail(session, ctx):
        count_new_topics(session, ctx)
        raise RuntimeError("killed half way")

    assert run_job(app, spec("test.incremental", advance_then_fail)).status == JobStatus.FAILED
    assert get_watermark(db, "test.incremental") is None
    assert run_job(app, spec("test.incremental", count_new_topics)).summary == {"new": 1}


def test_watermarks_hold_json_values_and_refuse_none(db):
    assert get_watermark(db, "test.wm", default={"id": 0}) == {"id": 0}
    position = {"id": 7, "at": "2026-06-15T12:00:00+00:00"}
    set_watermark(db, "test.wm", position)
    position["id"] = 8  # the stored value is a copy
    set_watermark(db, "test.wm", position)
    db.expire_all()
    assert get_watermark(db, "test.wm") == {"id": 8, "at": "2026-06-15T12:00:00+00:00"}
    assert db.scalar(select(JobWatermark.updated_at).where(JobWatermark.job_id == "test.wm"))
    with pytest.raises(ValueError):
        set_watermark(db, "test.wm", None)
    with pytest.raises(TypeError):
        set_watermark(db, "test.wm", NOW)  # give datetimes as ISO strings


# --- the command line ------------------------------------------------------------------------


def test_run_once_runs_the_job_and_prints_its_summary(app, db):
    user = factories.UserFactory()
    db.add(token(user, expires_at=NOW - 40 * DAY))
    db.flush()
    cli = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        first = cli.invoke(args=["jobs", "run-once", "accounts.prune"])
        second = cli.invoke(args=["jobs", "run-once", "accounts.prune"])
    assert first.exit_code == 0, first.output
    assert "accounts.prune: ok" in first.output
    assert '"tokens_deleted": 1' in first.output
    assert second.exit_code == 0, second.output
    assert '"tokens_deleted": 0' in second.output
    assert [r.status for r in runs(db, "accounts.prune")] == [JobStatus.OK, JobStatus.OK]


def test_run_once_refuses_an_unknown_job(app, db):
    result = app.test_cli_runner().invoke(args=["jobs", "run-once", "no.such-job"])
    assert result.exit_code != 0
    assert "unknown job 'no.such-job'" in result.output
    assert "accounts.prune" in result.output  # lists the known ones
    assert db.scalar(select(JobRun).where(JobRun.job_id == "no.such-job")) is None


def test_run_once_exits_non_zero_when_the_job_fails(app, db, monkeypatch):
    def explode(session, ctx):
        raise RuntimeError("boom")

    monkeypatch.setitem(REGISTRY, "test.explode", spec("test.explode", explode))
    result = app.test_cli_runner().invoke(args=["jobs", "run-once", "test.explode"])
    assert result.exit_code != 0
    assert "test.explode: failed" in result.output
    assert "job test.explode failed" in result.output


def test_list_shows_schedule_last_run_and_description(app, db):
    cli = app.test_cli_runner()
    with time_machine.travel(NOW, tick=False):
        before = cli.invoke(args=["jobs", "list"])
        cli.invoke(args=["jobs", "run-once", "accounts.prune"])
        after = cli.invoke(args=["jobs", "list"])
    assert before.exit_code == 0, before.output
    [line] = [row for row in before.output.splitlines() if row.startswith("accounts.prune")]
    assert "cron[hour='3', minute='30']" in line
    assert "2026-06-16 03:30" in line  # next run
    assert "never" in line
    assert REGISTRY["accounts.prune"].description in line
    [line] = [row for row in after.output.splitlines() if row.startswith("accounts.prune")]
    assert "2026-06-15 12:00 UTC ok" in line


def test_run_starts_a_blocking_scheduler_with_every_job_and_stops_on_ctrl_c(app, monkeypatch):
    started = {}

    def fake_start(self, *args, **kwargs):
        started["jobs"] = {job.id for job in self.get_jobs()}
        started["timezone"] = self.timezone
        raise KeyboardInterrupt

    handler = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(BlockingScheduler, "start", fake_start)
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert started == {"jobs": set(REGISTRY), "timezone": UTC}
    assert signal.getsignal(signal.SIGTERM) == handler


# --- accounts.prune --------------------------------------------------------------------------


def token(user, *, expires_at, used_at=None, revoked_at=None, purpose=TokenPurpose.INVITE):
    token.n = getattr(token, "n", 0) + 1
    return AccountToken(user_id=user.id, purpose=purpose, token_hash=f"{token.n:064x}",
                        created_at=expires_at - 3 * DAY, expires_at=expires_at,
                        used_at=used_at, revoked_at=revoked_at)


def batch(name, status, *, created_at, finished_at=None):
    return ImportBatch(filename=f"{name}.csv", status=status, created_at=created_at,
                       finished_at=finished_at, total_rows=1,
                       rows=[{"email": "someone@acme.test", "name": "Some One"}], errors=[])


def remaining(db) -> tuple[set[str], set[str]]:
    db.expire_all()
    return (set(db.scalars(select(AccountToken.token_hash))),
            {b.filename for b in db.scalars(select(ImportBatch))})


def test_prune_deletes_dead_tokens_and_old_imports_and_nothing_more_when_run_again(app, db):
    user = factories.UserFactory()
    tokens = {
        # stopped working more than 30 days ago: deleted
        "expired 31 days ago": token(user, expires_at=NOW - 31 * DAY),
        "used 31 days ago": token(user, expires_at=NOW - 28 * DAY, used_at=NOW - 31 * DAY),
        "revoked 31 days ago": token(user, expires_at=NOW - 29 * DAY,
                                     revoked_at=NOW - 31 * DAY, purpose=TokenPurpose.RESET),
        # kept
        "expired 29 days ago": token(user, expires_at=NOW - 29 * DAY),
        "used 10 days ago": token(user, expires_at=NOW - 7 * DAY, used_at=NOW - 10 * DAY),
        "revoked 5 days ago": token(user, expires_at=NOW + DAY, revoked_at=NOW - 5 * DAY),
        "open": token(user, expires_at=NOW + 2 * DAY),
    }
    db.add_all(tokens.values())
    hashes = {name: t.token_hash for name, t in tokens.items()}
    db.add_all([
        # finished more than 30 days ago, or left in preview more than 7 days: deleted
        batch("done", "done", created_at=NOW - 32 * DAY, finished_at=NOW - 31 * DAY),
        batch("cancelled", "cancelled", created_at=NOW - 40 * DAY, finished_at=NOW - 31 * DAY),
        batch("preview", "preview", created_at=NOW - 8 * DAY),
        # kept
        batch("done-recently", "done", created_at=NOW - 30 * DAY, finished_at=NOW - 29 * DAY),
        batch("preview-recently", "preview", created_at=NOW - 6 * DAY),
        batch("running", "running", created_at=NOW - 60 * DAY),  # unfinished: not ours to drop
    ])
    db.flush()

    with time_machine.travel(NOW, tick=False):
        first = run_job(app, "accounts.prune")
        state = remaining(db)
        second = run_job(app, "accounts.prune")

    assert first.status == JobStatus.OK, first.error
    assert first.summary == {"tokens_deleted": 3, "imports_deleted": 2, "previews_deleted": 1,
                             "sessions_deleted": 0, "login_throttles_deleted": 0}
    assert second.summary == {"tokens_deleted": 0, "imports_deleted": 0, "previews_deleted": 0,
                              "sessions_deleted": 0, "login_throttles_deleted": 0}
    assert remaining(db) == state
    kept_tokens, kept_batches = state
    assert kept_tokens == {hashes[name] for name in ("expired 29 days ago", "used 10 days ago",
                                                     "revoked 5 days ago", "open")}
    assert kept_batches == {"done-recently.csv", "preview-recently.csv", "running.csv"}

    # two days later, the ones that were just inside their retention period go too
    with time_machine.travel(NOW + 2 * DAY, tick=False):
        later = run_job(app, "accounts.prune")
        again = run_job(app, "accounts.prune")
    assert later.summary == {"tokens_deleted": 1, "imports_deleted": 1, "previews_deleted": 1,
                             "sessions_deleted": 0, "login_throttles_deleted": 0}
    assert again.summary == {"tokens_deleted": 0, "imports_deleted": 0, "previews_deleted": 0,
                             "sessions_deleted": 0, "login_throttles_deleted": 0}
    kept_tokens, kept_batches = remaining(db)
    assert kept_tokens == {hashes[name] for name in ("used 10 days ago", "revoked 5 days ago",
                                                     "open")}
    assert kept_batches == {"running.csv"}
    assert db.get(type(user), user.id) is not None  # people are never touched
