"""Load test: a bounded mixed workload on gunicorn + PostgreSQL filled with the acme-100k
data (issue 9), on loopback, with throughput, p50/p95/p99 and errors per page.

    .venv/bin/python bench/load_test.py                               # scale 0.05, 20 s
    .venv/bin/python bench/load_test.py --scale 1 --duration 60 --concurrency 16
    .venv/bin/python bench/load_test.py --database-url postgresql+psycopg://u:p@127.0.0.1/x

The URL only names the PostgreSQL server (default: ``DATABASE_URL``, else
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): the test creates a private
database beside it (relais_bench_load_<pid>), fills it with ``bench/acme100k.py`` at
``--scale`` (1 = 100,000 employees, 5,000,000 clicks: about 7 minutes of set-up with the
rollups), and drops it at the end, as it stops its gunicorn — also on Ctrl-C or SIGTERM.

Set-up, before anything is measured:

1. the acme-100k workload (COPY), then the analytics rollups rebuilt from it (what the
   tally job would have written: the dashboards read rollups only) and the gamification
   ``period_totals`` summed from its points ledger in SQL (what the award job would have
   written: points, shares, conversions, reach — unique clicks stay 0);
2. ``--users`` employees spread over the company get a password (one argon2 hash), one
   manager of a team of 9 per ``--managers`` and one admin;
3. ``jit = off`` on the database (docs/deploy.md); gunicorn with
   ``deploy/gunicorn.conf.py`` (gthread; ``--workers`` × ``--threads``),
   ``RELAIS_ENV=production`` (request log on, into a temporary file that is scanned for
   tracebacks at the end), the login rate limit lifted (every sign-in comes from 127.0.0.1);
4. a private ``redis-server`` on a free loopback port (unless ``--no-redis``), given to
   gunicorn and to a scheduler process, as docs/deploy.md recommends past one worker;
   the scheduler process runs ``analytics.tally`` then ``analytics.warm_dashboards`` at
   once and every ``--tally-every`` seconds (300, the real schedule; 30 to stress it):
   each run moves the tally's watermark, so every cached dashboard goes stale and its
   next viewer computes it again — the report says how many runs fell in the window;
5. every person signs in through the real form (GET /login for the CSRF token, POST
   /login): a distinct server-side session each, timed as the "POST /login" row.

Then ``--warmup`` seconds unmeasured and ``--duration`` seconds measured of the mix below,
driven by ``--concurrency`` keep-alive client threads (a closed loop: each thread sends its
next request when the previous one is answered, so the load is bounded). Each request is
drawn by weight; the signed-in ones use a session of the thread's own share of people. The
two dashboards have a client thread each instead (a manager, the admin: view, wait
``--think`` seconds, view again), so that a slow dashboard holds one server thread at a
time, as one person would, rather than a share of every client thread:

    weight  page
      24    GET /                       the employee's queue (portal home)
       8    GET /queue/more?offset=5    "Show more" (htmx fragment)
       4    GET /share/<id>             the share form of an item from the person's queue
       4    POST /share/<id>            sharing it (share intent) → 303
       8    GET /leaderboards           the boards page
       8    GET /me/impact              "My impact"
       -    GET /analytics/team         a manager's team dashboard (own thread)
       -    GET /analytics              the admin dashboard (own thread)
      25    GET /r/<viral code>         click storm on the viral link: anonymous, no cookie,
                                        a different visitor (user agent) each time → 302
      10    GET /healthz                the bare route (one SELECT 1): the baseline
       6    GET /static/favicon.svg     a static file, for information

Report, per page: requests, throughput, p50/p95/p99 (ms), errors (a status outside
2xx/3xx, or an exception: refused connection, timeout) and "unexpected" (a 2xx/3xx that is
not the page's answer, such as a redirect to the sign-in page), and "app p50/p95": the
time the app itself reports in its request log (``duration_ms``) for the same window —
the client's figures minus the queueing in front of the workers (each p95 verdict also
prints the app-time ratio, for information: at saturation /healthz queues as long as the
pages do, which flatters the client-side ratio). Targets, each printed
PASS/FAIL: 0 errors and 0 unexpected overall; p95 of each portal and dashboard page ≤ 3×
the p95 of /healthz measured in the same run (DESIGN.md "Performance budgets"); no
traceback in the server log. Exit status 1 when a target is missed. ``--json FILE`` also
writes the figures as JSON.

The client runs on the same machine as the server and shares its cores: on a small machine
the figures are a floor, and the ratios (same run, same contention) are what count.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from app.accounts.passwords import hash_password  # noqa: E402
from app.db import Database  # noqa: E402
from bench import acme100k  # noqa: E402
from bench._scratch import throwaway_database  # noqa: E402
from bench.redirect_bench import free_port  # noqa: E402

PASSWORD = "load-test-" + secrets.token_urlsafe(12)
#: the p95 budget of the portal and dashboard pages, as a multiple of the bare route's
BUDGET = 3.0
BARE = "GET /healthz"
CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.{n}.0 Safari/537.36")

#: page → (weight, expected statuses, held to the p95 budget)
MIX: dict[str, tuple[int, frozenset[int], bool]] = {
    "GET /": (24, frozenset({200}), True),
    "GET /queue/more": (8, frozenset({200}), True),
    "GET /share/<id>": (4, frozenset({200}), True),
    "POST /share/<id>": (4, frozenset({303}), True),
    "GET /leaderboards": (8, frozenset({200}), True),
    "GET /me/impact": (8, frozenset({200}), True),
    # weight 0: each has a client thread of its own (DASHBOARDS), not the weighted draw
    "GET /analytics/team": (0, frozenset({200}), True),
    "GET /analytics": (0, frozenset({200}), True),
    "GET /r/<viral>": (25, frozenset({302}), False),
    BARE: (10, frozenset({200}), False),
    "GET /static/favicon.svg": (6, frozenset({200}), False),
}
#: the dashboards: one person each, in a thread of their own that views the page, waits
#: ``--think`` seconds, and again (a person reading a dashboard, not a retry loop)
DASHBOARDS = {"GET /analytics/team": "managers", "GET /analytics": "admin"}
LOGIN = "POST /login"
EXPECTED = {LOGIN: frozenset({302}), **{page: spec[1] for page, spec in MIX.items()}}

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SHARE_LINK_RE = re.compile(r'href="/share/(\d+)"')


class Interrupted(Exception):
    """SIGTERM: unwind through the ``finally`` blocks (gunicorn stopped, database dropped)."""


# --- database ------------------------------------------------------------------------------

#: the period_start of each period, from a UTC timestamp (app.gamification.services.period_start)
PERIOD_START = {
    "d": "date(l.occurred_at AT TIME ZONE 'UTC')",
    "w": "date(date_trunc('week', l.occurred_at AT TIME ZONE 'UTC'))",
    "m": "date(date_trunc('month', l.occurred_at AT TIME ZONE 'UTC'))",
    "q": "date(date_trunc('quarter', l.occurred_at AT TIME ZONE 'UTC'))",
    "a": "DATE '1970-01-01'",
}


def fill_period_totals(database: Database) -> None:
    """What the award job keeps up to date, summed at once from the generated ledger."""
    with database.engine.begin() as conn:
        for period, start in PERIOD_START.items():
            conn.execute(text(f"""
                INSERT INTO period_totals (user_id, period, period_start, points, shares,
                                           unique_clicks, conversions, reach)
                SELECT l.user_id, '{period}', {start}, sum(l.points),
                       count(*) FILTER (WHERE l.action = 'share'), 0,
                       count(*) FILTER (WHERE l.action = 'conversion'),
                       coalesce(sum(s.reach) FILTER (WHERE l.action = 'share'), 0)
                FROM points_ledger l
                LEFT JOIN shares s ON l.source_type = 'share' AND s.id = l.source_id
                GROUP BY l.user_id, {start}
            """))  # noqa: S608 (constants above)


@dataclass
class People:
    employees: list[str]
    managers: list[str]
    admin: str
    viral_code: str


def prepare(url: str, args, log) -> People:
    clock = time.perf_counter()
    sizes = acme100k.Sizes().scaled(args.scale)
    workload = acme100k.generate(sizes, datetime.now(UTC).date(), args.seed)
    log(f"acme-100k × {args.scale:g} generated in {time.perf_counter() - clock:.0f} s: "
        f"{sizes.employees:,} employees, {sizes.items:,} items, {sizes.shares:,} shares, "
        f"{len(workload.rows['clicks']):,} clicks")
    database = Database(url)
    clock = time.perf_counter()
    acme100k.load(database, workload, log=lambda *_: None)
    log(f"loaded in {time.perf_counter() - clock:.0f} s")
    viral = workload.viral_share_id
    del workload

    clock = time.perf_counter()
    from app.analytics import services as analytics

    with database.unit_of_work() as db:
        analytics.rebuild(db, datetime.now(UTC))
    fill_period_totals(database)
    log(f"rollups and period totals in {time.perf_counter() - clock:.0f} s")

    rng = random.Random(args.seed)
    # managers: person 10k+1 manages 10k+2 … 10k+10 (the generator's reports-to rule)
    manager_ids = [10 * k + 1 for k in rng.sample(range(1, sizes.employees // 10),
                                                   min(args.managers, sizes.employees // 10 - 1))]
    others = [i for i in range(2, sizes.employees + 1) if i not in set(manager_ids)]
    picked = rng.sample(others, min(args.users + 1, len(others)))
    admin_id, employee_ids = picked[0], picked[1:]
    digest = hash_password(PASSWORD)
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_hash = :h WHERE id = ANY(:ids)"),
                     {"h": digest, "ids": employee_ids + manager_ids + [admin_id]})
        conn.execute(text("UPDATE users SET role = 'manager' WHERE id = ANY(:ids)"),
                     {"ids": manager_ids})
        conn.execute(text("UPDATE users SET role = 'admin' WHERE id = :id"), {"id": admin_id})
        code = conn.scalar(text("SELECT code FROM shares WHERE id = :id"), {"id": viral})
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        # as docs/deploy.md sets up the database (new connections, i.e. gunicorn's, use it)
        conn.execute(text(f'ALTER DATABASE "{database.engine.url.database}" SET jit = off'))
    database.dispose()

    def email(i: int) -> str:
        return f"e{i}@acme.example"

    return People([email(i) for i in employee_ids], [email(i) for i in manager_ids],
                  email(admin_id), code)


# --- server --------------------------------------------------------------------------------

def server_env(url: str, redis_url: str | None, **more) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, PYTHONPATH=str(ROOT), **more)
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_gunicorn(url: str, port: int, args, logfile, redis_url: str | None
                   ) -> subprocess.Popen:
    env = dict(server_env(url, redis_url), RELAIS_ENV="production",
               SECRET_KEY=secrets.token_urlsafe(48), BASE_URL="https://relais.load.test",
               LOG_FORMAT="json", LOGIN_RATE_LIMIT="1000000 per minute",
               RELAIS_BIND=f"127.0.0.1:{port}", RELAIS_WORKERS=str(args.workers),
               RELAIS_THREADS=str(args.threads))
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
           "--no-control-socket", "wsgi:app"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logfile,  # noqa: S603 (our argv)
                            stderr=subprocess.STDOUT, start_new_session=True)


#: what the scheduler does for the dashboards, run every ``--tally-every`` seconds by a
#: process of its own during the whole run (the real scheduler: every 5 minutes)
SCHEDULER_JOBS = ("analytics.tally", "analytics.warm_dashboards")


def scheduler_loop(every: float) -> int:
    """``--scheduler-loop``: the analytics jobs at once, then every ``every`` seconds, until
    SIGTERM; one JSON line per run (DATABASE_URL and REDIS_URL from the environment)."""
    from app import create_app
    from app.jobs.runner import run_job

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = create_app()
    while True:
        for job in SCHEDULER_JOBS:
            result = run_job(app, job)
            print(json.dumps({"job": job, "status": str(result.status.value),
                              "seconds": round(result.duration, 3), "at": time.time(),
                              "summary": {k: v for k, v in result.summary.items()
                                          if k in ("warmed", "fresh", "skipped", "more")}}),
                  flush=True)
        time.sleep(every)


def start_scheduler(url: str, redis_url: str | None, every: float, logfile
                    ) -> subprocess.Popen:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--scheduler-loop", str(every)]
    return subprocess.Popen(cmd, cwd=ROOT, env=server_env(url, redis_url),  # noqa: S603
                            stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True)


def scheduler_runs(path: Path) -> list[dict]:
    runs = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                runs.append(json.loads(line))
            except ValueError:
                pass
    return runs


@contextlib.contextmanager
def private_redis():
    """A redis-server of our own on a free loopback port (nothing kept on disk), or None
    when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",  # noqa: S603
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz")


def stop(proc: subprocess.Popen) -> int:
    """SIGTERM (graceful: workers finish their requests and flush buffered clicks), then
    SIGKILL of the process group if it does not end in time."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=45)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=10)


# --- client --------------------------------------------------------------------------------

@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    unexpected: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, page: str, status: int | str, seconds: float) -> None:
        self.latencies.append(seconds)
        if isinstance(status, str) or not 200 <= status < 400:
            self.errors += 1
        elif status not in EXPECTED[page]:
            self.unexpected += 1
        key = str(status)
        self.statuses[key] = self.statuses.get(key, 0) + 1


class Recorder:
    """Per-page results; each client thread records into its own, merged at the end."""

    def __init__(self):
        self.pages: dict[str, Stats] = {}

    def add(self, page: str, status: int | str, seconds: float) -> None:
        self.pages.setdefault(page, Stats()).add(page, status, seconds)

    def merge(self, other: Recorder) -> None:
        for page, stats in other.pages.items():
            mine = self.pages.setdefault(page, Stats())
            mine.latencies += stats.latencies
            mine.errors += stats.errors
            mine.unexpected += stats.unexpected
            for key, n in stats.statuses.items():
                mine.statuses[key] = mine.statuses.get(key, 0) + n


class Session:
    """A signed-in person: their cookies, CSRF token and the items of their queue."""

    def __init__(self, email: str):
        self.email = email
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.items: list[int] = []

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def keep(self, response: http.client.HTTPResponse) -> None:
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val and "expires=thu, 01 jan 1970" not in value.lower():
                    self.cookies[key.strip()] = val
                else:
                    self.cookies.pop(key.strip(), None)


class Client:
    """One keep-alive connection; ``send`` answers (status or exception name, body, seconds)."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def send(self, method: str, path: str, session: Session | None = None,
             body: dict | None = None, headers: dict | None = None
             ) -> tuple[int | str, str, float]:
        head = {"User-Agent": CHROME.format(n=0), "Accept-Language": "en"}
        head.update(headers or {})
        if session is not None and session.cookies:
            head["Cookie"] = session.header()
        data = None
        if body is not None:
            data = urlencode(body)
            head["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=head)
            response = self.conn.getresponse()
            payload = response.read()
            seconds = time.perf_counter() - start
        except (OSError, http.client.HTTPException) as exc:
            seconds = time.perf_counter() - start
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            return type(exc).__name__, "", seconds
        if session is not None:
            session.keep(response)
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, payload.decode("utf-8", "replace"), seconds

    def close(self) -> None:
        self.conn.close()


def sign_in(client: Client, session: Session, recorder: Recorder) -> bool:
    status, body, _ = client.send("GET", "/login", session)
    match = CSRF_RE.search(body)
    if status != 200 or not match:
        recorder.add(LOGIN, status if status != 200 else "no CSRF token", 0.0)
        return False
    status, _, seconds = client.send("POST", "/login", session, body={
        "csrf_token": match.group(1), "email": session.email, "password": PASSWORD})
    recorder.add(LOGIN, status, seconds)
    return status == 302


def sign_in_all(port: int, sessions: list[Session], threads: int, timeout: float
                ) -> Recorder:
    recorders = [Recorder() for _ in range(threads)]

    def worker(n: int):
        client = Client(port, timeout)
        for session in sessions[n::threads]:
            sign_in(client, session, recorders[n])
        client.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    total = Recorder()
    for r in recorders:
        total.merge(r)
    return total


def remember_queue(session: Session, body: str) -> None:
    found = [int(i) for i in SHARE_LINK_RE.findall(body)]
    if found:
        session.items = found


def run_mix(port: int, people: dict[str, list[Session]], viral: str, args, seconds: float,
            seed: int) -> tuple[Recorder, float]:
    pages = [p for p in MIX if MIX[p][0] > 0]
    weights = [MIX[p][0] for p in pages]
    stop_at = time.monotonic() + seconds
    recorders = [Recorder() for _ in range(args.concurrency)]
    visitors = iter(range(10**9))
    lock = threading.Lock()

    def next_visitor() -> int:
        with lock:
            return next(visitors)

    def worker(n: int):
        rng = random.Random(seed * 1000 + n)
        rec = recorders[n]
        client = Client(port, args.timeout)
        mine = {role: group[n::args.concurrency] or group for role, group in people.items()}
        while time.monotonic() < stop_at:
            page = rng.choices(pages, weights)[0]
            if page == "GET /r/<viral>":
                # a new visitor each time: their own user agent, no cookie
                agent = CHROME.format(n=next_visitor())
                status, _, took = client.send("GET", f"/r/{viral}", headers={"User-Agent": agent})
            elif page in (BARE, "GET /static/favicon.svg"):
                status, _, took = client.send("GET", page.split(" ", 1)[1])
            else:
                session = rng.choice(mine["employees"])
                if page == "GET /":
                    status, body, took = client.send("GET", "/", session)
                    remember_queue(session, body)
                elif page == "GET /queue/more":
                    status, _, took = client.send("GET", "/queue/more?offset=5", session,
                                                  headers={"HX-Request": "true"})
                elif page in ("GET /share/<id>", "POST /share/<id>"):
                    if not session.items:  # the queue first, as a person would
                        status, body, took = client.send("GET", "/", session)
                        rec.add("GET /", status, took)
                        remember_queue(session, body)
                        if not session.items:
                            continue
                    item = session.items[0]
                    if page == "GET /share/<id>":
                        status, body, took = client.send("GET", f"/share/{item}", session)
                        match = CSRF_RE.search(body)
                        if match:
                            session.csrf = match.group(1)
                    else:
                        if not session.csrf:
                            continue
                        session.items.pop(0)  # shared: gone from the queue
                        status, _, took = client.send(
                            "POST", f"/share/{item}", session,
                            body={"csrf_token": session.csrf, "network": "linkedin",
                                  "text": "Worth a read."})
                else:  # leaderboards, my impact
                    status, _, took = client.send("GET", page.split(" ", 1)[1], session)
            rec.add(page, status, took)
        client.close()

    def reader(n: int, page: str, group: str):
        rng = random.Random(seed * 1000 + n)
        client = Client(port, args.timeout)
        while time.monotonic() < stop_at:
            status, _, took = client.send("GET", page.split(" ", 1)[1],
                                          rng.choice(people[group]))
            recorders[n].add(page, status, took)
            time.sleep(max(0.0, min(args.think, stop_at - time.monotonic())))
        client.close()

    recorders += [Recorder() for _ in DASHBOARDS]
    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(args.concurrency)]
    pool += [threading.Thread(target=reader, args=(args.concurrency + k, page, group))
             for k, (page, group) in enumerate(DASHBOARDS.items())]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    total = Recorder()
    for r in recorders:
        total.merge(r)
    return total, elapsed


# --- report --------------------------------------------------------------------------------

def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def summarise(recorder: Recorder, elapsed: float) -> dict[str, dict]:
    out = {}
    for page, stats in recorder.pages.items():
        ordered = sorted(stats.latencies)
        out[page] = {"requests": len(ordered), "rps": len(ordered) / elapsed,
                     "p50_ms": percentile(ordered, 0.50), "p95_ms": percentile(ordered, 0.95),
                     "p99_ms": percentile(ordered, 0.99), "errors": stats.errors,
                     "unexpected": stats.unexpected, "statuses": stats.statuses}
    return out


def print_table(rows: dict[str, dict], order: list[str]) -> None:
    print(f"{'page':26} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'errors':>6} {'unexp.':>6} {'app p50':>8} {'app p95':>8}  statuses")
    for page in order:
        if page not in rows:
            continue
        r = rows[page]
        statuses = " ".join(f"{k}×{v}" for k, v in sorted(r["statuses"].items()))
        app = r.get("app") or {}
        inside = "".join(f" {app[k]:8.1f}" if k in app else f" {'-':>8}"
                         for k in ("p50_ms", "p95_ms"))
        print(f"{page:26} {r['requests']:8d} {r['rps']:8.1f} {r['p50_ms']:8.1f} "
              f"{r['p95_ms']:8.1f} {r['p99_ms']:8.1f} {r['errors']:6d} {r['unexpected']:6d}"
              f"{inside}  {statuses}")


def page_of(method: str, path: str) -> str | None:
    """The MIX row of a request-log line (None: not part of the mix)."""
    if path.startswith("/r/"):
        return "GET /r/<viral>"
    if path.startswith("/share/"):
        return f"{method} /share/<id>"
    name = f"{method} {path}"
    return name if name in EXPECTED else None


def server_durations(path: Path, since: float, until: float) -> dict[str, dict]:
    """p50/p95 of the app's own duration_ms per page (the request log, LOG_FORMAT=json),
    for the requests that ended in the measured window: the time spent in the app, without
    the queueing in front of it and the client's own."""
    found: dict[str, list[float]] = {}
    for line in path.read_text(errors="replace").splitlines():
        if not line.startswith('{"time"') or '"duration_ms"' not in line:
            continue
        entry = json.loads(line)
        at = datetime.fromisoformat(entry["time"]).timestamp()
        page = page_of(entry.get("method", ""), entry.get("path", ""))
        if page and since <= at <= until:
            found.setdefault(page, []).append(entry["duration_ms"] / 1000)
    return {page: {"p50_ms": percentile(sorted(v), 0.50), "p95_ms": percentile(sorted(v), 0.95)}
            for page, v in found.items()}


def server_problems(path: Path) -> list[str]:
    """Tracebacks and error lines in the server's log (the request log is JSON lines)."""
    problems = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            level = json.loads(line).get("level", "") if line.startswith("{") else ""
        except ValueError:
            level = ""
        if level in ("error", "critical") or "Traceback" in line or "[ERROR]" in line \
                or "WORKER TIMEOUT" in line:
            problems.append(line[:300])
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server: a private database is created beside it and dropped")
    parser.add_argument("--scale", type=float, default=0.05,
                        help="of the acme-100k workload (1 = 100,000 employees)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--users", type=int, default=200, help="signed-in employees")
    parser.add_argument("--managers", type=int, default=5)
    parser.add_argument("--duration", type=float, default=20, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5, help="unmeasured seconds first")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--timeout", type=float, default=60, help="per request, seconds")
    parser.add_argument("--think", type=float, default=2,
                        help="seconds between two dashboard views of the manager / admin")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--server-log", type=Path, help="keep a copy of gunicorn's log here")
    parser.add_argument("--tally-every", type=float, default=300,
                        help="seconds between the scheduler process's tally + dashboard "
                             "warm-up runs (each run makes the dashboards' cache entries "
                             "stale, as the real 5-minute tally does)")
    parser.add_argument("--no-redis", action="store_true",
                        help="no private redis-server: per-process caches, no warm-up")
    parser.add_argument("--scheduler-loop", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scheduler_loop is not None:
        return scheduler_loop(args.scheduler_loop)
    if not args.database_url.startswith("postgresql"):
        parser.error("give a PostgreSQL server URL (postgresql+psycopg://…)")
    if min(args.users, args.concurrency, args.workers, args.threads) < 1 or args.duration <= 0:
        parser.error("--users, --concurrency, --workers, --threads and --duration must be > 0")

    def on_sigterm(signum, frame):
        raise Interrupted()

    signal.signal(signal.SIGTERM, on_sigterm)

    def log(message: str) -> None:
        print(message, flush=True)

    failures: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="relais-load-"))
    server_log = tmp / "gunicorn.log"
    jobs_log = tmp / "scheduler.log"
    try:
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(throwaway_database(args.database_url, "load"))
            redis_url = None if args.no_redis else stack.enter_context(private_redis())
            people = prepare(url, args, log)
            port = free_port()
            with server_log.open("wb") as logfile, jobs_log.open("wb") as jobs_file:
                proc = start_gunicorn(url, port, args, logfile, redis_url)
                scheduler = start_scheduler(url, redis_url, args.tally_every, jobs_file)
                try:
                    wait_ready(port, proc)
                    sessions = {"employees": [Session(e) for e in people.employees],
                                "managers": [Session(e) for e in people.managers],
                                "admin": [Session(people.admin)]}
                    everyone = [s for group in sessions.values() for s in group]
                    clock = time.perf_counter()
                    logins = sign_in_all(port, everyone, min(args.concurrency, len(everyone)),
                                         args.timeout)
                    login_time = time.perf_counter() - clock
                    log(f"{len(everyone)} people signed in through the form in "
                        f"{login_time:.1f} s (gunicorn -w {args.workers} --threads "
                        f"{args.threads}, port {port})")
                    if args.warmup > 0:
                        run_mix(port, sessions, people.viral_code, args, args.warmup, 1)
                    since = time.time()
                    recorder, elapsed = run_mix(port, sessions, people.viral_code, args,
                                                args.duration, 2)
                    until = time.time()
                finally:
                    status = stop(proc)
                    stop(scheduler)
            rows = summarise(recorder, elapsed)
            login_rows = summarise(logins, login_time)
            runs = [r for r in scheduler_runs(jobs_log) if since <= r["at"] <= until]
        problems = server_problems(server_log)
        for page, figures in server_durations(server_log, since, until).items():
            if page in rows:
                rows[page]["app"] = figures
        if args.server_log:
            shutil.copyfile(server_log, args.server_log)
    except (KeyboardInterrupt, Interrupted):
        print("interrupted: gunicorn stopped, database dropped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"PostgreSQL, acme-100k × {args.scale:g}; gunicorn gthread -w {args.workers} "
          f"--threads {args.threads}; {args.concurrency} client threads, "
          f"{args.duration:g} s measured after {args.warmup:g} s warm-up; "
          f"{len(people.employees)} employees, {len(people.managers)} managers, 1 admin "
          f"signed in; {'a private Redis' if redis_url else 'no Redis'}; the scheduler "
          f"process ran {', '.join(SCHEDULER_JOBS)} every {args.tally_every:g} s")
    print_table({**login_rows, **rows}, [LOGIN, *MIX])
    total = sum(r["requests"] for r in rows.values())
    errors = sum(r["errors"] + r["unexpected"] for r in rows.values())
    errors += sum(r["errors"] + r["unexpected"] for r in login_rows.values())
    print(f"{'all (mix)':26} {total:8d} {total / elapsed:8.1f}")
    print()
    for job in SCHEDULER_JOBS:
        mine = [r for r in runs if r["job"] == job]
        if mine:
            took = sorted(r["seconds"] for r in mine)
            print(f"{job}: {len(mine)} run(s) in the measured window, "
                  f"{took[len(took) // 2]:.2f} s median, {took[-1]:.2f} s longest; "
                  f"{sum(1 for r in mine if r['status'] != 'ok')} not ok; "
                  f"{sum(r['summary'].get('warmed', 0) for r in mine)} dashboard(s) warmed")
    print()
    bare = rows.get(BARE, {}).get("p95_ms", 0.0)

    def verdict(name: str, ok: bool, detail: str) -> None:
        print(f"{'PASS' if ok else 'FAIL'}  {name:34} {detail}")
        if not ok:
            failures.append(name)

    verdict("errors", errors == 0, f"{errors} (errors + unexpected, sign-in included)")
    for page, (_, _, budgeted) in MIX.items():
        if budgeted:
            r = rows.get(page)
            if r is None or not r["requests"] or not bare:
                verdict(f"p95 {page}", False, "not measured")
                continue
            ratio = r["p95_ms"] / bare
            # for information: the same ratio on the app's own durations (no queueing),
            # far less flattering when the server is saturated
            app, app_bare = r.get("app", {}), rows[BARE].get("app", {})
            inside = (f"; app time {app['p95_ms'] / app_bare['p95_ms']:.1f}×"
                      if app and app_bare.get("p95_ms") else "")
            verdict(f"p95 {page}", ratio <= BUDGET,
                    f"{r['p95_ms']:.1f} ms = {ratio:.2f}× {BARE} ({bare:.1f} ms; "
                    f"budget ≤ {BUDGET:g}×{inside})")
    verdict("server log", not problems, f"{len(problems)} error line(s); gunicorn exit "
                                        f"status {status}")
    for line in problems[:5]:
        print("   ", line)
    if args.json:
        args.json.write_text(json.dumps({
            "scale": args.scale, "duration": args.duration, "concurrency": args.concurrency,
            "workers": args.workers, "threads": args.threads, "pages": rows,
            "redis": bool(redis_url), "tally_every": args.tally_every, "scheduler": runs,
            "login": login_rows, "failures": failures}, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
