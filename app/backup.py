"""Backups and restores (docs/deploy.md, "Backups").

``flask --app wsgi backup`` writes one file plus a manifest beside it:

- SQLite: a copy made with SQLite's online backup API (consistent while the app keeps
  writing: pages are copied under the database's own locking), checked with
  ``PRAGMA integrity_check``;
- PostgreSQL: ``pg_dump --format=custom`` run on a snapshot that the row counts of the
  manifest are read from too, so the counts describe exactly what the dump holds.

The manifest (``<file>.json``) records the format, the database kind, the migration
revision and every table's row count; ``flask backup verify`` and ``flask restore`` compare
a restored database with it. A backup that cannot be verified is not a backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Connection, make_url

FORMAT = "relais-backup/1"


class BackupError(RuntimeError):
    """A backup or restore that could not be done or did not verify."""


@dataclass(frozen=True)
class Manifest:
    database: str  # "sqlite" | "postgresql"
    created_at: str
    revision: str | None
    tables: dict[str, int]
    sha256: str

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({"format": FORMAT, **self.__dict__}, indent=2,
                                   sort_keys=True) + "\n")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise BackupError(f"Cannot read the manifest {path}: {exc}") from None
        if data.get("format") != FORMAT:
            raise BackupError(f"{path} is not a Relais backup manifest ({FORMAT}).")
        return cls(database=data["database"], created_at=data["created_at"],
                   revision=data.get("revision"), tables=data["tables"], sha256=data["sha256"])


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def _sqlite_file(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(path)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL pg_dump/pg_restore understand (no SQLAlchemy driver suffix, no password)
    and the environment that carries the password: a command line is visible to every
    user of the machine (ps), the environment of a process only to its owner."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False), env


def table_counts(conn: Connection) -> dict[str, int]:
    """Row counts of every table the models know (the scheduler's own table aside)."""
    from app.db import Base
    from app.models import import_all_models

    import_all_models()
    present = set(conn.dialect.get_table_names(conn))
    counts = {}
    for table in sorted(Base.metadata.tables):
        if table in present:
            counts[table] = int(conn.execute(
                select(func.count()).select_from(Base.metadata.tables[table])).scalar())
    return counts


def _revision(conn: Connection) -> str | None:
    if "alembic_version" not in conn.dialect.get_table_names(conn):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def default_path(url: str, directory: Path, now: datetime) -> Path:
    suffix = ".db" if _kind(url) == "sqlite" else ".dump"
    return directory / f"relais-{now:%Y%m%d-%H%M%S}{suffix}"


def backup(url: str, output: Path, now: datetime) -> Manifest:
    """Write a backup of the database at ``url`` to ``output`` and its manifest beside it."""
    if output.exists():
        raise BackupError(f"{output} already exists; choose another file.")
    output.parent.mkdir(parents=True, exist_ok=True)
    kind = _kind(url)
    try:
        if kind == "sqlite":
            revision, tables = _backup_sqlite(_sqlite_file(url), output)
        else:
            revision, tables = _backup_postgresql(url, output)
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    manifest = Manifest(database=kind, created_at=now.isoformat(), revision=revision,
                        tables=tables, sha256=_sha256(output))
    manifest.write(manifest_path(output))
    return manifest


def _backup_sqlite(source: Path, output: Path) -> tuple[str | None, dict[str, int]]:
    if not source.exists():
        raise BackupError(f"The database file {source} does not exist.")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(output)
    try:
        src.backup(dst)  # the online backup API: a consistent copy while others write
        # the copy stands alone: no -wal file beside it
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()
    _check_sqlite_integrity(output)
    return _read_sqlite(output)


def _check_sqlite_integrity(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from None
    finally:
        conn.close()
    if result != [("ok",)]:
        raise BackupError(f"{path} failed SQLite's integrity check: {result[:5]}")


def _read_sqlite(path: Path) -> tuple[str | None, dict[str, int]]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return _revision(conn), table_counts(conn)
    finally:
        engine.dispose()


def _run(command: list[str], what: str, env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (it comes with the PostgreSQL client "
                          "package, e.g. postgresql-client); docs/deploy.md has the manual "
                          "procedure.")
    # a fixed tool and arguments, no shell; the URL comes from the operator's own config
    done = subprocess.run(command, capture_output=True, text=True, env=env,  # noqa: S603
                          timeout=6 * 3600)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-2000:]}")


def _backup_postgresql(url: str, output: Path) -> tuple[str | None, dict[str, int]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            # counts and dump read the same snapshot: the manifest describes the dump
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            revision, tables = _revision(conn), table_counts(conn)
            target, env = _libpq(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={output}", target], "pg_dump", env)
            conn.rollback()
    finally:
        engine.dispose()
    return revision, tables


@dataclass(frozen=True)
class Verification:
    revision: str | None
    tables: dict[str, int]
    #: table → (expected, found) for every table whose count differs
    differences: dict[str, tuple[int | None, int | None]]

    @property
    def ok(self) -> bool:
        return not self.differences


def compare(manifest: Manifest, revision: str | None, tables: dict[str, int]) -> Verification:
    differences = {name: (manifest.tables.get(name), tables.get(name))
                   for name in sorted(set(manifest.tables) | set(tables))
                   if manifest.tables.get(name) != tables.get(name)}
    if manifest.revision != revision:
        differences["alembic_version"] = (None, None)
    return Verification(revision=revision, tables=tables, differences=differences)


def verify_file(backup_path: Path) -> Verification:
    """Check a backup file against its manifest (checksum; for SQLite also integrity and
    row counts — a PostgreSQL dump is checked by restoring it, see ``restore``)."""
    manifest = Manifest.read(manifest_path(backup_path))
    if not backup_path.exists():
        raise BackupError(f"{backup_path} does not exist.")
    if _sha256(backup_path) != manifest.sha256:
        raise BackupError(f"{backup_path} does not match its manifest's checksum.")
    if manifest.database == "postgresql":
        return Verification(revision=manifest.revision, tables=manifest.tables, differences={})
    _check_sqlite_integrity(backup_path)
    return compare(manifest, *_read_sqlite(backup_path))


def restore(backup_path: Path, url: str) -> Verification:
    """Replace the database at ``url`` with the backup, then check it against the manifest.

    Stop the web and scheduler processes first (docs/deploy.md): a restore replaces
    everything they would be writing to.
    """
    manifest = Manifest.read(manifest_path(backup_path))
    kind = _kind(url)
    if manifest.database != kind:
        raise BackupError(f"This is a {manifest.database} backup; the target is {kind}.")
    verify_file(backup_path)
    if kind == "sqlite":
        target = _sqlite_file(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # page by page into the target, under its own lock
        finally:
            dst.close()
            src.close()
        _check_sqlite_integrity(target)
        return compare(manifest, *_read_sqlite(target))
    _restore_postgresql(backup_path, url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return compare(manifest, _revision(conn), table_counts(conn))
    finally:
        engine.dispose()


#: what the restore script starts with: the whole schema goes, then the dump recreates it.
#: (``pg_restore --clean`` cannot drop a partitioned table's inherited constraints — the
#: click partitions — so the schema is replaced instead.)
_REPLACE_SCHEMA = b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"


def _restore_postgresql(backup_path: Path, url: str) -> None:
    """Replace the database's schema with the dump, in ONE transaction: ``pg_restore``
    writes the dump as SQL, ``psql --single-transaction`` runs it after dropping the
    schema, so a failure half way leaves the database as it was."""
    tools = {tool: shutil.which(tool) for tool in ("pg_restore", "psql")}
    for tool, path in tools.items():
        if path is None:
            raise BackupError(f"{tool} is not installed (it comes with the PostgreSQL "
                              "client package, e.g. postgresql-client).")
    target, env = _libpq(url)
    reader = subprocess.Popen(  # noqa: S603 - fixed tools and arguments, no shell
        [tools["pg_restore"], "--no-owner", "--no-privileges", "--file=-", str(backup_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    writer = subprocess.Popen(  # noqa: S603
        [tools["psql"], "--no-psqlrc", "--quiet", "--single-transaction", "-v",
         "ON_ERROR_STOP=1", f"--dbname={target}"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if reader.stdout is None or writer.stdin is None:  # pragma: no cover - PIPEs given
        raise BackupError("could not connect pg_restore to psql")
    try:
        writer.stdin.write(_REPLACE_SCHEMA)
        shutil.copyfileobj(reader.stdout, writer.stdin, 1 << 20)
    except BrokenPipeError:  # psql stopped at an error: its stderr says which
        pass
    finally:
        writer.stdin.close()
    read_error = reader.stderr.read().decode(errors="replace") if reader.stderr else ""
    write_error = writer.stderr.read().decode(errors="replace") if writer.stderr else ""
    if reader.wait(timeout=6 * 3600) != 0:
        writer.kill()
        raise BackupError(f"pg_restore failed: {read_error.strip()[-2000:]}")
    if writer.wait(timeout=6 * 3600) != 0:
        raise BackupError(f"restoring with psql failed (nothing was changed): "
                          f"{write_error.strip()[-2000:]}")
