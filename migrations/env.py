"""Alembic environment: Relais models' metadata, batch mode (SQLite ALTERs), both databases."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from alembic import context

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from app.db import Base, make_engine  # noqa: E402
from app.models import import_all_models  # noqa: E402
from app.sharing.partitions import is_partition_table  # noqa: E402

import_all_models()
config = context.config
target_metadata = Base.metadata

#: tables that are not ours (APScheduler keeps its job store itself)
EXCLUDED_TABLES = {"apscheduler_jobs"}


def include_object(obj, name, type_, reflected, compare_to):
    if type_ != "table":
        return True
    # PostgreSQL: the monthly partitions of clicks (migration 0008) are tables no model
    # describes; the models' clicks is their parent
    return name not in EXCLUDED_TABLES and not (reflected and compare_to is None
                                                and is_partition_table(name))


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # tests pass a connection in
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, include_object=include_object,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
