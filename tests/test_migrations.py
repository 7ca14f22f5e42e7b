"""Migrations: one head; upgrade head on an empty database gives the models' schema;
downgrade base empties it — on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from app.cli import alembic_config
from app.db import Base
from app.models import import_all_models
from app.sharing.partitions import is_partition_table
from tests.conftest import own_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    with own_postgres_database() as url:
        yield url


def test_single_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_matches_models_and_downgrade_empties(empty_database_url):
    import_all_models()
    command.upgrade(alembic_config(empty_database_url), "head")
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True,
                # PostgreSQL: clicks' monthly partitions (migration 0008) have no model
                "include_object": lambda obj, name, type_, reflected, compare_to: not (
                    type_ == "table" and reflected and is_partition_table(name))})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        command.downgrade(alembic_config(empty_database_url), "base")
        remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        command.upgrade(alembic_config(empty_database_url), "head")  # and back up again
        assert "users" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
