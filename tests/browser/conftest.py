"""Browser fixtures (DESIGN.md "Testing"): the real app on 127.0.0.1, headless Debian Chromium.

* ``browser``: one Chromium for the session, Debian's ``/usr/bin/chromium`` driven by the
  Playwright sync API (test tools never download browsers here). Missing browser: the
  tests are skipped, or fail when RELAIS_REQUIRE_BROWSER=1.
* ``live_server``: a fresh SQLite file, the app with CSRF on, mail to the session's local
  SMTP server, an admin with a known password and a published policy, served by werkzeug.
  A test module overrides ``live_server_config`` to change the app's configuration (e.g.
  ``FETCH_ALLOW_LOOPBACK``); ``live_server.add_group``/``add_user`` write people straight
  into its database.
* ``open_tab``: a new browser context (fresh cookies) and page that records console
  messages, page errors and failed sub-resources, so tests can assert the CSP blocked
  nothing.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import MailBox, free_port, test_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
REQUIRE_BROWSER = os.environ.get("RELAIS_REQUIRE_BROWSER") == "1"


def playwright_expect():
    """Playwright's ``expect`` for a test module, or skip the module when the package is
    missing (fail instead under RELAIS_REQUIRE_BROWSER=1, as CI runs)."""
    try:
        from playwright.sync_api import expect
    except ImportError:  # the browser fixture reports it too
        if REQUIRE_BROWSER:
            raise
        pytest.skip("the playwright package is not installed", allow_module_level=True)
    return expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TRANSLATIONS = ROOT / "app" / "translations"

ACTION_TIMEOUT_MS = 5_000
NAVIGATION_TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}

ADMIN_EMAIL = "admin@acme.example"
ADMIN_NAME = "Alex Admin"
ADMIN_PASSWORD = "correct horse battery staple"
#: the password of the people made with ``LiveServer.add_user``
USER_PASSWORD = "a long enough passphrase"
POLICY_TITLE = "Acme social-media policy"
POLICY_MD = ("## Be yourself\n\n- Share only what you find worth sharing.\n"
             "- **Nobody has to share.**\n")


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"RELAIS_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


# --- translations -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def compiled_translations():
    """Compile the catalogues when a .mo is missing or older than its .po (as `make`
    does). Expected French strings are looked up through the app's own gettext, so the
    tests hold whether or not the catalogue is complete."""
    stale = []
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    if stale:
        from babel.messages.frontend import CommandLineInterface

        try:
            CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(TRANSLATIONS)])
        except (Exception, SystemExit) as exc:  # a catalogue being edited: keep the old .mo
            warnings.warn(f"pybabel compile failed ({exc!r}); using the existing catalogues",
                          stacklevel=1)
    return TRANSLATIONS


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is missing: install Debian's chromium package "
                     "(Playwright must not download its own browsers here)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as exc:
        _unavailable(f"the playwright package is not installed ({exc})")
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True, timeout=30_000)
        yield chromium
        chromium.close()


@dataclass
class BrowserTab:
    context: object
    page: object
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def csp_messages(self) -> list[str]:
        return [m for m in self.console if "content security policy" in m.lower()]

    def console_errors(self) -> list[str]:
        # the app has no favicon: Chromium's automatic request for it is a known 404
        return [m for m in self.console
                if m.startswith("error:") and not m.endswith("/favicon.ico]")]

    def assert_clean(self) -> None:
        """The CSP blocked nothing, no script failed, every CSS/JS file loaded."""
        self.page.wait_for_load_state("load")  # a page just navigated to is done loading
        assert not self.csp_messages(), f"CSP violations: {self.csp_messages()}"
        assert not self.console_errors(), f"console errors: {self.console_errors()}"
        assert not self.page_errors, f"JavaScript errors: {self.page_errors}"
        assert not self.failed, f"failed sub-resources: {self.failed}"

    def assert_styled(self) -> None:
        """Bootstrap's CSS and JS, htmx and the app's script are loaded and applied."""
        self.page.wait_for_load_state("load")  # the scripts at the end of <body> have run
        state = self.page.evaluate("""() => ({
            bootstrap: typeof window.bootstrap !== 'undefined'
                       && typeof window.bootstrap.Collapse === 'function',
            htmx: typeof window.htmx !== 'undefined',
            navbar: getComputedStyle(document.querySelector('.navbar')).display,
            container: getComputedStyle(document.querySelector('main.container')).marginLeft,
            font: getComputedStyle(document.body).fontFamily,
        })""")
        assert state["bootstrap"], "Bootstrap's JavaScript did not load"
        assert state["htmx"], "htmx did not load"
        assert state["navbar"] == "flex", f"Bootstrap's CSS is not applied: {state}"
        assert "system-ui" in state["font"], f"Bootstrap's font stack missing: {state}"

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _ignored(url: str) -> bool:
    return url.endswith("/favicon.ico")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.relais_call_failed = report.failed
    return report


@pytest.fixture
def open_tab(browser, request):
    """``open_tab(locale="en-US", viewport=None)``: a page in a brand-new context.
    When the test fails, each page is saved to test-artifacts/failed-<test>-<n>.png."""
    contexts = []

    def _open(*, locale: str = "en-US", viewport: dict | None = None) -> BrowserTab:
        context = browser.new_context(locale=locale, viewport=viewport or DESKTOP,
                                      timezone_id="UTC", service_workers="block")
        contexts.append(context)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        page = context.new_page()
        tab = BrowserTab(context=context, page=page)

        def on_console(msg):
            tab.console.append(f"{msg.type}: {msg.text} [{msg.location.get('url', '')}]")

        def on_response(response):
            if (response.status >= 400 and response.request.resource_type != "document"
                    and not _ignored(response.url)):
                tab.failed.append(f"{response.status} {response.url}")

        def on_request_failed(request):
            # ERR_ABORTED: the page navigated away (a form was sent) before the file
            # arrived; assert_styled() checks that the final page has everything
            if (not _ignored(request.url) and request.resource_type != "document"
                    and "ERR_ABORTED" not in (request.failure or "")):
                tab.failed.append(f"{request.failure} {request.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: tab.page_errors.append(str(exc)))
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)
        return tab

    yield _open
    if getattr(request.node, "relais_call_failed", False):
        ARTIFACTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
        for n, context in enumerate(contexts, start=1):
            for page in context.pages:
                try:
                    page.screenshot(path=str(ARTIFACTS / f"failed-{stem}-{n}.png"),
                                    full_page=True, timeout=ACTION_TIMEOUT_MS)
                except Exception as exc:  # the report matters more than the picture
                    warnings.warn(f"no failure screenshot: {exc}", stacklevel=1)
    for context in contexts:
        context.close()


# --- the live server --------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: object
    database: object
    mail: MailBox
    admin_email: str = ADMIN_EMAIL
    admin_name: str = ADMIN_NAME
    admin_password: str = ADMIN_PASSWORD
    policy_title: str = POLICY_TITLE

    def gettext(self, message: str, locale: str, **variables) -> str:
        """``message`` as the app renders it in ``locale`` (falls back to the English
        source while the catalogue lacks it)."""
        from flask_babel import force_locale, gettext

        with self.app.test_request_context(), force_locale(locale):
            return gettext(message, **variables)

    def invitation_link(self, email: str, timeout: float = 5.0) -> tuple[object, str]:
        """The invitation email sent to ``email`` and the link in its text part."""
        message = self.mail.wait_for(email, timeout=timeout)
        text = message.get_body(preferencelist=("plain",)).get_content()
        found = re.findall(re.escape(self.url) + r"/invitation/[A-Za-z0-9._~-]+", text)
        assert found, f"no invitation link to {self.url} in:\n{text}"
        return message, found[0]

    def add_group(self, name: str, kind: str = "department") -> int:
        """A group (a department by default) in the live database; its id."""
        from app.accounts.models import Group, GroupKind

        with self.app.app_context(), self.database.unit_of_work() as db:
            group = Group(name=name, kind=GroupKind(kind))
            db.add(group)
            db.flush()
            return group.id

    def add_user(self, email: str, name: str, *, role: str = "employee",
                 groups: tuple[int, ...] = (), timezone: str = "UTC",
                 language: str = "en") -> int:
        """An active person (password ``USER_PASSWORD``, policy not accepted yet) in the
        live database, member of the groups with the ids ``groups``; their id."""
        from sqlalchemy import select

        from app.accounts.models import Group, Role, User, UserStatus
        from app.accounts.passwords import hash_password

        with self.app.app_context(), self.database.unit_of_work() as db:
            user = User(email=email, name=name, role=Role(role), status=UserStatus.ACTIVE,
                        language=language, timezone=timezone,
                        password_hash=hash_password(USER_PASSWORD, time_cost=1,
                                                    memory_cost=1024))
            if groups:
                user.groups = list(db.scalars(select(Group).where(Group.id.in_(groups))))
            db.add(user)
            db.flush()
            return user.id


@pytest.fixture
def live_server_config() -> dict:
    """Configuration overrides for ``live_server``: redefine this fixture in a module."""
    return {}


@pytest.fixture
def live_server(tmp_path, smtp_server, compiled_translations, live_server_config):
    from werkzeug.serving import make_server

    from app import create_app
    from app.accounts.admin_cli import create_or_promote_admin
    from app.accounts.policy import publish_policy
    from app.accounts.settings import AccountSettings
    from app.common.actor import SYSTEM
    from app.common.mail import Mailer
    from app.db import Base, Database
    from app.models import import_all_models

    box, smtp_port = smtp_server
    box.clear()
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    import_all_models()
    database = Database(url)
    Base.metadata.create_all(database.engine)

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    mailer = Mailer(server="127.0.0.1", port=smtp_port, base_url=base_url,
                    sender="Relais <relais@acme.example>", timeout=5)
    app = create_app(test_config(url, **{"WTF_CSRF_ENABLED": True, "BASE_URL": base_url,
                                         "RELAIS_DATABASE": database, "RELAIS_MAILER": mailer,
                                         **live_server_config}))
    with app.app_context(), database.unit_of_work() as db:
        create_or_promote_admin(db, AccountSettings(argon2_time_cost=1, argon2_memory_cost=1024),
                                email=ADMIN_EMAIL, password=ADMIN_PASSWORD, name=ADMIN_NAME)
        publish_policy(db, SYSTEM, title=POLICY_TITLE, body_md=POLICY_MD)

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="relais-live-server",
                              daemon=True)
    thread.start()
    try:
        yield LiveServer(url=base_url, app=app, database=database, mail=box)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        database.dispose()
