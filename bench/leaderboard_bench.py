"""Bench: the monthly company leaderboard for 100,000 employees, the app's board function
(cache off: every call reads the database) against the bare SQL it needs (top N + the
viewer's own rank) on the same tables, in one run.

    .venv/bin/python bench/leaderboard_bench.py                  # SQLite in a temp dir
    .venv/bin/python bench/leaderboard_bench.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/leaderboard_bench.py

With PostgreSQL, the given URL only names the server: the bench creates a throwaway
database beside it (relais_bench_lb_<pid>) and drops it at the end.

Data: 100,000 people (2% deactivated, 1% opted out of the boards), each with this month's,
last month's, this week's, this quarter's and the all-time PeriodTotal rows (500,000 rows;
points drawn so that there are many ties). The viewers are people spread over the whole
board (top, middle, bottom, opted out, nothing this month).

Budget (issue 5): app board ≤ 1.5× the bare query. Both sides run one after the other,
interleaved, each in a fresh session / connection per call (as a request does); the board
function also reads the programme settings row, as the page does. Results are compared
row for row before timing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from app.accounts.models import Role, User, UserStatus  # noqa: E402
from app.db import Base, Database  # noqa: E402
from app.gamification.leaderboards import BoardSpec, board  # noqa: E402
from app.gamification.models import (  # noqa: E402
    GamificationProfile,
    GamificationSettings,
    Period,
    PeriodTotal,
)
from app.gamification.services import period_start  # noqa: E402
from app.models import import_all_models  # noqa: E402
from bench._scratch import throwaway_database  # noqa: E402

BUDGET = 1.5

TOP_SQL = text("""
SELECT t.user_id, u.name, t.points
FROM period_totals t JOIN users u ON u.id = t.user_id
WHERE t.period = :period AND t.period_start = :start AND t.points > 0
  AND u.status = 'active' AND u.erased_at IS NULL
  AND t.user_id NOT IN (SELECT user_id FROM gamification_profiles
                        WHERE leaderboard_opt_out = :yes)
ORDER BY t.points DESC, t.user_id
LIMIT :limit
""")

# the viewer's rank: everyone above (an index-only range count) minus the hidden people
# above (deactivated / invited — erasure deactivates — or opted out): the shape the app
# uses, because joining every row above to its person is ten times slower at this size
VIEWER_SQL = text("""
SELECT m.points, me.name,
       (SELECT count(*) FROM period_totals o
        WHERE o.period = :period AND o.period_start = :start AND o.points > m.points)
     - (SELECT count(*) FROM period_totals o
        WHERE o.period = :period AND o.period_start = :start AND o.points > m.points
          AND o.user_id IN (SELECT id FROM users WHERE status IN ('invited', 'deactivated')
                            UNION SELECT user_id FROM gamification_profiles
                                  WHERE leaderboard_opt_out = :yes))
FROM period_totals m JOIN users me ON me.id = m.user_id
WHERE m.user_id = :viewer AND m.period = :period AND m.period_start = :start
  AND m.points > 0
""")


def seed(database: Database, people: int, today) -> None:
    rng = random.Random(5)
    Base.metadata.drop_all(database.engine)
    Base.metadata.create_all(database.engine)
    month = period_start(Period.MONTH, today)
    last_month = period_start(Period.MONTH, month - timedelta(days=1))
    starts = [(Period.MONTH, month), (Period.MONTH, last_month),
              (Period.WEEK, period_start(Period.WEEK, today)),
              (Period.QUARTER, period_start(Period.QUARTER, today)),
              (Period.ALL, period_start(Period.ALL, today))]
    now = datetime.now(UTC)
    chunk = 10_000
    with database.engine.begin() as conn:
        for first in range(0, people, chunk):
            conn.execute(insert(User), [
                {"id": i + 1, "email": f"p{i}@bench.example", "name": f"Person {i}",
                 "role": Role.EMPLOYEE,
                 "status": UserStatus.DEACTIVATED if i % 50 == 7 else UserStatus.ACTIVE,
                 "language": "en", "timezone": "UTC", "session_version": 1,
                 "failed_logins": 0, "created_at": now}
                for i in range(first, min(people, first + chunk))])
        conn.execute(insert(GamificationProfile), [
            {"user_id": i + 1, "leaderboard_opt_out": True, "level": 1}
            for i in range(0, people, 100)])
        conn.execute(insert(GamificationSettings), [
            {"id": 1, "anonymous_boards": False, "board_size": 10, "updated_at": now}])
        for first in range(0, people, chunk):
            rows = []
            for i in range(first, min(people, first + chunk)):
                for period, start in starts:
                    # a tenth of the people did nothing this month; points in steps of 5
                    points = 0 if (i % 10 == 3 and period is Period.MONTH) else \
                        5 * int(rng.paretovariate(1.3) * 4)
                    rows.append({"user_id": i + 1, "period": period, "period_start": start,
                                 "points": points, "shares": points // 5,
                                 "unique_clicks": points // 3, "conversions": points // 50,
                                 "reach": points * 40})
            conn.execute(insert(PeriodTotal), rows)
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    else:
        with database.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def bare(engine, params: dict, viewer: int):
    with engine.connect() as conn:
        top = [tuple(r) for r in conn.execute(TOP_SQL, params)]
        mine = conn.execute(VIEWER_SQL, {**params, "viewer": viewer}).first()
    return top, None if mine is None else (int(mine[0]), mine[1], int(mine[2]) + 1)


def app_board(database: Database, viewer: int):
    with database.new_session() as db:
        result = board(db, BoardSpec(), viewer_id=viewer, use_cache=False)
    top = [(r.user_id, r.name, r.value) for r in result.rows]
    mine = None if result.viewer is None else (result.viewer.value, result.viewer.name,
                                               result.viewer.rank)
    return top, mine


def measure(fn, viewers, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for viewer in viewers:
            start = time.perf_counter()
            fn(viewer)
            times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (f"median {statistics.median(times) * 1000:8.2f} ms  mean "
            f"{statistics.fmean(times) * 1000:8.2f} ms  p95 {p95 * 1000:8.2f} ms  "
            f"(n={len(times)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL server (a throwaway database is created beside "
                             "it); SQLite temp file if absent")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved bare/app alternations, each over every viewer")
    args = parser.parse_args()
    url = args.database_url
    if url and url.startswith("sqlite"):
        parser.error("give a PostgreSQL server URL, or nothing for a SQLite temp file")

    import_all_models()
    today = datetime.now(UTC).date()
    with throwaway_database(url, "lb") as db_url:
        database = Database(db_url)
        t0 = time.perf_counter()
        seed(database, args.people, today)
        print(f"{database.engine.dialect.name}: {args.people:,} people, "
              f"{args.people * 5:,} period rows seeded in {time.perf_counter() - t0:.1f} s")
        rng = random.Random(7)
        viewers = sorted(rng.sample(range(1, args.people + 1), args.viewers - 3))
        viewers += [1, 4, 101]  # opted out (1, 101) and nothing this month (4)
        params = {"period": Period.MONTH.value, "start": period_start(Period.MONTH, today),
                  "yes": True, "limit": 10}

        def run_bare(viewer):
            return bare(database.engine, params, viewer)

        def run_app(viewer):
            return app_board(database, viewer)

        # same answers first (the opted-out viewers see themselves in the app only)
        for viewer in viewers:
            expected, got = run_bare(viewer), run_app(viewer)
            if viewer % 100 != 1:
                assert got == expected, (viewer, got, expected)
            else:
                assert got[1] is not None and got[1][2] == expected[1][2], (viewer, got)
        measure(run_bare, viewers, 1)  # warm both (caches of the database and of Python)
        measure(run_app, viewers, 1)
        bare_times, app_times = [], []
        for _ in range(args.rounds):
            bare_times += measure(run_bare, viewers, 1)
            app_times += measure(run_app, viewers, 1)
        database.dispose()

    ratio = statistics.median(app_times) / statistics.median(bare_times)
    mean_ratio = statistics.fmean(app_times) / statistics.fmean(bare_times)
    print(f"bare SQL (top 10 + own rank): {summary(bare_times)}")
    print(f"app board() (cache off):      {summary(app_times)}")
    verdict = "PASS" if ratio <= BUDGET else "FAIL"
    print(f"ratio app/bare: median {ratio:.2f}x, mean {mean_ratio:.2f}x "
          f"(budget ≤ {BUDGET}x): {verdict}")
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
