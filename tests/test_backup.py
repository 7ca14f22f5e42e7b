"""Backups (docs/deploy.md): a backup of a live database, its manifest, verification, and a
restore that gives back the same rows and migration — on SQLite (online backup API) and on
PostgreSQL (pg_dump/pg_restore on one snapshot); the CLI as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app import backup as backups
from app.cli import upgrade
from app.db import Base, Database, utcnow
from app.models import import_all_models
from tests import factories
from tests.conftest import own_postgres_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    """(The name lets conftest drop the PostgreSQL half when no server is configured.)"""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.db'}"
        return
    with own_postgres_database() as url:
        yield url


def _populate(url: str, people: int = 7) -> None:
    """The schema as deployed (migrations), then a few people and groups."""
    upgrade(url)
    import_all_models()
    database = Database(url)
    Base.metadata.create_all(database.engine)  # tables newer than the last migration
    with database.unit_of_work() as session:
        for factory in factories.ALL:
            factory._meta.sqlalchemy_session = session
        group = factories.GroupFactory()
        for _ in range(people):
            factories.UserFactory(groups=[group])
    database.dispose()


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return backups.table_counts(conn)
    finally:
        engine.dispose()


def _execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def test_a_backup_restores_the_same_rows_and_migration(empty_database_url, tmp_path):
    url = empty_database_url
    _populate(url)
    before = _counts(url)
    assert before["users"] == 7 and before["groups"] == 1

    path = tmp_path / "backups" / "relais.bak"
    manifest = backups.backup(url, path, utcnow())
    assert manifest.tables == before
    assert manifest.revision is not None
    saved = json.loads(backups.manifest_path(path).read_text())
    assert saved["format"] == backups.FORMAT and saved["tables"]["users"] == 7
    assert backups.verify_file(path).ok

    # the live database moves on (and loses data), then the backup is restored
    _execute(url, "DELETE FROM user_groups")
    _execute(url, "DELETE FROM users")
    assert _counts(url)["users"] == 0
    result = backups.restore(path, url)
    assert result.ok, result.differences
    assert _counts(url) == before


def test_a_backup_restores_into_a_new_empty_database(empty_database_url, tmp_path):
    url = empty_database_url
    _populate(url, people=3)
    path = tmp_path / "relais.bak"
    backups.backup(url, path, utcnow())
    if url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / 'new' / 'relais.db'}"
        result = backups.restore(path, target)
        assert result.ok and _counts(target) == _counts(url)
        return
    with own_postgres_database() as target:
        result = backups.restore(path, target)
        assert result.ok, result.differences
        assert _counts(target) == _counts(url)


def test_a_damaged_or_foreign_backup_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _populate(url, people=2)
    path = tmp_path / "relais.db.bak"
    backups.backup(url, path, utcnow())
    with pytest.raises(backups.BackupError, match="already exists"):
        backups.backup(url, path, utcnow())

    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(backups.BackupError, match="checksum"):
        backups.verify_file(path)
    with pytest.raises(backups.BackupError, match="checksum"):
        backups.restore(path, url)

    lonely = tmp_path / "no-manifest.db"
    lonely.write_bytes(b"")
    with pytest.raises(backups.BackupError, match="manifest"):
        backups.verify_file(lonely)
    with pytest.raises(backups.BackupError, match="PostgreSQL"):
        backups.restore(path, "mysql://nobody@127.0.0.1/relais")


def test_a_restored_count_that_differs_from_the_manifest_is_reported(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _populate(url, people=2)
    path = tmp_path / "relais.bak"
    manifest = backups.backup(url, path, utcnow())
    wrong = backups.Manifest(**{**manifest.__dict__,
                                "tables": {**manifest.tables, "users": 99}})
    result = backups.compare(wrong, manifest.revision, manifest.tables)
    assert not result.ok and result.differences == {"users": (99, 2)}


def _flask(args: list[str], url: str, tmp_path: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "s" * 40,
           "RELAIS_INSTANCE_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, **kwargs)


def test_the_cli_backs_up_verifies_and_restores(tmp_path):
    url = f"sqlite:///{tmp_path / 'relais.db'}"
    _populate(url, people=4)

    made = _flask(["backup"], url, tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    files = sorted((tmp_path / "backups").glob("relais-*.db"))
    assert len(files) == 1 and "Backup written to" in made.stdout
    backup_file = files[0]

    checked = _flask(["backup", "verify", str(backup_file)], url, tmp_path)
    assert checked.returncode == 0 and "Backup verified." in checked.stdout

    _execute(url, "DELETE FROM user_groups")
    _execute(url, "DELETE FROM users")
    refused = _flask(["backup", "restore", str(backup_file)], url, tmp_path, input="n\n")
    assert refused.returncode != 0 and _counts(url)["users"] == 0
    restored = _flask(["backup", "restore", str(backup_file), "--yes"], url, tmp_path)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Restore done and verified." in restored.stdout
    assert _counts(url)["users"] == 4

    other = _flask(["backup", "-o", str(tmp_path / "named.db")], url, tmp_path)
    assert other.returncode == 0 and (tmp_path / "named.db.json").exists()
