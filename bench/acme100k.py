"""Bench data: the acme-100k workload (DESIGN.md "Performance budgets").

100,000 employees in 500 groups, 20,000 content items, 1,000,000 shares and 5,000,000
clicks over 30 days, one of them a viral link (10 % of all clicks over a few days), plus
what the rollups also read: conversions (0.5 % of the human clicks), hourly-to-daily
engagement snapshots of the API shares and points ledger entries.

    .venv/bin/python bench/acme100k.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1/bench_tally
    .venv/bin/python bench/acme100k.py --database-url sqlite:////tmp/acme.db --scale 0.1
    .venv/bin/python bench/acme100k.py --scale 0.01          # CI smoke: SQLite in a temp dir

The database is emptied first (drop_all/create_all): use a throwaway one. Rows are
generated in time order (ids grow with time, as in production) from a fixed seed, and
loaded in bulk: COPY on PostgreSQL (foreign-key triggers off during the load, indexes built
afterwards), executemany in big transactions on SQLite. ``--scale`` multiplies every
count (groups and items stay at least 5 and 50).
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.sql.schema import ScalarElementColumnDefault  # noqa: E402

from app.db import Base, Database  # noqa: E402
from app.models import import_all_models  # noqa: E402

NETWORKS = (("linkedin", 0.55), ("x", 0.2), ("facebook", 0.15), ("email", 0.1))
REFERRERS = {"linkedin": "www.linkedin.com", "x": "t.co", "facebook": "l.facebook.com",
             "email": ""}
HOUR = 3600.0
DAY = 86400.0


@dataclass
class Sizes:
    employees: int = 100_000
    groups: int = 500
    items: int = 20_000
    shares: int = 1_000_000
    clicks: int = 5_000_000
    days: int = 30
    topics: int = 30

    def scaled(self, scale: float) -> Sizes:
        return Sizes(employees=max(20, int(self.employees * scale)),
                     groups=max(5, int(self.groups * scale)),
                     items=max(50, int(self.items * scale)),
                     shares=max(100, int(self.shares * scale)),
                     clicks=max(500, int(self.clicks * scale)),
                     days=self.days, topics=self.topics)


@dataclass
class Workload:
    """The generated rows, per table, as tuples in the order of ``columns[table]``."""

    start: datetime
    end: datetime
    rows: dict[str, list[tuple]] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    viral_share_id: int = 0


# --- generation ---------------------------------------------------------------------------


#: an odd 256-bit multiplier: n → n × K mod 2^256 is a bijection (distinct visitors keep
#: distinct hashes) that looks random enough for the indexes
_K = int("9E3779B97F4A7C15F39CC0605CEDC8341082276BF3A27251F86C6A11D0C18E95", 16)


def _hash(n: int) -> str:
    """A 64-hex-digit visitor hash, distinct per visitor number (cheap, random-looking)."""
    return f"{(n * _K) % (1 << 256):064x}"


def generate(sizes: Sizes, end: date, seed: int = 7) -> Workload:
    rng = random.Random(seed)
    end_at = datetime.combine(end, datetime.min.time(), tzinfo=UTC)
    start_at = end_at - timedelta(days=sizes.days)
    t0, span = start_at.timestamp(), sizes.days * DAY
    w = Workload(start=start_at, end=end_at)

    def at(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    # people, groups (departments, locations, teams), memberships, topics
    n_dept, n_loc = max(1, sizes.groups // 25), max(1, sizes.groups * 3 // 50)
    n_team = max(1, sizes.groups - n_dept - n_loc)
    kinds = ["department"] * n_dept + ["location"] * n_loc + ["team"] * n_team
    w.rows["groups"] = [(i + 1, kind, f"{kind.title()} {i + 1}", start_at)
                        for i, kind in enumerate(kinds)]
    w.columns["groups"] = ["id", "kind", "name", "created_at"]
    w.rows["topics"] = [(i + 1, f"Topic {i + 1}") for i in range(sizes.topics)]
    w.columns["topics"] = ["id", "name"]
    users, members = [], []
    for i in range(1, sizes.employees + 1):
        manager = None if i % 10 == 1 else i - (i - 1) % 10
        users.append((i, f"e{i}@acme.example", f"Employee {i}", "employee", "active",
                      "fr" if i % 3 else "en", "UTC", manager, start_at))
        members.append((i, 1 + i % n_dept))
        members.append((i, 1 + n_dept + i % n_loc))
        members.append((i, 1 + n_dept + n_loc + (i * 7919) % n_team))
    w.rows["users"], w.rows["user_groups"] = users, members
    w.columns["users"] = ["id", "email", "name", "role", "status", "language", "timezone",
                          "manager_id", "created_at"]
    w.columns["user_groups"] = ["user_id", "group_id"]

    items, item_topics = [], []
    for i in range(1, sizes.items + 1):
        items.append((i, f"https://www.acme.example/news/{i}", f"news-{i}", f"News {i}",
                      "published", start_at - timedelta(days=1), start_at, start_at))
        for t in rng.sample(range(1, sizes.topics + 1), 1 + i % 2):
            item_topics.append((i, t))
    w.rows["content_items"], w.rows["content_item_topics"] = items, item_topics
    w.columns["content_items"] = ["id", "url", "slug", "title", "status", "published_at",
                                  "created_at", "updated_at"]
    w.columns["content_item_topics"] = ["item_id", "topic_id"]

    # shares: a few very active ambassadors share most (impact concentration)
    cumulative, total = [], 0.0
    for _, weight in NETWORKS:
        total += weight
        cumulative.append(total)
    times = sorted(t0 + rng.random() * span for _ in range(sizes.shares))
    shares, share_meta = [], []
    viral = sizes.shares // 3
    for i, ts in enumerate(times, start=1):
        user = 1 + int(sizes.employees * rng.random() ** 3)
        item = 1 + int(sizes.items * rng.random() ** 2)
        network = NETWORKS[bisect.bisect_left(cumulative, rng.random() * total)][0]
        roll = rng.random()
        method, status, posted = "intent", "opened", None
        if roll < 0.10:
            method, status, posted = "api", "posted", at(ts)
        elif roll < 0.11:
            method, status = "api", "failed"
        reach = 0 if network == "email" else min(50_000, int(rng.lognormvariate(6, 1.2)))
        if i == viral:
            network, method, status, posted, reach = "linkedin", "api", "posted", at(ts), 250_000
        shares.append((i, f"s{i:x}", user, item, network, method, status, at(ts), posted,
                       reach, f"p{i}" if method == "api" and status == "posted" else None))
        share_meta.append((ts, user, status, method))
    w.rows["shares"] = shares
    w.columns["shares"] = ["id", "code", "user_id", "item_id", "network", "method", "status",
                           "created_at", "posted_at", "reach", "external_post_id"]
    w.viral_share_id = viral

    # clicks: 10 % on the viral link over a few days, the rest spread over the shares
    clicks = []
    visitors = 0
    viral_clicks = sizes.clicks // 10
    # 5 % more than needed (clicks that would fall after the last day are dropped), then a
    # uniform random sample brings the count to exactly ``sizes.clicks``
    mean = 1.05 * (sizes.clicks - viral_clicks) / sizes.shares
    horizon = t0 + span
    for share_id, (ts, _user, status, _method) in enumerate(share_meta, start=1):
        if status == "failed":
            continue
        if share_id == viral:
            count, delay = viral_clicks, 30 * HOUR
        else:
            count, delay = int(rng.expovariate(1 / mean) + 0.5), 8 * HOUR
        seen: list[int] = []
        for _ in range(count):
            click_at = ts + rng.expovariate(1 / delay)
            if click_at >= horizon:
                continue
            roll = rng.random()
            bot, self_ = roll < 0.08, 0.08 <= roll < 0.09
            if seen and rng.random() < 0.25:
                visitor = rng.choice(seen)
            else:
                visitors += 1
                visitor = visitors
                seen.append(visitor)
            clicks.append((click_at, share_id, visitor, bot, self_))
    if len(clicks) > sizes.clicks:
        clicks = rng.sample(clicks, sizes.clicks)
    clicks.sort()
    w.rows["clicks"] = [(i, share_id, at(ts), _hash(visitor),
                         REFERRERS[shares[share_id - 1][4]], bot, self_)
                        for i, (ts, share_id, visitor, bot, self_) in enumerate(clicks, 1)]
    w.columns["clicks"] = ["id", "share_id", "at", "visitor_hash", "referrer_host", "is_bot",
                           "is_self"]

    # conversions: 0.5 % of the human clicks, a few hours later
    conversions = []
    for ts, share_id, _visitor, bot, self_ in clicks:
        if not bot and not self_ and rng.random() < 0.005:
            when = ts + rng.expovariate(1 / (2 * HOUR))
            if when < horizon:
                value = None if rng.random() < 0.3 else round(rng.uniform(50, 5000), 2)
                conversions.append((when, share_id, value))
    conversions.sort(key=lambda c: c[0])
    w.rows["conversions"] = [(i, f"crm-{i}", share_id, "lead", value,
                              "EUR" if value is not None else "", at(when), at(when + 60), "{}")
                             for i, (when, share_id, value) in enumerate(conversions, 1)]
    w.columns["conversions"] = ["id", "event_id", "share_id", "type", "value", "currency",
                                "occurred_at", "received_at", "payload"]

    # engagement snapshots of the posted API shares: after 1 hour, 1 day and 2 days
    snapshots = []
    for share_id, (ts, _user, status, method) in enumerate(share_meta, start=1):
        if method != "api" or status != "posted":
            continue
        likes = comments = reshares = 0
        for offset in (HOUR, DAY, 2 * DAY):
            taken = ts - ts % HOUR + offset
            if taken >= horizon:
                break
            likes += rng.randint(0, 20)
            comments += rng.randint(0, 4)
            reshares += rng.randint(0, 2)
            snapshots.append((taken, share_id, likes, comments, reshares))
    snapshots.sort(key=lambda s: (s[0], s[1]))
    w.rows["engagement_snapshots"] = [
        (i, share_id, at(taken), "api", likes, comments, reshares, likes * 20)
        for i, (taken, share_id, likes, comments, reshares) in enumerate(snapshots, 1)]
    w.columns["engagement_snapshots"] = ["id", "share_id", "taken_at", "source", "likes",
                                         "comments", "reshares", "impressions"]

    # points: 5 per share made, 50 per conversion, by the time of the event
    ledger = [(ts, user, "share", 5, "share", share_id)
              for share_id, (ts, user, status, _m) in enumerate(share_meta, start=1)
              if status != "failed"]
    ledger += [(when, share_meta[share_id - 1][1], "conversion", 50, "conversion", i)
               for i, (when, share_id, _v) in enumerate(conversions, 1)]
    ledger.sort(key=lambda e: e[0])
    w.rows["points_ledger"] = [(i, user, action, amount, source, source_id,
                                f"{source}:{source_id}", at(when), at(when))
                               for i, (when, user, action, amount, source, source_id)
                               in enumerate(ledger, 1)]
    w.columns["points_ledger"] = ["id", "user_id", "action", "points", "source_type",
                                  "source_id", "idempotency_key", "occurred_at", "created_at"]
    return w


# --- loading ------------------------------------------------------------------------------


def _complete(table, columns: list[str]) -> tuple[list[str], list]:
    """The columns not generated, with their constant default (or NULL)."""
    names, values = [], []
    for column in table.columns:
        if column.name in columns:
            continue
        default = column.default
        if isinstance(default, ScalarElementColumnDefault):
            value = default.arg
            value = getattr(value, "value", value)  # enums are stored by value
        elif column.nullable or column.primary_key:
            continue
        elif column.server_default is not None:
            continue
        else:
            raise SystemExit(f"bench generator: give a value for {table.name}.{column.name}")
        names.append(column.name)
        values.append(value)
    return names, values


def _pg_value(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


ORDER = ["groups", "topics", "users", "user_groups", "content_items", "content_item_topics",
         "shares", "clicks", "conversions", "engagement_snapshots", "points_ledger"]


def load(database: Database, w: Workload, log=print) -> None:
    """Empty the database, create the schema and load the workload in bulk."""
    import_all_models()
    engine = database.engine
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    tables = Base.metadata.tables
    loaded = [tables[name] for name in ORDER]
    # secondary indexes are built after the load (much faster than row by row)
    indexes = [index for table in loaded for index in table.indexes]
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
    pg = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if pg:
            cur.execute("SET session_replication_role = replica")  # no FK triggers: trusted
        else:
            cur.execute("PRAGMA foreign_keys = OFF")
            cur.execute("PRAGMA synchronous = OFF")
        for name in ORDER:
            clock = time.perf_counter()
            table = tables[name]
            columns = w.columns[name]
            extra_names, extra_values = _complete(table, columns)
            all_names = columns + extra_names
            rows = w.rows[name]
            if pg:
                tail = "\t".join(_pg_value(v) for v in extra_values)
                tail = ("\t" + tail) if extra_names else ""
                with cur.copy(f"COPY {name} ({', '.join(all_names)}) FROM STDIN") as copy:
                    block = []
                    for row in rows:
                        block.append("\t".join(_pg_value(v) for v in row) + tail + "\n")
                        if len(block) >= 50_000:
                            copy.write("".join(block))
                            block.clear()
                    if block:
                        copy.write("".join(block))
            else:
                cur.execute("BEGIN")
                marks = ", ".join("?" * len(all_names))
                sql = f"INSERT INTO {name} ({', '.join(all_names)}) VALUES ({marks})"  # noqa: S608
                extra = tuple(_sqlite_value(v) for v in extra_values)
                for start in range(0, len(rows), 100_000):
                    cur.executemany(sql, [tuple(_sqlite_value(v) for v in row) + extra
                                          for row in rows[start:start + 100_000]])
                cur.execute("COMMIT")
            raw.commit()
            log(f"  {name}: {len(rows):,} rows in {time.perf_counter() - clock:.1f} s")
        if pg:
            cur.execute("SET session_replication_role = origin")
            for name in ORDER:
                if "id" in tables[name].columns:
                    sql = (f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                           f"(SELECT max(id) FROM {name}))")
                    cur.execute(sql)
            raw.commit()
        else:
            cur.execute("PRAGMA foreign_keys = ON")
    finally:
        raw.close()
    clock = time.perf_counter()
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    log(f"  indexes and statistics: {time.perf_counter() - clock:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--end", type=date.fromisoformat,
                        help="the day after the last generated one (default: today, UTC)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/acme100k.db"
    sizes = Sizes().scaled(args.scale)
    end = args.end or datetime.now(UTC).date()
    clock = time.perf_counter()
    workload = generate(sizes, end, args.seed)
    generated = time.perf_counter() - clock
    print(f"generated in {generated:.1f} s: " + ", ".join(
        f"{name} {len(rows):,}" for name, rows in workload.rows.items()))
    clock = time.perf_counter()
    database = Database(url)
    load(database, workload)
    print(f"loaded into {database.engine.dialect.name} ({url}) in "
          f"{time.perf_counter() - clock:.1f} s; viral share {workload.viral_share_id}; "
          f"days {workload.start.date()} … {(workload.end - timedelta(days=1)).date()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
