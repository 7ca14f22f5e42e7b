"""Database plumbing: declarative base, engine, the one session factory, unit of work.

Usable without Flask: ``Database(url)`` gives sessions to the CLI and to jobs. In a web
request, ``get_session()`` opens one session lazily; the request boundary commits it once
(see ``app.common.request_boundary``) and rolls back on any error.

Side effects (emails, cache invalidation) are registered with ``after_commit(session, fn)``
and run only once the transaction is committed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, busy timeout, foreign keys; SQLAlchemy (not pysqlite) emits BEGIN.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs; we take it
    over (the recipe of SQLAlchemy's SQLite dialect docs). Writers begin with
    ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing
    when a read transaction tries to upgrade to a write lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            **kwargs,
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


_AFTER_COMMIT = "relais_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction has been committed."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def commit(session: Session) -> None:
    """Commit, then run the side effects registered for this transaction."""
    session.commit()
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a failed side effect must not undo a committed change
            log.exception("after-commit callback failed")


def rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    session.rollback()


class Database:
    """The engine and the one session factory of a Relais installation."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 10_000, engine: Engine | None = None):
        self.url = url
        self.engine = engine or make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        #: SQLite writers start with BEGIN IMMEDIATE (see _configure_sqlite)
        self._writer_bind = (self.engine.execution_options(sqlite_begin="IMMEDIATE")
                             if self.is_sqlite else self.engine)
        self._bound_connection: Connection | None = None

    def bind_connection(self, connection: Connection) -> None:
        """Tests: make every session join ``connection``'s outer transaction."""
        self._bound_connection = connection
        self.session_factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def new_session(self, *, write: bool = False) -> Session:
        if write and self._bound_connection is None:
            return self.session_factory(bind=self._writer_bind)
        return self.session_factory()

    @contextlib.contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction for CLI commands and jobs: commit on success, roll back on error."""
        session = self.new_session(write=write)
        try:
            yield session
            commit(session)
        except BaseException:
            rollback(session)
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


# --- Flask integration -------------------------------------------------------------

def init_app(app, database: Database | None = None) -> Database:
    if database is None:
        database = Database(app.config["DATABASE_URL"],
                            busy_timeout_ms=app.config.get("SQLITE_BUSY_TIMEOUT_MS", 10_000))
    app.extensions["relais_db"] = database
    return database


def get_database() -> Database:
    from flask import current_app

    return current_app.extensions["relais_db"]


def get_session() -> Session:
    """The request's session, opened on first use (writers begin IMMEDIATE on SQLite)."""
    from flask import g, request

    session = g.get("_db_session")
    if session is None:
        write = request.method not in ("GET", "HEAD", "OPTIONS")
        session = get_database().new_session(write=write)
        g._db_session = session
    return session


# --- INSERT … ON CONFLICT on both databases ---------------------------------------------------


def dialect_insert(session: Session, table):
    """An INSERT of the session's dialect: PostgreSQL's and SQLite's both have
    ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (the "only once" rules)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def conflict_target(session: Session, constraint: str, columns: list[str]) -> dict:
    """The ON CONFLICT target: PostgreSQL names the unique constraint; SQLite only knows
    the indexed columns."""
    if session.get_bind().dialect.name == "postgresql":
        return {"constraint": constraint}
    return {"index_elements": columns}


def on_conflict_nothing(session: Session, stmt, constraint: str, columns: list[str]):
    return stmt.on_conflict_do_nothing(**conflict_target(session, constraint, columns))
