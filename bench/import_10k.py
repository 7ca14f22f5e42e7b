"""Bench: import 10,000 employees from CSV through the web flow (upload → preview →
confirm → steps) and report the time of each phase.

    .venv/bin/python bench/import_10k.py                 # SQLite in a temp dir
    .venv/bin/python bench/import_10k.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

The given database is emptied first (drop_all/create_all): use a throwaway one.

Budget (issue 2): "10,000 rows must import in seconds, not minutes".
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.accounts.admin_cli import create_or_promote_admin  # noqa: E402
from app.accounts.settings import AccountSettings  # noqa: E402
from app.db import Base, Database  # noqa: E402
from app.models import import_all_models  # noqa: E402
from config import Config  # noqa: E402


def make_csv(rows: int) -> bytes:
    out = io.StringIO()
    out.write("email,name,department,location,manager_email,role,language\n")
    for i in range(rows):
        manager = f"boss{i % 50}@bench.example" if i >= 50 else ""
        email = f"boss{i}@bench.example" if i < 50 else f"person{i}@bench.example"
        out.write(f"{email},Person {i},Dept {i % 20},Site {i % 7},{manager},employee,"
                  f"{'fr' if i % 3 else 'en'}\n")
    return out.getvalue().encode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--invite", action="store_true",
                        help="also create invitations and send emails (to the console log)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    import_all_models()
    database = Database(url)
    Base.metadata.drop_all(database.engine)
    Base.metadata.create_all(database.engine)
    cfg = Config(ENV="test", SECRET_KEY="bench-" + "x" * 40, DATABASE_URL=url,
                 WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False).as_flask_config()
    app = create_app(cfg)
    with app.app_context(), database.unit_of_work() as db:
        create_or_promote_admin(db, AccountSettings(argon2_time_cost=1, argon2_memory_cost=1024),
                                email="admin@bench.example", password="bench password 123")  # noqa: S106
    client = app.test_client()
    client.post("/login", data={"email": "admin@bench.example", "password": "bench password 123"})
    data = make_csv(args.rows)
    t0 = time.perf_counter()
    response = client.post("/admin/import", data={"file": (io.BytesIO(data), "people.csv")},
                           content_type="multipart/form-data")
    batch_url = response.headers["Location"]
    t1 = time.perf_counter()
    batch_id = int(batch_url.rstrip("/").rsplit("/", 1)[1])
    client.post(f"/admin/import/{batch_id}/confirm",
                data={"send_invitations": "y" if args.invite else "", "x": "1"})
    steps = 0
    while True:
        steps += 1
        client.post(f"/admin/import/{batch_id}/step", data={}, headers={"HX-Request": "true"})
        page = client.get(batch_url).text
        if "Import finished" in page or steps > 1000:
            break
    t2 = time.perf_counter()
    with database.unit_of_work(write=False) as db:
        from sqlalchemy import func, select

        from app.accounts.models import User
        count = db.scalar(select(func.count()).select_from(User))
        managed = db.scalar(select(func.count()).select_from(User)
                            .where(User.manager_id.is_not(None)))
    print(f"database: {database.engine.dialect.name}")
    print(f"invitations: {'yes' if args.invite else 'no'}")
    print(f"rows: {args.rows}  users now: {count}  with manager: {managed}")
    print(f"upload + preview: {t1 - t0:.2f} s")
    print(f"import ({steps} steps): {t2 - t1:.2f} s")
    print(f"total: {t2 - t0:.2f} s")
    if not args.database_url:
        Base.metadata.drop_all(database.engine)
    return 0 if count == args.rows + 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
