"""The redirector /r/<code>: 302 to the item with UTM parameters, the friendly 404, what is
recorded (bots, self clicks, visitor hash, referrer host) and what is not (HEAD,
prefetch); the click buffer (batches, errors, shutdown) and the link cache (no SQL on a
hit, a TTL)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import create_engine, event, func, inspect, select

from app.content.models import ContentItem, ContentStatus
from app.db import Base, Database
from app.sharing.clicks import ClickBuffer
from app.sharing.links import LinkCache
from app.sharing.models import Click, Share, ShareMethod, ShareStatus
from app.sharing.redirect import CLICKS_KEY, REDIRECTOR_KEY
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
IP = "203.0.113.77"
_n = itertools.count(1)


def make_share(db, *, user=None, url=None, network="linkedin") -> Share:
    n = next(_n)
    user = user or UserFactory()
    item = ContentItem(url=url or f"https://www.acme.example/news/{n}?ref=home&lang=en",
                       slug=f"redirect-item-{n}", title=f"Item {n}",
                       status=ContentStatus.PUBLISHED)
    db.add(item)
    db.flush()
    share = Share(code=f"code{n}x{os.getpid() % 1000}", user_id=user.id, item_id=item.id,
                  network=network, method=ShareMethod.INTENT, status=ShareStatus.OPENED)
    db.add(share)
    db.flush()
    return share


def visit(client, code, *, method="GET", ua=CHROME, ip=IP, **headers):
    if ua is not None:
        headers["User-Agent"] = ua
    return client.open(f"/r/{code}", method=method, headers=headers,
                       environ_base={"REMOTE_ADDR": ip})


def clicks(db, share) -> list[Click]:
    db.expire_all()
    return list(db.scalars(select(Click).where(Click.share_id == share.id).order_by(Click.id)))


@pytest.fixture
def buffered(app_overrides):
    """The production mode, minus the thread: clicks wait in the buffer until flush().
    (List it before ``app``: it changes the app's configuration.)"""
    app_overrides.update(CLICK_BUFFER_SYNC_FLUSH=False, CLICK_BUFFER_THREAD=False)


# --- the redirect ---------------------------------------------------------------------------

def test_unknown_code_is_a_friendly_404_never_a_redirect(client, db):
    for code in ("nope-nope", "a" * 40, "bad%20code"):
        response = client.get(f"/r/{code}")
        assert response.status_code == 404
        assert "Location" not in response.headers
        assert 'data-testid="link-not-found"' in response.get_data(as_text=True)
        assert response.headers["X-Robots-Tag"] == "noindex"


def test_known_code_redirects_with_utm_and_keeps_the_query(app, client, db):
    share = make_share(db, url="https://www.acme.example/news/1?ref=home&utm_source=old#top",
                       network="x")
    response = visit(client, share.code)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert (target.scheme, target.netloc, target.path, target.fragment) == (
        "https", "www.acme.example", "/news/1", "top")
    query = dict(parse_qsl(target.query))
    assert query == {"ref": "home", "utm_source": "x", "utm_medium": "employee_advocacy",
                     "utm_campaign": share.item.slug, "utm_content": share.code}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert len(clicks(db, share)) == 1


def test_a_non_ascii_target_becomes_a_valid_location(client, db):
    share = make_share(db, url="https://www.acme.example/actualités/été")
    location = visit(client, share.code).headers["Location"]
    assert location.isascii()
    assert "/actualit%C3%A9s/%C3%A9t%C3%A9?" in location


def test_head_redirects_without_recording(buffered, app, client, db):
    share = make_share(db)
    response = visit(client, share.code, method="HEAD")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://www.acme.example/")
    app.extensions[CLICKS_KEY].flush()
    assert clicks(db, share) == []


@pytest.mark.parametrize("header", [{"Purpose": "prefetch"}, {"Sec-Purpose": "prefetch"},
                                    {"Sec-Purpose": "prefetch;prerender"},
                                    {"X-Purpose": "preview"}, {"X-Moz": "prefetch"}])
def test_prefetch_redirects_without_recording(client, db, header):
    share = make_share(db)
    assert visit(client, share.code, **header).status_code == 302
    assert clicks(db, share) == []


# --- what a click records -------------------------------------------------------------------

@pytest.mark.parametrize("ua", ["LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient)",
                                "facebookexternalhit/1.1", "Slackbot-LinkExpanding 1.0",
                                "curl/8.5.0", ""])
def test_bots_are_recorded_and_flagged(client, db, ua):
    share = make_share(db)
    assert visit(client, share.code, ua=ua).status_code == 302
    [click] = clicks(db, share)
    assert click.is_bot and not click.is_self


def test_a_browser_is_not_flagged(client, db):
    share = make_share(db)
    visit(client, share.code, ua=FIREFOX)
    [click] = clicks(db, share)
    assert not click.is_bot and not click.is_self


def test_the_signed_in_sharer_clicking_is_flagged_self(client, db, auth):
    sharer = UserFactory()
    share = make_share(db, user=sharer)
    auth.login(sharer)
    visit(client, share.code)
    auth.login(UserFactory())  # a colleague: a real click
    visit(client, share.code)
    auth.logout()
    visit(client, share.code)
    assert [c.is_self for c in clicks(db, share)] == [True, False, False]


def test_repeat_visitor_stores_two_rows_with_the_same_hash(client, db):
    share = make_share(db)
    visit(client, share.code)
    visit(client, share.code)
    visit(client, share.code, ua=FIREFOX)  # another browser on the same address
    visit(client, share.code, ip="198.51.100.9")  # another address
    hashes = [c.visitor_hash for c in clicks(db, share)]
    assert len(hashes) == 4 and hashes[0] == hashes[1]
    assert len(set(hashes)) == 3
    assert all(len(h) == 64 for h in hashes)


def test_the_salt_comes_from_the_secret_key(app, client, db):
    share = make_share(db)
    visit(client, share.code)
    app.extensions[REDIRECTOR_KEY].salt = b"another secret"  # as after rotating SECRET_KEY
    visit(client, share.code)
    first, second = clicks(db, share)
    assert first.visitor_hash != second.visitor_hash


def test_no_raw_address_and_no_full_referrer_is_stored(client, db):
    share = make_share(db)
    visit(client, share.code,
          Referer="https://WWW.LinkedIn.com/feed/update/urn:li:activity:7?trk=" + IP)
    visit(client, share.code, Referer="not a url")
    first, second = clicks(db, share)
    assert first.referrer_host == "www.linkedin.com"
    assert second.referrer_host == ""
    columns = [c.key for c in inspect(Click).columns]
    for click in (first, second):
        for column in columns:
            assert IP not in str(getattr(click, column)), column


# --- the click buffer -----------------------------------------------------------------------

def test_clicks_wait_in_the_buffer_until_flushed(buffered, app, client, db):
    share = make_share(db)
    for _ in range(7):
        assert visit(client, share.code).status_code == 302
    buffer = app.extensions[CLICKS_KEY]
    assert buffer.pending == 7
    assert clicks(db, share) == []
    assert buffer.flush() == 7
    assert len(clicks(db, share)) == 7
    assert buffer.flush() == 0
    assert len(clicks(db, share)) == 7


def test_a_failed_flush_keeps_the_clicks_for_the_next_one(buffered, app, client, db, tmp_path):
    share = make_share(db)
    for _ in range(5):
        visit(client, share.code)
    buffer = app.extensions[CLICKS_KEY]
    good = app.extensions["relais_db"]
    broken = Database(f"sqlite:///{tmp_path}/missing-dir/none.db")  # cannot even connect
    app.extensions["relais_db"] = broken
    try:
        assert buffer.flush() == 0
    finally:
        app.extensions["relais_db"] = good
        broken.dispose()
    assert buffer.pending == 5
    visit(client, share.code)
    assert buffer.flush() == 6
    assert buffer.pending == 0
    assert len(clicks(db, share)) == 6


def _standalone_clicks_db(tmp_path) -> Database:
    """A click table of its own (no foreign-key enforcement) for thread and process tests."""
    url = f"sqlite:///{tmp_path}/clicks.db"
    engine = create_engine(url)
    Base.metadata.create_all(engine, tables=[Click.__table__])
    return Database(url, engine=engine)


def _row(share_id=1):
    from app.db import utcnow

    return {"share_id": share_id, "at": utcnow(), "visitor_hash": "0" * 64,
            "referrer_host": "", "is_bot": False, "is_self": False}


def _count(database: Database) -> int:
    with database.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Click.__table__))


def test_the_background_flusher_writes_in_batches_and_on_close(tmp_path):
    database = _standalone_clicks_db(tmp_path)
    buffer = ClickBuffer(database, interval=0.05, batch=1000)
    assert buffer._thread is None  # started lazily, on the first click
    for _ in range(20):
        buffer.add(_row())
    assert buffer._thread is not None and buffer._thread.daemon
    import time

    deadline = time.monotonic() + 5
    while _count(database) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _count(database) == 20
    buffer.interval = 60  # nothing more on its own: close() must write the rest
    time.sleep(0.1)
    for _ in range(3):
        buffer.add(_row())
    buffer.close()
    assert _count(database) == 23
    assert not buffer._thread.is_alive()
    database.dispose()


def test_a_forked_child_does_not_inherit_the_parents_clicks(tmp_path):
    database = _standalone_clicks_db(tmp_path)
    buffer = ClickBuffer(database, thread=False)
    buffer.add(_row())
    pid = os.fork()
    if pid == 0:  # the child: its buffer starts empty (the parent writes its own rows)
        os._exit(0 if buffer.pending == 0 and buffer._thread is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert buffer.pending == 1
    buffer.flush()
    assert _count(database) == 1
    database.dispose()


@pytest.mark.parametrize("ending", ["exit", "sigterm"])
def test_pending_clicks_are_written_when_the_process_ends(tmp_path, ending):
    """A normal exit (atexit: how gunicorn workers end) and a bare SIGTERM (the chained
    handler) both write what is pending."""
    database = _standalone_clicks_db(tmp_path)
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.test_redirect import _row
        from sqlalchemy import create_engine
        from app.db import Database
        from app.sharing.clicks import ClickBuffer, install_sigterm_handler
        url = {database.url!r}
        buffer = ClickBuffer(Database(url, engine=create_engine(url)), interval=3600)
        assert install_sigterm_handler()
        for _ in range(9):
            buffer.add(_row())
        if {ending!r} == "sigterm":
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pause()
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    expected = -15 if ending == "sigterm" else 0
    assert result.returncode == expected, result.stderr
    assert _count(database) == 9
    database.dispose()


# --- the link cache -------------------------------------------------------------------------

class Statements:
    def __init__(self, engine):
        self.engine, self.sql = engine, []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self.sql

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, *args):
        self.sql.append(statement)


def test_a_cached_link_issues_no_sql(buffered, app, client, db):
    share = make_share(db)
    engine = app.extensions["relais_db"].engine
    with Statements(engine) as sql:
        assert visit(client, share.code).status_code == 302
    assert sql, "the first visit loads the link"
    with Statements(engine) as sql:
        assert visit(client, share.code).status_code == 302
    assert sql == []
    with Statements(engine) as sql:
        assert visit(client, "unknown-code").status_code == 404
    assert sql, "the first visit of an unknown code asks the database"
    with Statements(engine) as sql:
        assert visit(client, "unknown-code").status_code == 404
    assert sql == []
    app.extensions[CLICKS_KEY].flush()
    assert len(clicks(db, share)) == 2


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_cache_forgets_a_deleted_share_after_its_ttl(app, client, db):
    clock = FakeClock()
    app.extensions[REDIRECTOR_KEY].links = LinkCache(ttl=60, negative_ttl=10, clock=clock)
    share = make_share(db)
    code = share.code
    assert visit(client, code).status_code == 302
    db.delete(share)
    db.flush()
    clock.now += 59
    assert visit(client, code, method="HEAD").status_code == 302  # still cached
    clock.now += 2
    assert visit(client, code).status_code == 404


def test_an_unknown_code_is_looked_up_again_after_the_negative_ttl(app, client, db):
    clock = FakeClock()
    app.extensions[REDIRECTOR_KEY].links = LinkCache(ttl=60, negative_ttl=10, clock=clock)
    assert visit(client, "later-code").status_code == 404
    share = make_share(db)
    share.code = "later-code"
    db.flush()
    assert visit(client, "later-code").status_code == 404  # remembered as unknown
    clock.now += 11
    assert visit(client, "later-code").status_code == 302


def test_the_cache_is_bounded_and_can_be_invalidated(app, db):
    cache = LinkCache(size=3, negative_size=2)
    database = app.extensions["relais_db"]
    shares = [make_share(db) for _ in range(5)]
    for share in shares:
        assert cache.get(database, share.code).share_id == share.id
    assert len(cache) == 3
    for code in ("u1", "u2", "u3"):
        assert cache.get(database, code) is None
    assert len(cache._unknown) == 2
    cache.invalidate(shares[-1].code)
    assert len(cache) == 2
    cache.invalidate()
    assert len(cache) == 0 and len(cache._unknown) == 0


def test_a_non_http_item_url_is_never_a_redirect_target(client, db):
    share = make_share(db, url="javascript:alert(1)")
    response = visit(client, share.code)
    assert response.status_code == 404
    assert "Location" not in response.headers


# --- the WSGI fast path -------------------------------------------------------------------------

def _headers(response) -> dict:
    """Without what only a signed-in visitor gets (their session cookie refreshed) and the
    request id (one per request)."""
    return {k: v for k, v in response.headers.items()
            if k not in ("Date", "Content-Type", "Set-Cookie", "Vary", "X-Request-ID")}


def test_the_fast_path_answers_like_the_flask_route(app, client, db, auth):
    share = make_share(db)
    fast = visit(client, share.code)  # no cookie: answered before Flask
    auth.login(UserFactory())  # a session cookie: through the Flask route
    routed = visit(client, share.code)
    assert fast.status_code == routed.status_code == 302
    assert _headers(fast) == _headers(routed)
    assert "Content-Security-Policy" in fast.headers
    assert len(clicks(db, share)) == 2


def test_the_fast_path_skips_flask_hooks(app, client, db):
    share = make_share(db)
    calls = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: calls.append(1))
    visit(client, share.code)  # the first one loads the link (and stays on the fast path)
    visit(client, share.code)
    assert calls == []
    client.get("/r/unknown-code")
    assert calls == [1]
