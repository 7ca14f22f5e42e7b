"""Fixtures (DESIGN.md "Testing"): app, client, a db session rolled back per test, an
``auth`` helper to sign in as each role, factories, and a real local SMTP server.

Every test that uses the database runs on SQLite, and again on PostgreSQL when
TEST_DATABASE_URL is set. RELAIS_REQUIRE_POSTGRES=1 / RELAIS_REQUIRE_BROWSER=1 (set by
.ci/run) turn the corresponding skips into failures.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from dataclasses import dataclass, field

import pytest

from app import create_app
from app.accounts import sessions
from app.accounts.models import Role, User
from app.common.actor import Actor
from app.common.mail import Mailer
from app.db import Base, Database, make_engine
from app.models import import_all_models
from config import Config
from tests import factories

REQUIRE_POSTGRES = os.environ.get("RELAIS_REQUIRE_POSTGRES") == "1"


def test_config(database_url: str, **overrides) -> dict:
    cfg = Config(ENV="test", SECRET_KEY="test-secret-key-" + "x" * 32, TESTING=True,
                 DATABASE_URL=database_url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False,
                 ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=1024, BASE_URL="http://relais.test")
    values = cfg.as_flask_config()
    values.update(overrides)
    return values


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if REQUIRE_POSTGRES:
            pytest.fail("RELAIS_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    with private_postgres_database(url) as private_url:
        yield private_url


@contextlib.contextmanager
def private_postgres_database(url: str):
    """A database of this test run's own beside TEST_DATABASE_URL (so that two runs on
    one server never drop each other's tables); the given database itself when the role
    may not create databases."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_run_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no CREATEDB right: share the given database
        admin.dispose()
        yield url
        return
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def own_postgres_database():
    """A new, empty PostgreSQL database for one test (dropped afterwards), for tests whose
    processes commit; skips (fails under RELAIS_REQUIRE_POSTGRES=1) without a server or
    without the right to create databases."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if REQUIRE_POSTGRES:
            pytest.fail("RELAIS_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    with private_postgres_database(base) as url:
        if url == base:
            pytest.skip("this test needs a database of its own (CREATEDB right)")
        yield url


@pytest.fixture(scope="session")
def engine(database_url):
    import_all_models()
    eng = make_engine(database_url)
    Base.metadata.drop_all(eng)
    Base.metadata.create_all(eng)
    yield eng
    Base.metadata.drop_all(eng)
    eng.dispose()


@pytest.fixture
def connection(engine):
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def database(engine, connection, database_url):
    db = Database(database_url, engine=engine)
    db.bind_connection(connection)
    return db


@pytest.fixture
def db(database):
    """A session on the test's transaction: what the app commits is visible here."""
    session = database.new_session()
    for f in factories.ALL:
        f._meta.sqlalchemy_session = session
    yield session
    session.close()


# --- a real SMTP server on loopback -------------------------------------------------------


@dataclass
class MailBox:
    messages: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self):
        with self.lock:
            self.messages.clear()

    def to(self, address: str) -> list:
        import email
        from email import policy

        with self.lock:
            found = [email.message_from_bytes(m["data"], policy=policy.default)
                     for m in self.messages if address in m["rcpt"]]
        return found

    def wait_for(self, address: str, timeout: float = 5.0):
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no email to {address}")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    box = MailBox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with box.lock:
                box.messages.append({"rcpt": list(envelope.rcpt_tos),
                                     "data": envelope.original_content or envelope.content})
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def mail(smtp_server):
    box, _port = smtp_server
    box.clear()
    return box


@pytest.fixture
def mailer(smtp_server):
    _box, port = smtp_server
    return Mailer(server="127.0.0.1", port=port, base_url="http://relais.test",
                  sender="Relais <relais@acme.test>")


@pytest.fixture
def app_overrides():
    """Tests override config by redefining this fixture or updating the dict."""
    return {}


@pytest.fixture
def app(database, database_url, mailer, app_overrides):
    config = test_config(database_url, RELAIS_DATABASE=database, RELAIS_MAILER=mailer,
                         **app_overrides)
    application = create_app(config)
    with application.app_context():
        yield application


@pytest.fixture
def fresh_limiter(app):
    """Rate-limit counters from zero. The Limiter is a module-level singleton: init_app
    gives it new memory storage for each app, but clear it anyway so that no count leaks
    in from another app or test."""
    from app.extensions import limiter

    limiter.reset()
    yield limiter
    limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


class Auth:
    """Sign in as someone without going through the login form (the form has its own tests)."""

    def __init__(self, client, db):
        self.client, self.db = client, db

    def login(self, user: User) -> User:
        self.db.flush()
        # a real server-side session, as signing in makes one: the cookie carries its token
        sessions.start(self.db, user, Actor(user.id, ip="127.0.0.1", user_agent="pytest"),
                       remember=False,
                       policy=sessions.SessionPolicy.from_config(self.client.application.config))
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    def as_role(self, role: Role | str | None, **kwargs) -> User | None:
        if role is None:
            return None
        user = factories.UserFactory(role=Role(role), **kwargs)
        return self.login(user)

    def logout(self):
        with self.client.session_transaction() as session:
            session.clear()


@pytest.fixture
def auth(client, db):
    return Auth(client, db)


@pytest.fixture
def csrf_app(database, database_url, mailer):
    """An app with CSRF protection on, as in production."""
    application = create_app(test_config(database_url, RELAIS_DATABASE=database,
                                         RELAIS_MAILER=mailer, WTF_CSRF_ENABLED=True))
    with application.app_context():
        yield application


# --- reporting: one line for the PostgreSQL half when it cannot run ----------------------

_DESELECTED_POSTGRES: list = []


def pytest_collection_modifyitems(config, items):
    """Without TEST_DATABASE_URL, drop the [postgresql] copies of the tests up front and
    say so once at the end, rather than listing hundreds of identical skips."""
    if os.environ.get("TEST_DATABASE_URL") or REQUIRE_POSTGRES:
        return
    keep = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "postgresql" in (params.get("database_url"), params.get("empty_database_url")):
            _DESELECTED_POSTGRES.append(item)
        else:
            keep.append(item)
    if _DESELECTED_POSTGRES:
        config.hook.pytest_deselected(items=_DESELECTED_POSTGRES)
        items[:] = keep


def pytest_terminal_summary(terminalreporter):
    if _DESELECTED_POSTGRES:
        terminalreporter.write_line(
            f"PostgreSQL: {len(_DESELECTED_POSTGRES)} tests not run (set TEST_DATABASE_URL="
            "postgresql+psycopg://USER@HOST/DB to run them; CI does).", yellow=True)
