"""Migrations: one head; upgrade head on an empty database gives the models' schema;
downgrade base empties it — on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import secrets

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.cli import alembic_config
from app.db import Base
from app.models import import_all_models

REQUIRE_POSTGRES = os.environ.get("RELAIS_REQUIRE_POSTGRES") == "1"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if REQUIRE_POSTGRES:
            pytest.fail("RELAIS_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    name = f"relais_mig_{secrets.token_hex(4)}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_single_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_matches_models_and_downgrade_empties(empty_database_url):
    import_all_models()
    command.upgrade(alembic_config(empty_database_url), "head")
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        command.downgrade(alembic_config(empty_database_url), "base")
        remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        command.upgrade(alembic_config(empty_database_url), "head")  # and back up again
        assert "users" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
