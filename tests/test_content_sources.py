"""RSS/Atom sources and the curation inbox: polling real feeds served on 127.0.0.1
(conditional GET, de-duplication by URL, hostile XML, blocked addresses, broken feeds),
and the curator pages (sources, inbox, "Make a draft", dismissals, roles).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditEvent
from app.common.actor import Actor
from app.common.fetcher import FetchPolicy
from app.content import feeds
from app.content.models import ContentItem, ContentOrigin, ContentStatus, InboxEntry, InboxStatus
from app.content.models import Source as SourceModel
from app.db import utcnow

LOOPBACK = FetchPolicy(allow_loopback=True, timeout=5.0)
ALLOW_LOOPBACK = pytest.mark.parametrize("app_overrides", [{"FETCH_ALLOW_LOOPBACK": True}])
ACTOR = Actor(user_id=None, ip="127.0.0.1")

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>Acme newsroom</title>
  <link>https://news.acme.example/</link>
  <description>News</description>
  <item>
    <title>Acme &lt;b&gt;opens&lt;/b&gt; a   lab &amp;amp; more</title>
    <link>https://news.acme.example/lab</link>
    <description><![CDATA[<p>The <b>new</b> lab</p><p>opens   in &eacute;t&eacute;.</p>
      <script>alert(1)</script>]]></description>
    <pubDate>Mon, 01 Jun 2026 09:00:00 GMT</pubDate>
    <media:content url="https://cdn.acme.example/lab.jpg" medium="image" />
  </item>
  <item>
    <title>Second story</title>
    <link>https://news.acme.example/second</link>
    <description>Plain text.</description>
    <pubDate>Tue, 02 Jun 2026 09:00:00 GMT</pubDate>
    <enclosure url="https://cdn.acme.example/second.png" type="image/png" length="10" />
  </item>
  <item>
    <title>Thumbnail story</title>
    <link>https://news.acme.example/third</link>
    <media:thumbnail url="https://cdn.acme.example/third.jpg" />
  </item>
  <item>
    <title>Sneaky</title>
    <link>javascript:alert(1)</link>
    <description>never kept</description>
  </item>
  <item>
    <title>Local file</title>
    <link>file:///etc/passwd</link>
  </item>
  <item>
    <title>No link at all</title>
  </item>
</channel>
</rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Partner blog</title>
  <id>urn:partner</id>
  <updated>2026-06-03T10:00:00Z</updated>
  <entry>
    <title type="html">Partner &amp;lt;em&amp;gt;news&amp;lt;/em&amp;gt;</title>
    <link rel="alternate" href="https://partner.example/news"/>
    <id>urn:partner:1</id>
    <updated>2026-06-03T10:00:00Z</updated>
    <summary type="html">&lt;p&gt;Partner summary&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>Same story as Acme's</title>
    <link rel="alternate" href="https://news.acme.example/lab"/>
    <id>urn:partner:2</id>
    <updated>2026-06-03T11:00:00Z</updated>
    <content type="html">&lt;p&gt;Repost&lt;/p&gt;</content>
  </entry>
</feed>
"""

SECRET = "TOP-SECRET-9f3a"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs</title><link>https://laughs.example/</link>
<description>x</description>
<item><title>Laugh &lol9; end</title><link>https://laughs.example/1</link>
<description>Big &lol9; &lol; laugh</description></item>
</channel></rss>
"""


def xxe_feed(secret_path: str, base: str) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY xxe SYSTEM "file://{secret_path}">
  <!ENTITY remote SYSTEM "{base}/leak">
  <!ENTITY % param SYSTEM "{base}/leak-param"> %param;
  <!ENTITY inner "INTERNAL-ENTITY-TEXT">
]>
<rss version="2.0"><channel><title>XXE</title><link>https://xxe.example/</link>
<description>x</description>
<item><title>Leak &xxe; &remote; &inner;</title><link>https://xxe.example/1</link>
<description>File: &xxe; Remote: &remote;</description></item>
</channel></rss>
""".encode()


# --- a real feed server on loopback ------------------------------------------------------


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str = ""
    last_modified: str = ""
    status: int = 200


@dataclass
class FeedServer:
    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes, **kwargs) -> str:
        self.routes[path] = Route(body, **kwargs)
        return self.url(path)

    def hits(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [headers for p, headers in self.requests if p == path]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        feed = self.server.feed
        headers = {k.lower(): v for k, v in self.headers.items()}
        with feed.lock:
            feed.requests.append((self.path, headers))
        route = feed.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if (route.etag and headers.get("if-none-match") == route.etag) or (
                route.last_modified and headers.get("if-modified-since") == route.last_modified):
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.body)))
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)
        self.end_headers()
        self.wfile.write(route.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture(scope="module")
def _feed_server_process():
    server = _Server(("127.0.0.1", 0), _Handler)
    server.feed = FeedServer(base=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def feed_server(_feed_server_process) -> FeedServer:
    feed = _feed_server_process.feed
    feed.routes.clear()
    with feed.lock:
        feed.requests.clear()
    return feed


@pytest.fixture
def connects(monkeypatch):
    """Every outgoing connection attempt (only loopback ones go through)."""
    attempts: list = []
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if isinstance(address, tuple):
            attempts.append(address[0])
            if not address[0].startswith("127."):
                raise AssertionError(f"tried to connect to {address[0]}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


def make_source(db, url: str, name: str = "Feed", language: str = "en",
                active: bool = True) -> SourceModel:
    return feeds.create_source(db, ACTOR, name=name, url=url, language=language, active=active)


def inbox(db) -> dict[str, InboxEntry]:
    db.expire_all()
    return {e.url: e for e in db.scalars(select(InboxEntry))}


# --- text and URL hygiene -------------------------------------------------------------------


def test_plain_text_strips_tags_unescapes_collapses_and_caps():
    assert feeds.plain_text("<p>One</p><p>two &amp; <b>three</b></p>", 100) == "One two & three"
    assert feeds.plain_text("a<script>alert(1)</script>b<style>x{}</style>", 100) == "ab"
    assert feeds.plain_text("&lt;b&gt;bold&lt;/b&gt;", 100) == "<b>bold</b>"  # text, escaped later
    assert feeds.plain_text("  lots \n\t of   space ", 100) == "lots of space"
    assert feeds.plain_text("word " * 100, 20) == "word word word word…"
    assert len(feeds.plain_text("x" * 5000, 1000)) == 1000
    assert feeds.plain_text(None, 10) == ""


@pytest.mark.parametrize("url, ok", [
    ("https://news.acme.example/a?b=1", True),
    ("http://news.acme.example/", True),
    ("javascript:alert(1)", False),
    ("file:///etc/passwd", False),
    ("ftp://acme.example/feed", False),
    ("data:text/html,hi", False),
    ("//news.acme.example/a", False),
    ("/relative", False),
    ("https://user:pw@acme.example/", False),
    ("https://acme.example/a b", False),
    ("https://acme.example:99999/", False),
    ("https://" + "a" * 2000 + ".example/", False),
    (None, False),
])
def test_web_url_keeps_only_absolute_http_urls(url, ok):
    assert (feeds.web_url(url) == url) is ok


def test_strip_doctype_only_removes_the_prolog_declaration():
    assert b"ENTITY" not in feeds.strip_doctype(BILLION_LAUGHS)
    assert feeds.strip_doctype(RSS) == RSS
    text = b"<rss><item><description><![CDATA[<!DOCTYPE x>]]></description></item></rss>"
    assert feeds.strip_doctype(text) == text


# --- polling --------------------------------------------------------------------------------


def test_polling_an_rss_feed_fills_the_inbox_with_clean_entries(db, feed_server):
    url = feed_server.serve("/rss", RSS, etag='"v1"')
    source = make_source(db, url)
    result = feeds.poll_source(db, source, policy=LOOPBACK)

    assert result.ok and result.new == 3
    entries = inbox(db)
    assert set(entries) == {"https://news.acme.example/lab", "https://news.acme.example/second",
                            "https://news.acme.example/third"}  # javascript:, file:, none: out
    lab = entries["https://news.acme.example/lab"]
    assert lab.title == "Acme opens a lab & more"  # RSS titles are HTML: tags stripped
    assert lab.summary == "The new lab opens in été."
    assert lab.image_url == "https://cdn.acme.example/lab.jpg"
    assert lab.entry_published_at.isoformat() == "2026-06-01T09:00:00+00:00"
    assert lab.status == InboxStatus.NEW and lab.source_id == source.id
    assert entries["https://news.acme.example/second"].image_url == \
        "https://cdn.acme.example/second.png"
    assert entries["https://news.acme.example/third"].image_url == \
        "https://cdn.acme.example/third.jpg"
    assert entries["https://news.acme.example/third"].entry_published_at is None
    db.refresh(source)
    assert source.last_status == "ok: 3 new"
    assert source.last_polled_at is not None
    assert source.etag == '"v1"'


def test_polling_an_atom_feed(db, feed_server):
    source = make_source(db, feed_server.serve("/atom", ATOM,
                                               content_type="application/atom+xml"))
    assert feeds.poll_source(db, source, policy=LOOPBACK).new == 2
    entries = inbox(db)
    assert entries["https://partner.example/news"].title == "Partner <em>news</em>"
    assert entries["https://partner.example/news"].summary == "Partner summary"
    assert entries["https://news.acme.example/lab"].summary == "Repost"


def test_polling_twice_adds_nothing_and_uses_a_conditional_get(db, feed_server):
    url = feed_server.serve("/rss", RSS, etag='"v1"')
    source = make_source(db, url)
    feeds.poll_source(db, source, policy=LOOPBACK)
    before = {u: (e.id, e.title) for u, e in inbox(db).items()}

    second = feeds.poll_source(db, source, policy=LOOPBACK)
    assert second.ok and second.new == 0
    assert {u: (e.id, e.title) for u, e in inbox(db).items()} == before
    first_headers, second_headers = feed_server.hits("/rss")
    assert "if-none-match" not in first_headers
    assert second_headers["if-none-match"] == '"v1"'
    db.refresh(source)
    assert source.last_status == "ok: not modified"

    # the feed changes (new ETag): the full download still adds no duplicate
    feed_server.serve("/rss", RSS, etag='"v2"')
    third = feeds.poll_source(db, source, policy=LOOPBACK)
    assert (third.ok, third.new) == (True, 0)
    assert {u: (e.id, e.title) for u, e in inbox(db).items()} == before
    db.refresh(source)
    assert (source.last_status, source.etag) == ("ok: 0 new", '"v2"')


def test_last_modified_is_sent_back_too(db, feed_server):
    stamp = "Wed, 03 Jun 2026 10:00:00 GMT"
    source = make_source(db, feed_server.serve("/rss", RSS, last_modified=stamp))
    feeds.poll_source(db, source, policy=LOOPBACK)
    assert feeds.poll_source(db, source, policy=LOOPBACK).status == "ok: not modified"
    assert feed_server.hits("/rss")[1]["if-modified-since"] == stamp


def test_a_stored_validator_with_control_characters_is_not_sent(db, feed_server):
    source = make_source(db, feed_server.serve("/rss", RSS))
    source.etag = '"x"\r\nX-Injected: 1'
    assert feeds.poll_source(db, source, policy=LOOPBACK).ok
    [headers] = feed_server.hits("/rss")
    assert "x-injected" not in headers and "if-none-match" not in headers


def test_the_same_url_in_two_sources_lands_once(db, feed_server):
    rss = make_source(db, feed_server.serve("/rss", RSS), name="Acme")
    atom = make_source(db, feed_server.serve("/atom", ATOM), name="Partner")
    assert feeds.poll_source(db, rss, policy=LOOPBACK).new == 3
    assert feeds.poll_source(db, atom, policy=LOOPBACK).new == 1  # the lab story is known
    entries = inbox(db)
    assert len(entries) == 4
    assert entries["https://news.acme.example/lab"].source_id == rss.id
    assert db.scalar(select(func.count()).select_from(InboxEntry)
                     .where(InboxEntry.url == "https://news.acme.example/lab")) == 1


def test_a_concurrent_insert_of_the_same_url_is_absorbed_by_the_unique_constraint(
        db, feed_server, monkeypatch):
    """Another poll inserted the URL between our check and our insert: no error."""
    source = make_source(db, feed_server.serve("/rss", RSS))
    other = make_source(db, "https://other.acme.example/feed", name="Other")
    db.add(InboxEntry(source_id=other.id, url="https://news.acme.example/lab", title="Raced"))
    db.flush()
    real_scalars = db.scalars

    def blind(stmt, *args, **kwargs):  # the "already known?" check misses the race
        if "content_inbox.url" in str(stmt) and "IN" in str(stmt):
            return iter(())
        return real_scalars(stmt, *args, **kwargs)

    monkeypatch.setattr(db, "scalars", blind)
    result = feeds.poll_source(db, source, policy=LOOPBACK)
    monkeypatch.undo()
    assert (result.ok, result.new) == (True, 2)
    entries = inbox(db)
    assert entries["https://news.acme.example/lab"].title == "Raced"
    assert len(entries) == 3


def test_external_entities_are_never_resolved(db, feed_server, tmp_path, connects):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    source = make_source(db, feed_server.serve("/xxe", xxe_feed(str(secret), feed_server.base)))
    result = feeds.poll_source(db, source, policy=LOOPBACK)
    assert result.ok, result.status
    [entry] = inbox(db).values()
    text = entry.title + entry.summary
    assert SECRET not in text
    assert "INTERNAL-ENTITY-TEXT" not in text  # no DTD at all: not even internal entities
    assert feed_server.hits("/leak") == [] and feed_server.hits("/leak-param") == []
    assert set(connects) == {"127.0.0.1"}
    assert len(feed_server.requests) == 1


def test_a_billion_laughs_feed_does_not_expand(db, feed_server):
    source = make_source(db, feed_server.serve("/laughs", BILLION_LAUGHS))
    started = time.monotonic()
    result = feeds.poll_source(db, source, policy=LOOPBACK)
    assert time.monotonic() - started < 5
    assert result.ok, result.status
    [entry] = inbox(db).values()
    assert "lollol" not in entry.title + entry.summary
    assert len(entry.title) < 100 and len(entry.summary) < 100


@pytest.mark.parametrize("url", ["http://10.0.0.1/feed.xml",
                                 "http://169.254.169.254/latest/meta-data/",
                                 "http://127.0.0.1:9/feed", "http://[::ffff:10.0.0.1]/feed"])
def test_internal_addresses_are_blocked_without_connecting(db, connects, url):
    source = make_source(db, url)
    result = feeds.poll_source(db, source, policy=FetchPolicy())  # the default: no loopback
    assert not result.ok
    db.refresh(source)
    assert source.last_status.startswith("error: blocked_address")
    assert source.last_polled_at is not None
    assert connects == []
    assert inbox(db) == {}


@pytest.mark.parametrize("body, status, expected", [
    (b"<html><body>Not a feed</body></html>", 200, "error: not_a_feed"),
    (b"\x00\x01\x02 garbage", 200, "error: not_a_feed"),
    (b"", 200, "error: not_a_feed"),
    (b"gone", 404, "error: http_404"),
    (b"oops", 500, "error: http_500"),
])
def test_a_broken_feed_sets_an_error_status(db, feed_server, body, status, expected):
    source = make_source(db, feed_server.serve("/broken", body, status=status,
                                               content_type="text/html"))
    result = feeds.poll_source(db, source, policy=LOOPBACK)
    assert not result.ok
    db.refresh(source)
    assert source.last_status.startswith(expected)
    assert inbox(db) == {}


def test_a_broken_feed_does_not_stop_the_others(db, database, feed_server):
    broken = make_source(db, feed_server.serve("/broken", b"<html>no</html>"), name="Broken")
    blocked = make_source(db, "http://10.0.0.1/feed", name="Blocked")
    good = make_source(db, feed_server.serve("/rss", RSS), name="Good")
    idle = make_source(db, feed_server.serve("/atom", ATOM), name="Idle", active=False)
    db.flush()
    summary = feeds.poll_all(database.new_session(), db, policy=LOOPBACK, now=utcnow())
    assert (summary.sources, summary.ok, summary.failed, summary.new_entries) == (3, 1, 2, 3)
    assert set(summary.errors) == {broken.id, blocked.id}
    db.expire_all()
    assert good.last_status == "ok: 3 new"
    assert broken.last_status.startswith("error: not_a_feed")
    assert blocked.last_status.startswith("error: blocked_address")
    assert idle.last_polled_at is None
    assert feed_server.hits("/atom") == []


def test_a_bug_while_writing_one_source_is_contained(db, database, feed_server, monkeypatch):
    first = make_source(db, feed_server.serve("/rss", RSS), name="First")
    second = make_source(db, feed_server.serve("/atom", ATOM), name="Second")
    real = feeds._add_entries

    def flaky(session, source, entries, now):
        if source.id == first.id:
            session.add(InboxEntry(source_id=source.id, url="https://half.example/", title="x"))
            session.flush()
            raise RuntimeError("boom")
        return real(session, source, entries, now)

    monkeypatch.setattr(feeds, "_add_entries", flaky)
    summary = feeds.poll_all(database.new_session(), db, policy=LOOPBACK, now=utcnow())
    assert (summary.ok, summary.failed, summary.new_entries) == (1, 1, 2)
    db.expire_all()
    assert first.last_status == "error: internal: RuntimeError"
    assert second.last_status == "ok: 2 new"
    assert "https://half.example/" not in inbox(db)  # its savepoint was rolled back


# --- sources, drafts and dismissals (services) ------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://acme.example/feed", "javascript:alert(1)", "feed.xml",
                                 "", "https://user:pw@acme.example/feed"])
def test_a_source_needs_an_http_url(app, db, url):
    from app.common.errors import ServiceError

    with pytest.raises(ServiceError) as caught:
        make_source(db, url)
    assert caught.value.field == "url"


def test_a_feed_is_a_source_once(app, db):
    from app.common.errors import ServiceError

    make_source(db, "https://acme.example/feed")
    with pytest.raises(ServiceError):
        make_source(db, "https://acme.example/feed", name="Again")
    other = make_source(db, "https://acme.example/other")
    with pytest.raises(ServiceError):
        feeds.update_source(db, ACTOR, other, name="x", url="https://acme.example/feed",
                            language="en", active=True)


def entry(db, source, url="https://news.acme.example/a", **kwargs) -> InboxEntry:
    row = InboxEntry(source_id=source.id, url=url, title=kwargs.pop("title", "A story"),
                     summary=kwargs.pop("summary", "Summary."), **kwargs)
    db.add(row)
    db.flush()
    return row


def test_make_draft_turns_an_entry_into_a_feed_draft_once(app, db):
    source = make_source(db, "https://acme.example/feed", language="fr")
    row = entry(db, source, image_url="https://cdn.acme.example/a.jpg")
    curator = Actor(user_id=None)
    item = feeds.make_draft(db, curator, row)
    assert (item.status, item.origin) == (ContentStatus.DRAFT, ContentOrigin.FEED)
    assert (item.url, item.title, item.summary, item.image_url, item.language) == (
        "https://news.acme.example/a", "A story", "Summary.", "https://cdn.acme.example/a.jpg",
        "fr")
    assert (row.status, row.item_id) == (InboxStatus.USED, item.id)
    assert feeds.make_draft(db, curator, row).id == item.id  # a double click
    assert db.scalar(select(func.count()).select_from(ContentItem)) == 1


def test_dismissing_entries(app, db):
    source = make_source(db, "https://acme.example/feed")
    other = make_source(db, "https://acme.example/other")
    a, b = entry(db, source), entry(db, source, url="https://news.acme.example/b")
    c = entry(db, other, url="https://news.acme.example/c")
    feeds.dismiss_entry(db, a)
    assert a.status == InboxStatus.DISMISSED
    assert feeds.dismiss_all(db, ACTOR, source) == 1
    db.expire_all()
    assert (b.status, c.status) == (InboxStatus.DISMISSED, InboxStatus.NEW)
    from app.common.errors import ServiceError

    with pytest.raises(ServiceError):
        feeds.make_draft(db, ACTOR, b)


# --- the pages ------------------------------------------------------------------------------


def page_urls(source_id: int, entry_id: int) -> list[tuple[str, str]]:
    return [("GET", "/curate/sources"), ("GET", "/curate/sources/new"),
            ("POST", "/curate/sources/new"), ("GET", f"/curate/sources/{source_id}"),
            ("POST", f"/curate/sources/{source_id}"),
            ("POST", f"/curate/sources/{source_id}/check"),
            ("POST", f"/curate/sources/{source_id}/active"),
            ("POST", f"/curate/sources/{source_id}/delete"),
            ("POST", f"/curate/sources/{source_id}/dismiss-all"),
            ("GET", "/curate/inbox"), ("POST", f"/curate/inbox/{entry_id}/draft"),
            ("POST", f"/curate/inbox/{entry_id}/dismiss")]


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER])
def test_employees_and_managers_are_refused_everywhere(db, auth, role):
    source = make_source(db, "https://acme.example/feed")
    row = entry(db, source)
    auth.as_role(role)
    for method, url in page_urls(source.id, row.id):
        response = auth.client.open(url, method=method, data={"name": "x", "url": "https://x.example/"})
        assert response.status_code == 403, (method, url)
    db.expire_all()
    assert (source.name, source.active, row.status) == ("Feed", True, InboxStatus.NEW)


@pytest.mark.parametrize("role", [Role.CURATOR, Role.ADMIN])
def test_curators_and_admins_see_the_pages(db, auth, role):
    auth.as_role(role)
    for url in ("/curate/sources", "/curate/sources/new", "/curate/inbox"):
        assert auth.client.get(url).status_code == 200


def test_unknown_ids_give_404(db, auth):
    auth.as_role(Role.CURATOR)
    for method, url in page_urls(999999, 999999):
        if "999999" in url:
            assert auth.client.open(url, method=method).status_code == 404, (method, url)


def test_empty_states(db, auth):
    auth.as_role(Role.CURATOR)
    body = auth.client.get("/curate/sources").get_data(as_text=True)
    assert "No source yet" in body
    body = auth.client.get("/curate/inbox").get_data(as_text=True)
    assert "Add an RSS or Atom feed to start" in body
    make_source(db, "https://acme.example/feed")
    body = auth.client.get("/curate/inbox").get_data(as_text=True)
    assert "Nothing new here" in body


@pytest.mark.parametrize("url", ["ftp://acme.example/feed", "javascript:alert(1)",
                                 "not a url", "http://"])
def test_adding_a_source_with_a_bad_url_is_422(db, auth, url):
    auth.as_role(Role.CURATOR)
    response = auth.client.post("/curate/sources/new",
                                data={"name": "Bad", "url": url, "language": "en"})
    assert response.status_code == 422
    assert "starting with https://" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(SourceModel)) == 0


def test_adding_a_source_twice_or_without_a_name_is_422(db, auth):
    make_source(db, "https://acme.example/feed")
    auth.as_role(Role.CURATOR)
    twice = auth.client.post("/curate/sources/new", data={
        "name": "Again", "url": "https://acme.example/feed", "language": "en"})
    assert twice.status_code == 422
    assert "already a source" in twice.get_data(as_text=True)
    nameless = auth.client.post("/curate/sources/new", data={
        "name": "  ", "url": "https://acme.example/other", "language": "en"})
    assert nameless.status_code == 422
    wrong_language = auth.client.post("/curate/sources/new", data={
        "name": "X", "url": "https://acme.example/other", "language": "de"})
    assert wrong_language.status_code == 422
    assert db.scalar(select(func.count()).select_from(SourceModel)) == 1


@ALLOW_LOOPBACK
def test_add_and_check_now_polls_at_once_and_shows_the_result(db, auth, feed_server):
    curator = auth.as_role(Role.CURATOR)
    url = feed_server.serve("/rss", RSS)
    response = auth.client.post("/curate/sources/new", data={
        "name": "Acme news", "url": url, "language": "en", "active": "y", "check": "1"},
        follow_redirects=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Acme news checked. OK: 3 new" in body
    source = db.scalar(select(SourceModel))
    assert (source.name, source.url, source.active, source.created_by_id) == (
        "Acme news", url, True, curator.id)
    assert source.last_status == "ok: 3 new"
    assert len(inbox(db)) == 3
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "content.source_added"))

    # "Check now" from the list: nothing new, the server says "not modified" or sends it again
    again = auth.client.post(f"/curate/sources/{source.id}/check", follow_redirects=True)
    assert "Acme news checked. OK: 0 new" in again.get_data(as_text=True)
    listing = auth.client.get("/curate/sources").get_data(as_text=True)
    assert "Acme news" in listing and "OK: 0 new" in listing


def test_check_now_on_a_blocked_address_shows_the_error(db, auth, connects):
    source = make_source(db, "http://169.254.169.254/latest/meta-data/", name="Metadata")
    auth.as_role(Role.CURATOR)
    response = auth.client.post(f"/curate/sources/{source.id}/check", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "private or reserved network" in body
    assert connects == []
    db.expire_all()
    assert source.last_status.startswith("error: blocked_address")


def test_adding_without_checking_does_not_fetch(db, auth, feed_server):
    auth.as_role(Role.CURATOR)
    url = feed_server.serve("/rss", RSS)
    response = auth.client.post("/curate/sources/new", data={
        "name": "Later", "url": url, "language": "fr", "check": "0"})
    assert response.status_code == 302
    assert feed_server.requests == []
    source = db.scalar(select(SourceModel))
    assert (source.language, source.active, source.last_polled_at) == ("fr", False, None)


def test_edit_deactivate_reactivate_and_delete_a_source(db, auth):
    source = make_source(db, "https://acme.example/feed", name="Old")
    source.etag = '"abc"'
    row = entry(db, source)
    auth.as_role(Role.CURATOR)
    page = auth.client.get(f"/curate/sources/{source.id}").get_data(as_text=True)
    assert "Old" in page and "not polled yet" in page

    response = auth.client.post(f"/curate/sources/{source.id}", data={
        "name": "New name", "url": "https://acme.example/new-feed", "language": "fr",
        "active": "y"})
    assert response.status_code == 302
    db.expire_all()
    assert (source.name, source.url, source.language, source.etag) == (
        "New name", "https://acme.example/new-feed", "fr", "")
    bad = auth.client.post(f"/curate/sources/{source.id}", data={
        "name": "New name", "url": "gopher://x", "language": "fr"})
    assert bad.status_code == 422

    auth.client.post(f"/curate/sources/{source.id}/active", data={"active": "0"})
    db.expire_all()
    assert source.active is False
    assert "inactive" in auth.client.get("/curate/sources").get_data(as_text=True)
    auth.client.post(f"/curate/sources/{source.id}/active", data={"active": "1"})
    db.expire_all()
    assert source.active is True

    source_id, row_id = source.id, row.id
    assert auth.client.post(f"/curate/sources/{source_id}/delete").status_code == 302
    db.expunge_all()
    assert db.get(SourceModel, source_id) is None
    assert db.get(InboxEntry, row_id) is None
    assert "No source yet" in auth.client.get("/curate/sources").get_data(as_text=True)


def test_the_sources_list_counts_new_entries(db, auth):
    source = make_source(db, "https://acme.example/feed", name="Counted")
    entry(db, source)
    entry(db, source, url="https://news.acme.example/b")
    entry(db, source, url="https://news.acme.example/c", status=InboxStatus.DISMISSED)
    auth.as_role(Role.CURATOR)
    body = auth.client.get("/curate/sources").get_data(as_text=True)
    assert f'href="/curate/inbox?source={source.id}">2</a>' in body


@pytest.mark.parametrize("app_overrides", [{"PER_PAGE": 2}])
def test_the_inbox_lists_new_entries_newest_first_with_filter_and_pages(db, auth):
    from datetime import timedelta

    now = utcnow()
    acme = make_source(db, "https://acme.example/feed", name="Acme")
    partner = make_source(db, "https://partner.example/feed", name="Partner")
    day = timedelta(days=1)
    entry(db, acme, "https://a.example/old", title="Oldest", entry_published_at=now - 3 * day)
    entry(db, acme, "https://a.example/new", title="Newest", entry_published_at=now - day / 24)
    entry(db, partner, "https://p.example/mid", title="Middle", entry_published_at=now - day)
    entry(db, partner, "https://p.example/used", title="Used one", status=InboxStatus.USED)
    entry(db, acme, "https://a.example/gone", title="Dismissed one", status=InboxStatus.DISMISSED)
    auth.as_role(Role.CURATOR)

    first = auth.client.get("/curate/inbox").get_data(as_text=True)
    assert first.index("Newest") < first.index("Middle")
    assert "Oldest" not in first and "Used one" not in first and "Dismissed one" not in first
    assert "Page 1 of 2" in first and "3 new entries" in first
    second = auth.client.get("/curate/inbox?page=2").get_data(as_text=True)
    assert "Oldest" in second and "Newest" not in second

    filtered = auth.client.get(f"/curate/inbox?source={partner.id}").get_data(as_text=True)
    assert "Middle" in filtered and "Newest" not in filtered
    assert "Dismiss all from this source" in filtered
    assert auth.client.get("/curate/inbox?source=999999").status_code == 200
    assert auth.client.get("/curate/inbox?source=abc&page=-3").status_code == 200


def test_make_a_draft_redirects_to_the_item_page(db, auth):
    source = make_source(db, "https://acme.example/feed")
    row = entry(db, source, title="Turn me into an item")
    curator = auth.as_role(Role.CURATOR)
    response = auth.client.post(f"/curate/inbox/{row.id}/draft")
    assert response.status_code == 302
    db.expire_all()
    item = db.scalar(select(ContentItem))
    assert response.headers["Location"].endswith(f"/curate/items/{item.id}")
    assert (item.title, item.origin, item.status, item.created_by_id) == (
        "Turn me into an item", ContentOrigin.FEED, ContentStatus.DRAFT, curator.id)
    assert (row.status, row.item_id) == (InboxStatus.USED, item.id)
    assert "Turn me into an item" not in auth.client.get("/curate/inbox").get_data(as_text=True)
    # a second click goes to the same draft
    again = auth.client.post(f"/curate/inbox/{row.id}/draft")
    assert again.headers["Location"].endswith(f"/curate/items/{item.id}")
    assert db.scalar(select(func.count()).select_from(ContentItem)) == 1


def test_a_dismissed_entry_cannot_become_a_draft(db, auth):
    source = make_source(db, "https://acme.example/feed")
    row = entry(db, source, status=InboxStatus.DISMISSED)
    auth.as_role(Role.CURATOR)
    response = auth.client.post(f"/curate/inbox/{row.id}/draft", follow_redirects=True)
    assert "no longer in the inbox" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(ContentItem)) == 0


def test_dismiss_and_dismiss_all_from_the_inbox(db, auth):
    acme = make_source(db, "https://acme.example/feed", name="Acme")
    other = make_source(db, "https://other.example/feed", name="Other")
    a = entry(db, acme, "https://a.example/1", title="First")
    b = entry(db, acme, "https://a.example/2", title="Second")
    c = entry(db, other, "https://o.example/1", title="Third")
    auth.as_role(Role.CURATOR)
    response = auth.client.post(f"/curate/inbox/{a.id}/dismiss", data={"source": acme.id})
    assert response.headers["Location"].endswith(f"/curate/inbox?source={acme.id}")
    db.expire_all()
    assert a.status == InboxStatus.DISMISSED
    response = auth.client.post(f"/curate/sources/{acme.id}/dismiss-all", follow_redirects=True)
    assert "1 entries dismissed" in response.get_data(as_text=True)
    db.expire_all()
    assert (b.status, c.status) == (InboxStatus.DISMISSED, InboxStatus.NEW)
    body = auth.client.get("/curate/inbox").get_data(as_text=True)
    assert "Third" in body and "First" not in body and "Second" not in body


def test_entry_text_is_escaped_on_the_inbox_page(db, auth):
    source = make_source(db, "https://acme.example/feed")
    entry(db, source, title="<img src=x onerror=alert(1)>", summary="<script>x</script>")
    auth.as_role(Role.CURATOR)
    body = auth.client.get("/curate/inbox").get_data(as_text=True)
    assert "<img src=x" not in body and "<script>x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


def test_every_post_needs_the_csrf_token(csrf_app, db):
    from tests.conftest import Auth

    source = make_source(db, "https://acme.example/feed")
    row = entry(db, source)
    client = csrf_app.test_client()
    auth = Auth(client, db)
    curator = auth.as_role(Role.CURATOR)
    for method, url in page_urls(source.id, row.id):
        if method == "POST":
            auth.login(curator)
            assert client.post(url, data={"name": "x"}).status_code == 400, url
    db.expire_all()
    assert (source.name, row.status) == ("Feed", InboxStatus.NEW)


def test_the_fetcher_only_adds_conditional_headers(feed_server):
    from app.common.fetcher import fetch

    url = feed_server.serve("/rss", RSS, etag='"e"')
    for bad in ({"Host": "evil.example"}, {"Cookie": "a=b"}, {"If-None-Match": '"e"\r\nX: 1'}):
        with pytest.raises(ValueError):
            fetch(url, policy=LOOPBACK, conditional=bad)
    assert feed_server.requests == []
    assert fetch(url, policy=LOOPBACK, conditional={"If-None-Match": '"e"',
                                                    "If-Modified-Since": ""}).status == 304
    assert "if-modified-since" not in feed_server.hits("/rss")[0]
