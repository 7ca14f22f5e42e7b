"""Bench: /r/<code> against a bare Flask route answering 302, on the same gunicorn settings,
in one run; then a clean shutdown and the click count.

    .venv/bin/python bench/redirect_bench.py                       # SQLite in a temp dir
    .venv/bin/python bench/redirect_bench.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With PostgreSQL, the given URL only names the server: the bench creates a throwaway
database beside it (relais_bench_<pid>) and drops it at the end.

Budget (DESIGN.md): throughput ≥ 0.85× the bare route, p99 ≤ 2×; after a clean shutdown
(SIGTERM) the click table holds exactly the clicks that were answered.

Load: wrk when installed (a Lua script cycles through the share codes), else a Python
keep-alive client; fixed duration, bounded connections, loopback only. wrk abandons the
requests in flight when its time is up (the server may still have recorded them), so for
the wrk phases the check is answered ≤ clicks ≤ sent; an exact check follows with the
Python client (every request sent is answered) on codes of their own.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app.accounts.models import Role, User, UserStatus  # noqa: E402
from app.content.models import ContentItem, ContentStatus  # noqa: E402
from app.db import Base, Database  # noqa: E402
from app.models import import_all_models  # noqa: E402
from app.sharing.models import Click, Share, ShareMethod, ShareStatus  # noqa: E402
from bench._scratch import throwaway_database  # noqa: E402

CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")


# --- database ------------------------------------------------------------------------------

def seed(url: str, shares: int, exact: int) -> tuple[list[str], list[str]]:
    """Users, items and shares; codes "m…" for the measured load, "e…" for the exact check."""
    import_all_models()
    database = Database(url)
    Base.metadata.drop_all(database.engine)
    Base.metadata.create_all(database.engine)
    measured = ["m" + secrets.token_urlsafe(8) for _ in range(shares)]
    exact_codes = ["e" + secrets.token_urlsafe(8) for _ in range(exact)]
    with database.unit_of_work() as db:
        users = [User(email=f"p{i}@bench.example", name=f"Person {i}", role=Role.EMPLOYEE,
                      status=UserStatus.ACTIVE, password_hash=None) for i in range(200)]
        items = [ContentItem(url=f"https://www.acme.example/news/{i}?ref=home",
                             slug=f"item-{i}", title=f"Item {i}",
                             status=ContentStatus.PUBLISHED) for i in range(100)]
        db.add_all(users + items)
        db.flush()
        for i, code in enumerate(measured + exact_codes):
            db.add(Share(code=code, user_id=users[i % len(users)].id,
                         item_id=items[i % len(items)].id, network="linkedin",
                         method=ShareMethod.INTENT, status=ShareStatus.OPENED))
    database.dispose()
    return measured, exact_codes


def count_clicks(url: str) -> dict[str, int]:
    database = Database(url)
    joined = select(func.count(Click.id)).join(Share, Share.id == Click.share_id)
    with database.engine.connect() as conn:
        out = {"m": conn.scalar(joined.where(Share.code.like("m%"))),
               "e": conn.scalar(joined.where(Share.code.like("e%"))),
               "bots": conn.scalar(select(func.count(Click.id)).where(Click.is_bot)),
               "self": conn.scalar(select(func.count(Click.id)).where(Click.is_self))}
    database.dispose()
    return out


# --- servers -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(target: str, port: int, env: dict, args) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", str(args.workers),
           "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--log-level",
           "warning", "--graceful-timeout", "20", "--keep-alive", "30", "--no-control-socket",
           target]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)  # noqa: S603 (our own argv)


def wait_ready(port: int, code: str, timeout: float = 30) -> None:
    """HEAD is answered without recording a click."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("HEAD", f"/r/{code}")
            status = conn.getresponse().status
            conn.close()
            if status == 302:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not answer")


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the workers
    return proc.wait(timeout=60)


# --- load ----------------------------------------------------------------------------------

def run_wrk(port: int, codes_file: Path, args, duration: float) -> dict:
    cmd = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d",
           f"{int(duration)}s", "--timeout", "5s", "-s", str(ROOT / "bench" / "redirect.lua"),
           f"http://127.0.0.1:{port}", "--", str(codes_file)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK_JSON "))
    data = json.loads(line[len("WRK_JSON "):])
    seconds = data["duration_us"] / 1e6
    return {"rps": data["requests"] / seconds, "p50_ms": data["p50_us"] / 1000,
            "p99_ms": data["p99_us"] / 1000, "answered": data["requests"],
            "sent": data["sent"],
            "errors": sum(v for k, v in data.items() if k.startswith("errors_"))}


def run_python(port: int, codes: list[str], connections: int, duration: float | None = None,
               total: int | None = None) -> dict:
    """Keep-alive client threads; each finishes the request it has sent before it stops,
    so ``answered`` is exact. Stops after ``duration`` seconds or ``total`` requests."""
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"answered": 0, "errors": 0, "issued": 0}
    deadline = time.monotonic() + duration if duration else None

    def take() -> bool:
        with lock:
            if total is not None and counts["issued"] >= total:
                return False
            counts["issued"] += 1
            return True

    def worker(offset: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = offset
        mine = []
        while (deadline is None or time.monotonic() < deadline) and take():
            code = codes[i % len(codes)]
            i += connections
            start = time.perf_counter()
            try:
                conn.request("GET", f"/r/{code}", headers={"User-Agent": CHROME})
                response = conn.getresponse()
                response.read()
                ok = response.status == 302
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - start)
            with lock:
                counts["answered" if ok else "errors"] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def pick(q: float) -> float:
        return (latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
                if latencies else 0.0)

    return {"rps": counts["answered"] / elapsed, "p50_ms": pick(0.50), "p99_ms": pick(0.99),
            "answered": counts["answered"], "sent": counts["answered"] + counts["errors"],
            "errors": counts["errors"]}


# --- main ----------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server (a throwaway database is "
                                               "created beside it); SQLite temp file if absent")
    parser.add_argument("--shares", type=int, default=3000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measure")
    parser.add_argument("--rounds", type=int, default=2, help="bare/real alternations")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--exact-requests", type=int, default=3000)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))

    with throwaway_database(args.database_url, "redirect") as url:
        measured, exact_codes = seed(url, args.shares, args.shares // 6)
        tmp = Path(tempfile.mkdtemp(prefix="relais-redirect-codes-"))
        codes_file = tmp / "codes.txt"
        codes_file.write_text("\n".join(measured) + "\n")
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-" + "x" * 40,
                   RELAIS_ENV="development", PYTHONPATH=str(ROOT))
        bare_port, real_port = free_port(), free_port()
        bare = start_gunicorn("bench.redirect_app:bare_app()", bare_port, env, args)
        real = start_gunicorn("bench.redirect_app:real_app()", real_port, env, args)
        try:
            wait_ready(bare_port, measured[0])
            wait_ready(real_port, measured[0])

            def load(port, duration):
                if use_wrk:
                    return run_wrk(port, codes_file, args, duration)
                return run_python(port, measured, args.connections, duration=duration)

            # warm up both (the real app's link cache fills here)
            wrk_answered = wrk_sent = 0
            load(bare_port, 2)
            warm = load(real_port, 3)
            wrk_answered += warm["answered"]
            wrk_sent += warm["sent"]
            results = {"bare": [], "real": []}
            for _ in range(args.rounds):
                results["bare"].append(load(bare_port, args.duration))
                r = load(real_port, args.duration)
                wrk_answered += r["answered"]
                wrk_sent += r["sent"]
                results["real"].append(r)
            exact = run_python(real_port, exact_codes, args.connections,
                               total=args.exact_requests)
        finally:
            bare_rc = stop(bare)
            real_rc = stop(real)
        shutil.rmtree(tmp, ignore_errors=True)
        stored = count_clicks(url)

    def med(name, key):
        return statistics.median(r[key] for r in results[name])

    rps_ratio = med("real", "rps") / med("bare", "rps")
    p99_ratio = med("real", "p99_ms") / med("bare", "p99_ms")
    print()
    print(f"database   {'PostgreSQL' if args.database_url else 'SQLite'}; gunicorn gthread "
          f"-w {args.workers} --threads {args.threads}; {'wrk' if use_wrk else 'python'} client,"
          f" {args.connections} connections, {args.duration:g} s × {args.rounds} rounds")
    for name in ("bare", "real"):
        for i, r in enumerate(results[name], 1):
            print(f"  {name:4} #{i}: {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
                  f"p99 {r['p99_ms']:6.2f} ms  errors {r['errors']}")
    print(f"throughput /r/ vs bare: {rps_ratio:.2f}×  (target ≥ 0.85)  "
          f"{'OK' if rps_ratio >= 0.85 else 'MISSED'}")
    print(f"p99        /r/ vs bare: {p99_ratio:.2f}×  (target ≤ 2)     "
          f"{'OK' if p99_ratio <= 2 else 'MISSED'}")
    print(f"gunicorn exit codes: bare {bare_rc}, real {real_rc}")
    loaded_ok = wrk_answered <= stored["m"] <= wrk_sent
    print(f"clicks, measured load: {stored['m']} stored; {wrk_answered} answered, {wrk_sent} sent"
          f" ({'exact' if wrk_answered == stored['m'] else 'in-flight at the end: bounded'}) "
          f"{'OK' if loaded_ok else 'LOST OR EXTRA'}")
    exact_ok = stored["e"] == exact["answered"] and exact["errors"] == 0
    print(f"clicks, exact check:   {stored['e']} stored for {exact['answered']} answered "
          f"{'OK' if exact_ok else 'MISMATCH'}; bots {stored['bots']}, self {stored['self']}")
    ok = (rps_ratio >= 0.85 and p99_ratio <= 2 and loaded_ok and exact_ok
          and stored["bots"] == 0 and stored["self"] == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
