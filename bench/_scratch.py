"""A scratch database for one bench run: a temporary SQLite file, or a private PostgreSQL
database created beside ``url`` and dropped afterwards (loopback servers only)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def throwaway_database(url: str | None, label: str):
    if url is None:
        tmp = tempfile.mkdtemp(prefix=f"relais-{label}-bench-")
        try:
            yield f"sqlite:///{tmp}/bench.db"
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    base = make_url(url)
    name = f"relais_bench_{label.replace('-', '_')}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
