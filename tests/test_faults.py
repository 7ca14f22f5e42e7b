"""Fault tests (issue 9): the app keeps its promises when the database goes away, when two
schedulers run, and when SQLite has many writers at once. Every wait is bounded; all
traffic stays on 127.0.0.1.

1. PostgreSQL restarted while the app serves: the app, on a real threaded HTTP server, talks
   to PostgreSQL through a TCP proxy (tests/fault_tools.py) that resets every connection
   and refuses new ones for a while, as a server restart does. During the outage pages
   answer a clean 503 "try again" page (app/common/errors_pages.py), the redirector keeps
   redirecting (cached links, buffered clicks); afterwards every request succeeds
   (``pool_pre_ping`` discards the dead pooled connections) and every buffered click is
   written. Also: a restart nobody noticed (no request during it), and the click buffer's
   bound (CLICK_BUFFER_MAX_PENDING) during a long outage.
2. The scheduler started twice: two real ``flask --app wsgi jobs run-once`` processes on
   one PostgreSQL database, one of them inside the job's advisory lock: one run is "ok",
   the other "skipped", and the points were paid once. (tests/test_jobs.py holds the
   in-process variant: a lock held by another connection skips the run.)
3. SQLite under concurrent writers: clicks (the buffer flushing), the ``analytics.tally``
   and ``gamification.award`` jobs in a loop in another process, and employees' write
   requests in several threads, all on one SQLite file: no response is an error, no
   "database is locked" is logged, and no click is lost. (The same on PostgreSQL.)

Covered elsewhere, not repeated here:
- kill -9 of the tally job half way, then reruns → identical rollups:
  tests/test_analytics_tally_kill.py;
- the redirector's click buffer flushed on SIGTERM (a real process that receives a real
  SIGTERM, and a normal exit through atexit, gunicorn's way) → no click lost:
  tests/test_redirect.py::test_pending_clicks_are_written_when_the_process_ends;
- an SMTP server or webhook receiver down for a while → nothing lost (the outbox):
  tests/test_outbox.py.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app import ROOT, create_app
from app.accounts.models import Role, User, UserStatus
from app.accounts.passwords import hash_password
from app.common.errors_pages import RETRY_AFTER, database_unavailable
from app.content.models import ContentItem, ContentStatus
from app.db import Base, Database
from app.gamification.models import Action, LedgerEntry
from app.jobs.models import JobRun, JobStatus
from app.models import import_all_models
from app.sharing.models import Click, Share, ShareMethod, ShareStatus
from app.sharing.redirect import CLICKS_KEY, visitor_hash, visitor_salt
from tests.conftest import free_port, own_postgres_database
from tests.conftest import test_config as app_config
from tests.fault_tools import TcpProxy, reaped, serve, wait_until
from tests.test_analytics_tally_kill import Cli

FAULT_TOOLS = Path(__file__).with_name("fault_tools.py")

PASSWORD = "a long enough passphrase"
#: every HTTP request of these tests gives up after this long (seconds)
HTTP_TIMEOUT = 15
#: how long a simulated restart refuses connections (seconds)
OUTAGE = 2.0
#: the longest wait for buffered clicks to reach the database (seconds)
CLICKS_TIMEOUT = 30
OK = range(200, 400)
_n = itertools.count(1)


# --- a database, a scene, an app on a real server -------------------------------------------


def schema(url: str) -> Database:
    import_all_models()
    database = Database(url)
    Base.metadata.create_all(database.engine)
    return database


@dataclass
class Scene:
    emails: list[str]
    items: list[int]
    codes: list[str]


def make_scene(database: Database, *, people: int = 1, items: int = 3) -> Scene:
    """Employees (password PASSWORD) and published items, each person with a share of
    every item (so clicks, tallies and awards have something to do)."""
    scene = Scene([], [], [])
    with database.unit_of_work() as db:
        users = []
        for _ in range(people):
            n = next(_n)
            user = User(email=f"fault{n}@acme.example", name=f"Fault {n}", role=Role.EMPLOYEE,
                        status=UserStatus.ACTIVE, language="en", timezone="UTC",
                        password_hash=hash_password(PASSWORD, time_cost=1, memory_cost=1024))
            db.add(user)
            users.append(user)
        rows = []
        for _ in range(items):
            n = next(_n)
            rows.append(ContentItem(url=f"https://www.acme.example/faults/{n}",
                                    slug=f"fault-{n}", title=f"Fault item {n}",
                                    status=ContentStatus.PUBLISHED))
        db.add_all(rows)
        db.flush()
        for user in users:
            for item in rows:
                n = next(_n)
                db.add(Share(code=f"fault{n:06d}", user_id=user.id, item_id=item.id,
                             network="linkedin", method=ShareMethod.INTENT,
                             status=ShareStatus.OPENED))
        db.flush()
        scene.emails = [u.email for u in users]
        scene.items = [i.id for i in rows]
        scene.codes = list(db.scalars(select(Share.code).order_by(Share.id)))
    return scene


def make_app(url: str, mailer, **overrides):
    """The app as in production where it matters here: errors are answered by the error
    pages (not propagated to the test), clicks buffered and written by the flusher thread."""
    settings = {"RELAIS_MAILER": mailer, "PROPAGATE_EXCEPTIONS": False,
                "CLICK_BUFFER_SYNC_FLUSH": False, "CLICK_FLUSH_INTERVAL_MS": 100, **overrides}
    return create_app(app_config(url, **settings))


def sign_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{base}/login", data={"email": email, "password": PASSWORD},
                            allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert response.status_code == 302, response.text[:500]
    return session


def click(base: str, code: str, visitor: str) -> int:
    """A cookie-less visitor following a tracked link (one distinct visitor per call)."""
    return requests.get(f"{base}/r/{code}", headers={"User-Agent": f"Mozilla/5.0 {visitor}"},
                        allow_redirects=False, timeout=HTTP_TIMEOUT).status_code


def clicks_in(database: Database) -> tuple[int, int]:
    """(rows, distinct visitors) in the click table."""
    with database.unit_of_work(write=False) as db:
        return (db.scalar(select(func.count()).select_from(Click)),
                db.scalar(select(func.count(func.distinct(Click.visitor_hash)))))


@pytest.fixture
def closed_buffers():
    """Apps whose click buffers are stopped (what is pending written) before the database
    goes: no flusher thread outlives its test."""
    apps = []
    yield apps.append
    for app in apps:
        app.extensions[CLICKS_KEY].close(attempts=1)
        app.extensions["relais_db"].dispose()


# --- 1. PostgreSQL restarted while the app serves ------------------------------------------


@pytest.fixture
def postgres():
    with own_postgres_database() as url:
        database = schema(url)
        try:
            yield database
        finally:
            database.dispose()


@pytest.fixture
def proxy(postgres):
    target = postgres.engine.url
    proxy = TcpProxy((target.host or "127.0.0.1", target.port or 5432)).start()
    yield proxy
    proxy.close()


def through(proxy: TcpProxy, database: Database) -> str:
    return make_url(database.url).set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False)


@dataclass
class Outcome:
    kind: str
    started: float
    ended: float
    status: int | None = None
    error: str = ""


@dataclass
class Traffic:
    """Threads sending requests until stopped; every outcome recorded with its times."""

    base: str
    sessions: list[requests.Session]
    codes: list[str]
    #: items the employees take out of their queue and put back
    items: list[int] = field(default_factory=list)
    #: threads of cookie-less visitors following the tracked links
    visitors: int = 1
    outcomes: list[Outcome] = field(default_factory=list)
    clicks_sent: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _record(self, kind: str, send) -> None:
        started = time.monotonic()
        try:
            status, error = send(), ""
        except requests.RequestException as exc:  # the server did not answer at all
            status, error = None, repr(exc)
        with self._lock:
            self.outcomes.append(Outcome(kind, started, time.monotonic(), status, error))

    def _employee(self, session: requests.Session) -> None:
        base = self.base

        def post(path: str) -> int:
            return session.post(f"{base}{path}", allow_redirects=False,
                                timeout=HTTP_TIMEOUT).status_code

        for n in itertools.count():
            if self._stop.is_set():
                return
            self._record("page", lambda: session.get(f"{base}/", timeout=HTTP_TIMEOUT)
                         .status_code)
            self._record("write", lambda: post("/notices/read-all"))
            if self.items:
                item = self.items[n % len(self.items)]
                self._record("write", lambda item=item: post(f"/queue/{item}/dismiss"))
                self._record("write", lambda item=item: post(f"/queue/{item}/undismiss"))
            self._record("health", lambda: requests.get(f"{base}/healthz",
                                                        timeout=HTTP_TIMEOUT).status_code)
            time.sleep(0.02)

    def _visitor(self) -> None:
        for n in itertools.count():
            if self._stop.is_set():
                return
            with self._lock:
                self.clicks_sent += 1
            self._record("click", lambda n=n: click(self.base, self.codes[n % len(self.codes)],
                                                    f"visitor-{threading.get_ident()}-{n}"))
            time.sleep(0.01)

    def start(self) -> Traffic:
        targets = ([(self._employee, (s,)) for s in self.sessions]
                   + [(self._visitor, ())] * self.visitors)
        for target, args in targets:
            thread = threading.Thread(target=target, args=args, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=HTTP_TIMEOUT + 5)
            assert not thread.is_alive()

    def between(self, start: float, end: float) -> list[Outcome]:
        return [o for o in self.outcomes if o.started >= start and o.ended <= end]

    def after(self, moment: float) -> list[Outcome]:
        return [o for o in self.outcomes if o.started >= moment]


def describe(outcomes: list[Outcome]) -> str:
    return "; ".join(f"{o.kind} {o.status} {o.error}" for o in outcomes[:10])


def test_postgresql_restarted_while_the_app_serves_recovers_and_loses_no_click(
        postgres, proxy, mailer, closed_buffers, caplog):
    scene = make_scene(postgres, people=3)
    app = make_app(through(proxy, postgres), mailer)
    closed_buffers(app)
    with serve(app) as base:
        sessions = [sign_in(base, email) for email in scene.emails]
        for code in scene.codes:  # the redirector's link cache is warm, as in production
            assert click(base, code, f"warm-up-{code}") == 302
        traffic = Traffic(base, sessions, scene.codes, scene.items).start()
        try:
            time.sleep(1.0)
            cut_at = time.monotonic()
            assert proxy.cut() > 0  # the pooled connections die with the "server"
            time.sleep(OUTAGE / 2)
            page = sessions[0].get(f"{base}/", timeout=HTTP_TIMEOUT)
            assert page.status_code == 503 and page.headers["Retry-After"] == RETRY_AFTER
            assert "briefly unavailable" in page.text and "Relais" in page.text
            time.sleep(OUTAGE / 2)
            restored_at = time.monotonic()
            proxy.restore()
            time.sleep(2.0)
        finally:
            traffic.stop()
        sent = traffic.clicks_sent + len(scene.codes)

        before = traffic.between(0, cut_at)
        assert before and all(o.status in OK for o in before), describe(before)
        # everything got an answer; the redirector never needed the database
        unanswered = [o for o in traffic.outcomes if o.status is None]
        assert not unanswered, describe(unanswered)
        clicks = [o for o in traffic.outcomes if o.kind == "click"]
        assert all(o.status == 302 for o in clicks), describe(clicks)
        during = [o for o in traffic.outcomes if cut_at < o.ended and o.started < restored_at]
        failed = [o for o in during if o.status not in OK]
        assert failed, "no request noticed the outage: the test proved nothing"
        # the outage gives a clean "try again later", never a 500
        assert {o.status for o in failed} == {503}, describe(failed)
        after = traffic.after(restored_at)
        assert {"page", "write", "health", "click"} <= {o.kind for o in after}
        bad = [o for o in after if o.status not in OK]
        assert not bad, describe(bad)

        # the clicks buffered during the outage are written after it (the flusher retries)
        wait_until(lambda: clicks_in(postgres)[1] >= sent, timeout=CLICKS_TIMEOUT,
                   what=f"{sent} clicks")
    rows, visitors = clicks_in(postgres)
    assert visitors == sent
    # at least once: a flush whose commit was cut before its acknowledgement may be written
    # again (app/sharing/clicks.py); none is lost
    assert rows >= sent
    assert app.extensions[CLICKS_KEY].dropped == 0
    assert any("kept for a retry" in r.getMessage() for r in caplog.records)
    assert not any("rendering the 503 page failed" in r.getMessage() for r in caplog.records)


def test_a_restart_nobody_noticed_costs_no_request(postgres, proxy, mailer, closed_buffers):
    """No request during the restart: the pool still holds connections to the old server.
    ``pool_pre_ping`` tests each one on checkout and replaces the dead ones, so even the
    first requests after the restart succeed."""
    scene = make_scene(postgres, people=3)
    app = make_app(through(proxy, postgres), mailer)
    closed_buffers(app)
    with serve(app) as base:
        sessions = [sign_in(base, email) for email in scene.emails]
        traffic = Traffic(base, sessions, scene.codes).start()
        time.sleep(1.0)  # several pooled connections
        traffic.stop()
        app.extensions[CLICKS_KEY].flush()  # nothing left for the flusher to try meanwhile
        assert proxy.open_connections > 1
        assert proxy.cut() > 1
        time.sleep(OUTAGE)
        proxy.restore()
        restored_at = time.monotonic()
        traffic = Traffic(base, sessions, scene.codes).start()
        time.sleep(1.0)
        traffic.stop()
        after = traffic.after(restored_at)
        assert {"page", "write", "health", "click"} <= {o.kind for o in after}
        bad = [o for o in after if o.status not in OK]
        assert not bad, describe(bad)


def test_a_long_outage_keeps_the_newest_clicks_up_to_the_buffers_bound(
        postgres, proxy, mailer, closed_buffers, caplog):
    """CLICK_BUFFER_MAX_PENDING bounds a worker's memory while the database is away: past
    it the oldest clicks are dropped, counted and logged (app/sharing/clicks.py); the
    newest are written once the database is back."""
    scene = make_scene(postgres)
    # no timed flush during the outage (the flusher sleeps): what is kept is exact
    app = make_app(through(proxy, postgres), mailer, CLICK_BUFFER_MAX_PENDING=20,
                   CLICK_FLUSH_INTERVAL_MS=600_000)
    closed_buffers(app)
    buffer = app.extensions[CLICKS_KEY]
    with serve(app) as base:
        for code in scene.codes:
            assert click(base, code, f"warm-up-{code}") == 302
        assert buffer.flush() == len(scene.codes)
        proxy.cut()
        visitors = [f"outage-{n}" for n in range(50)]
        for visitor in visitors:
            assert click(base, scene.codes[0], visitor) == 302
        assert buffer.flush() == 0  # the database is away: nothing written, nothing lost
        assert buffer.pending == 20 and buffer.dropped == 30
        proxy.restore()
        assert buffer.flush() == 20
    salt = visitor_salt(app.config["SECRET_KEY"])
    with postgres.unit_of_work(write=False) as db:
        written = set(db.scalars(select(Click.visitor_hash).where(
            Click.share_id == select(Share.id).where(Share.code == scene.codes[0])
            .scalar_subquery())))
    expected = {visitor_hash(salt, "127.0.0.1", f"Mozilla/5.0 {v}") for v in visitors[-20:]}
    assert written - {visitor_hash(salt, "127.0.0.1", f"Mozilla/5.0 warm-up-{scene.codes[0]}")} \
        == expected
    assert any("dropped the" in r.getMessage() for r in caplog.records)


# --- 2. The scheduler started twice ------------------------------------------------------------

AWARD = "gamification.award"
RUN_TIMEOUT = 120


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(request, tmp_path):
    """A database of this test only (its processes commit)."""
    if request.param == "sqlite":
        database = schema(f"sqlite:///{tmp_path / 'relais.db'}")
        yield database
        database.dispose()
        return
    with own_postgres_database() as url:
        database = schema(url)
        yield database
        database.dispose()


def ledger(database: Database) -> list[tuple]:
    with database.unit_of_work(write=False) as db:
        return list(db.execute(select(LedgerEntry.user_id, LedgerEntry.action,
                                      LedgerEntry.idempotency_key, LedgerEntry.points)
                               .order_by(LedgerEntry.idempotency_key)))


def job_runs(database: Database) -> list[JobRun]:
    with database.unit_of_work(write=False) as db:
        return list(db.scalars(select(JobRun).where(JobRun.job_id == AWARD)
                               .order_by(JobRun.id)))


def test_a_second_scheduler_running_the_same_job_does_nothing(own_database, tmp_path):
    """Scheduler A runs ``gamification.award`` and is held inside the job (on PostgreSQL:
    its transaction holds the job's advisory lock); meanwhile scheduler B, a plain
    ``flask jobs run-once``, runs it too. PostgreSQL: B is "skipped" at once and A pays
    the points. SQLite has no advisory lock (one scheduler per installation, the docs
    say): B runs, and A, released, finds everything paid; the points are paid once
    either way."""
    scene = make_scene(own_database, people=2, items=3)
    cli = Cli(own_database, tmp_path)
    marker, release = tmp_path / "held.pid", tmp_path / "release"
    out, err = tmp_path / "held.out", tmp_path / "held.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        with reaped(subprocess.Popen([sys.executable, str(FAULT_TOOLS), "hold", str(marker),
                                      str(release), "jobs", "run-once", AWARD],
                                     cwd=ROOT, env=cli.env, stdout=stdout,
                                     stderr=stderr)) as held:
            wait_until(lambda: marker.exists() or held.poll() is not None,
                       timeout=RUN_TIMEOUT, what="the held job to start")
            assert held.poll() is None, err.read_text()
            second = cli.run("jobs", "run-once", AWARD)  # while A is inside the job
            release.touch()
            assert held.wait(timeout=RUN_TIMEOUT) == 0, err.read_text()
    first = out.read_text()
    paid = ledger(own_database)
    shares = len(scene.emails) * len(scene.items)
    assert len([e for e in paid if e.action == Action.SHARE]) == shares
    assert len({e.idempotency_key for e in paid}) == len(paid)  # each event paid once
    # run-once prints "<job>: <status> in <duration>s", then the run's summary (JSON)
    a, b = (json.loads(said.partition("\n")[2]) for said in (first, second))
    runs = job_runs(own_database)
    assert len(runs) == 2
    if own_database.is_sqlite:  # B ran while A waited; A found nothing left to pay
        assert f"{AWARD}: ok" in second and f"{AWARD}: ok" in first
        assert b["entries"] == len(paid) and a["entries"] == 0
        assert [r.status for r in runs] == [JobStatus.OK, JobStatus.OK]
    else:
        assert f"{AWARD}: skipped" in second, second
        assert b == {"reason": "another scheduler is running this job"}
        assert f"{AWARD}: ok" in first and a["entries"] == len(paid)
        by_pid = {r.worker.rsplit(":", 1)[1]: r.status for r in runs}
        assert by_pid[marker.read_text()] == JobStatus.OK
        assert sorted(r.status for r in runs) == sorted([JobStatus.OK, JobStatus.SKIPPED])

    cli.run("jobs", "run-once", AWARD)  # and a later run pays nothing more
    assert ledger(own_database) == paid


# --- 3. SQLite under concurrent writers --------------------------------------------------------

LOAD_SECONDS = 6.0
JOBS = ("analytics.tally", "gamification.award")
#: seconds between two job runs. Not 0: a process that takes SQLite's write lock again the
#: instant it let it go (three transactions per run, back to back, for seconds on end) can
#: starve another process's writers past the busy timeout, since SQLite has no queue and
#: a waiting writer only polls; a scheduler runs each job minutes apart (docs/deploy.md)
JOB_PAUSE = 0.1


def job_runs_said(out: Path) -> int:
    return sum(line.startswith(JOBS) for line in out.read_text().splitlines())


def test_clicks_jobs_and_web_writers_at_once_lock_out_nobody(
        own_database, tmp_path, mailer, closed_buffers, caplog):
    """One database (above all a SQLite file); at the same time: visitors clicking
    tracked links (the buffer flushing every 50 ms), the tally and award jobs in a loop in
    another process (as the scheduler runs them), and signed-in employees dismissing and
    restoring queue items and marking notices read. On SQLite writers queue on BEGIN
    IMMEDIATE and the busy timeout: nobody sees an error, nothing logs "database is
    locked", every click is stored once. (On PostgreSQL: no deadlock, no error either.)"""
    database = own_database
    scene = make_scene(database, people=4, items=4)
    app = make_app(database.url, mailer, CLICK_FLUSH_INTERVAL_MS=50, CLICK_FLUSH_BATCH=20)
    closed_buffers(app)
    cli = Cli(database, tmp_path)
    stop = tmp_path / "stop"
    out = tmp_path / "jobs.out"
    with serve(app) as base, out.open("w") as stdout:
        sessions = [sign_in(base, email) for email in scene.emails]
        with reaped(subprocess.Popen([sys.executable, str(FAULT_TOOLS), "loop", str(stop),
                                      str(JOB_PAUSE), *JOBS], cwd=ROOT, env=cli.env,
                                     stdout=stdout, stderr=subprocess.STDOUT)) as jobs:
            wait_until(lambda: job_runs_said(out) >= 1 or jobs.poll() is not None,
                       timeout=RUN_TIMEOUT, what="the jobs process to start")
            traffic = Traffic(base, sessions, scene.codes, scene.items, visitors=3).start()
            try:
                time.sleep(LOAD_SECONDS)
                # the jobs ran meanwhile, each of them several times
                wait_until(lambda: job_runs_said(out) >= 1 + 2 * len(JOBS)
                           or jobs.poll() is not None, timeout=RUN_TIMEOUT,
                           what="the jobs to run during the load")
            finally:
                traffic.stop()
                stop.touch()
            assert jobs.wait(timeout=RUN_TIMEOUT) == 0, out.read_text()
    app.extensions[CLICKS_KEY].flush()

    bad = [o for o in traffic.outcomes if o.status not in OK]
    assert not bad, describe(bad)
    kinds = {kind: sum(o.kind == kind for o in traffic.outcomes) for kind in
             ("page", "write", "health", "click")}
    assert min(kinds.values()) > 10, kinds
    said = out.read_text()
    runs = [line.split() for line in said.splitlines() if line.startswith(JOBS)]
    assert len(runs) > 2 * len(JOBS) and {job for job, _, _ in runs} == set(JOBS), said
    assert all(status == JobStatus.OK for _, status, _ in runs), said
    logged = said + caplog.text  # the web process's log, tracebacks included
    assert "database is locked" not in logged
    assert "Traceback" not in logged
    rows, visitors = clicks_in(database)
    assert rows == visitors == traffic.clicks_sent


# --- what counts as "the database is unavailable" (503) ------------------------------------


def _raised(engine, statement: str) -> BaseException:
    with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
        conn.exec_driver_sql(statement)
    return caught.value


def test_only_an_unreachable_or_locked_database_is_a_503_the_rest_stays_a_500(tmp_path):
    """Real errors of both drivers: connection refused (PostgreSQL) and a lock still held
    after the busy timeout (SQLite) are "try again" (503); a missing table or a broken
    constraint is a bug (500)."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    holder = create_engine(url)
    waiter = create_engine(url, connect_args={"timeout": 0})
    with holder.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        conn.commit()
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        locked = _raised(waiter, "INSERT INTO t VALUES (1)")
        conn.rollback()
    refused = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x",
                            connect_args={"connect_timeout": 2})
    with pytest.raises(DBAPIError) as down:
        refused.connect()
    assert "database is locked" in str(locked)
    assert database_unavailable(locked) and database_unavailable(down.value)
    assert not database_unavailable(_raised(waiter, "SELECT * FROM missing"))
    with holder.connect() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        conn.commit()
    assert not database_unavailable(_raised(holder, "INSERT INTO t VALUES (1)"))
    assert not database_unavailable(ValueError("not a database error"))
    for engine in (holder, waiter, refused):
        engine.dispose()


def test_the_api_answers_503_problems_while_the_database_is_out_of_reach(mailer):
    """The API's own error handlers (problem details) say "retry", like the pages."""
    from app import create_app
    from tests.conftest import test_config

    down = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x"
    application = create_app(test_config(down, RELAIS_MAILER=mailer, PROPAGATE_EXCEPTIONS=False))
    client = application.test_client()
    response = client.get("/api/v1/users", headers={"Authorization": "Bearer rls_" + "a" * 43})
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == RETRY_AFTER
    assert response.json["type"].endswith("/unavailable") and response.json["status"] == 503
    page = client.get("/login")
    assert page.status_code == 503 and page.headers["Retry-After"] == RETRY_AFTER
