"""Bench: one day's incremental tally against the raw SQL aggregate over the same rows and
against a full rebuild, in one run (DESIGN.md "Performance budgets", issue 7).

    .venv/bin/python bench/tally_bench.py --generate --scale 0.01              # SQLite, temp
    .venv/bin/python bench/tally_bench.py --generate \
        --database-url postgresql+psycopg://postgres@127.0.0.1/bench_tally
    .venv/bin/python bench/tally_bench.py --database-url sqlite:////tmp/acme.db  # already loaded

With ``--generate`` the database is emptied and filled with the acme-100k workload
(bench/acme100k.py, ``--scale`` to shrink it) first. Then:

1. *rebuild*: every rollup from the raw events (``flask analytics rebuild``), timed; the
   rollups are kept as the reference;
2. *incremental*: the state at the end of the day before the last one is restored (the
   last day's rollups deleted, the watermark put just before that day's events), and one
   tally run catches the day up, timed (median of ``--repeat`` runs);
3. *raw aggregates*: the last day's numbers of each of the five rollups (share, person,
   item, person × topic, group) computed in one SQL aggregate each, straight over the raw
   rows of the day (no intermediate table, no writes), timed together (median); and the
   person rollup's aggregate alone, timed (median), for information;
4. equality: the incremental rollups equal the rebuild's (every table, every day), and each
   raw aggregate equals the stored rows of its rollup for the day.

The fair comparison: one incremental run produces (and writes) all five rollups of the
day, so the raw baseline with the same results is the five aggregates together — that is
the ratio with the 1.5 target. The person rollup alone is one fifth of those results.

Targets: incremental ≤ 1.5 × the raw aggregates of the five rollups, ≤ 0.1 × rebuild,
equal results. Exit status 1 when a target is missed or a result differs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import delete, func, select, text  # noqa: E402

from app.analytics import tally  # noqa: E402
from app.analytics.models import ROLLUPS  # noqa: E402
from app.db import Database  # noqa: E402
from app.gamification.models import LedgerEntry  # noqa: E402
from app.models import import_all_models  # noqa: E402
from app.sharing.models import Click, Conversion, EngagementSnapshot, Share  # noqa: E402

#: the column that orders each source in time (the generator writes rows in that order)
TIME_OF = {"clicks": Click.at, "shares": tally.share_time(), "conversions": Conversion.occurred_at,
           "snapshots": EngagementSnapshot.taken_at, "ledger": LedgerEntry.occurred_at}
MODEL_OF = {"clicks": Click, "shares": Share, "conversions": Conversion,
            "snapshots": EngagementSnapshot, "ledger": LedgerEntry}


def timed(fn):
    clock = time.perf_counter()
    result = fn()
    return time.perf_counter() - clock, result


def analyze(session) -> None:
    """Fresh planner statistics after the rebuild filled the rollup tables (in production
    autovacuum / a periodic ANALYZE does this)."""
    session.execute(text("ANALYZE"))


def vacuum(database) -> None:
    """PostgreSQL: clean the rollup tables after the day's rows were deleted (what
    autovacuum does in production), so that repeated measures start from the same state."""
    if database.engine.dialect.name != "postgresql":
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for model in ROLLUPS:
            conn.execute(text(f"VACUUM (ANALYZE) {model.__tablename__}"))


def last_day(session):
    latest = session.scalar(select(func.max(Click.at)))
    return latest.astimezone(UTC).date()


def restore_day_before(session, day) -> dict[str, int]:
    """Rollups and watermark as they were at the end of the day before ``day``."""
    start, _ = tally.day_bounds(day)
    for model in ROLLUPS:
        session.execute(delete(model).where(model.day >= day))
    pos = {src: int(session.scalar(select(func.max(MODEL_OF[src].id))
                                   .where(TIME_OF[src] < start)) or 0)
           for src in tally.SOURCES}
    state = tally.TallyState(pos=dict(pos), floor=dict(pos), history=[], pending=[])
    tally.save_state(session, state)
    return pos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--generate", action="store_true",
                        help="empty the database and load the acme-100k workload first")
    parser.add_argument("--scale", type=float, default=1.0, help="with --generate")
    parser.add_argument("--repeat", type=int, default=3,
                        help="incremental and raw runs (the median is compared)")
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/acme100k.db"
    import_all_models()
    database = Database(url)
    dialect = database.engine.dialect.name
    print(f"database: {dialect}")
    if args.generate or not args.database_url:
        import acme100k  # bench/, on sys.path above

        clock = time.perf_counter()
        workload = acme100k.generate(acme100k.Sizes().scaled(args.scale),
                                     datetime.now(UTC).date())
        generated = time.perf_counter() - clock
        clock = time.perf_counter()
        acme100k.load(database, workload, log=lambda line: None)
        loaded = time.perf_counter() - clock
        print(f"acme-100k × {args.scale}: generated in {generated:.1f} s, loaded in "
              f"{loaded:.1f} s ({generated + loaded:.1f} s): " + ", ".join(
                  f"{name} {len(rows):,}" for name, rows in workload.rows.items()))
        del workload

    now = datetime.now(UTC) + timedelta(minutes=1)
    session = database.new_session(write=True)
    try:
        # 1. the full rebuild, kept as the reference
        rebuild_seconds, summary = timed(lambda: tally.rebuild(session, now))
        session.commit()
        print(f"rebuild: {rebuild_seconds:.2f} s ({summary['days']} days, rows "
              + ", ".join(f"{k} {v:,}" for k, v in summary["rows"].items()) + ")")
        analyze(session)
        session.commit()
        tally.snapshot_rollups(session, "rebuild")
        session.commit()

        day = last_day(session)
        start, stop = tally.day_bounds(day)
        rows = session.scalar(select(func.count()).select_from(Click)
                              .where(Click.at >= start, Click.at < stop))
        print(f"measured day: {day} ({rows:,} clicks)")

        incremental, raw_all, raw_user = [], [], []
        options = tally.TallyOptions(batch=10**9)
        for _ in range(args.repeat):
            pos = restore_day_before(session, day)
            session.commit()
            vacuum(database)
            top = tally.max_ids(session)
            ranges = {src: (pos[src], top[src]) for src in tally.SOURCES}
            seconds, summary = timed(lambda: (tally.tally(session, now, options),
                                              session.commit())[0])
            incremental.append(seconds)
            # the same transaction settings as the tally's (PostgreSQL: no JIT, work_mem)
            tally.tune(session)
            seconds, direct = timed(lambda r=ranges: {
                kind: tally.direct_rows(session, day, kind, r) for kind in tally.KEYS})
            raw_all.append(seconds)
            seconds, _ = timed(lambda r=ranges: tally.direct_rows(session, day, "user", r))
            raw_user.append(seconds)
            session.rollback()
        print(f"incremental tally runs: {', '.join(f'{s:.2f}' for s in incremental)} s "
              f"(new ids {summary['new_ids']}, buckets {summary['buckets']})")
        print(f"raw aggregates of the five rollups: "
              f"{', '.join(f'{s:.2f}' for s in raw_all)} s ("
              + ", ".join(f"{kind} {len(rows):,} rows" for kind, rows in direct.items()) + ")")
        print(f"raw aggregate of the person rollup alone: "
              f"{', '.join(f'{s:.2f}' for s in raw_user)} s")

        # a routine 5-minute run late in the day: 5 new minutes of events, the 15 minutes
        # before them re-scanned (the overlap); the rollups are complete, so nothing changes
        ids_at = {when: {src: int(session.scalar(select(func.max(MODEL_OF[src].id))
                                                 .where(TIME_OF[src] < stop)
                                                 .where(TIME_OF[src] < stop - when)) or 0)
                         for src in tally.SOURCES}
                  for when in (timedelta(minutes=5), timedelta(minutes=20))}
        routine = []
        for _ in range(args.repeat):
            tally.save_state(session, tally.TallyState(
                pos=ids_at[timedelta(minutes=5)], floor=ids_at[timedelta(minutes=20)]))
            session.commit()
            seconds, routine_summary = timed(lambda: (tally.tally(session, stop, options),
                                                      session.commit())[0])
            routine.append(seconds)
        print(f"routine 5-minute run at the end of the day: "
              f"{', '.join(f'{s:.2f}' for s in routine)} s (buckets "
              f"{routine_summary['buckets']})")

        differences = tally.compare_with_snapshot(session, "rebuild")
        raw_equal = {kind: tally.stored_rows(session, day, kind) == rows
                     for kind, rows in direct.items()}
        tally.drop_snapshot(session, "rebuild")
        session.commit()
    finally:
        session.close()

    inc, all_five, person = (statistics.median(incremental), statistics.median(raw_all),
                             statistics.median(raw_user))
    vs_all, vs_user, vs_rebuild = inc / all_five, inc / person, inc / rebuild_seconds
    equal = not differences and all(raw_equal.values())
    print()
    print(f"one day's incremental tally (median): {inc:.2f} s; it computes and writes all "
          "five rollups of the day (share, person, item, person × topic, group)")
    print(f"incremental / raw aggregates of the five rollups ({all_five:.2f} s, the same five "
          f"results, nothing written): {vs_all:.2f} (target ≤ 1.5) "
          f"{'OK' if vs_all <= 1.5 else 'MISSED'}  <- the like-for-like comparison")
    print(f"incremental / raw aggregate of the person rollup alone ({person:.2f} s, one of the "
          f"five results, nothing written): {vs_user:.2f} (for information only, no target)")
    print(f"incremental / full rebuild ({rebuild_seconds:.2f} s): {vs_rebuild:.3f} "
          f"(target ≤ 0.1) {'OK' if vs_rebuild <= 0.1 else 'MISSED'}")
    print(f"results equal: incremental = rebuild {'yes' if not differences else 'NO'}; "
          "raw aggregates = rollups " + ", ".join(
              f"{kind} {'yes' if ok else 'NO'}" for kind, ok in raw_equal.items()))
    if differences:
        print(tally.describe_differences(differences))
    return 0 if equal and vs_all <= 1.5 and vs_rebuild <= 0.1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
