"""RSS/Atom sources and the curation inbox (DESIGN.md: "RSS/Atom sources feeding a curation
inbox"): register sources, poll them, turn an entry into a draft item or dismiss it.

Polling a source:

1. ``fetch_feed`` downloads the feed through the SSRF-safe fetcher (``app.common.fetcher``),
   with a conditional GET (the stored ETag / Last-Modified). feedparser is then given the
   downloaded bytes, wrapped in a stream — never a URL, nor a string (feedparser would
   fetch a URL or open a file name itself). The document's DOCTYPE (and so every entity
   declaration) is dropped first: no external entity, no billion laughs. No database here.
2. ``apply_fetch`` writes: new entries land in the inbox, de-duplicated by URL across all
   sources (the named unique constraint ``uq_content_inbox_url`` settles races: each insert
   runs in a savepoint), and the source records ``last_polled_at`` / ``last_status``.

The scheduled job reads the sources, fetches them all (no write lock held during the
network I/O: SQLite serialises writers), then applies the results in its unit of work; a
broken feed only sets its own source's status. Services flush and never commit.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser
import nh3
from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.audit.services import record
from app.common.actor import Actor
from app.common.errors import ServiceError
from app.common.fetcher import FetchError, FetchPolicy, fetch
from app.content import services
from app.content.models import ContentItem, ContentOrigin, InboxEntry, InboxStatus, Source
from app.db import utcnow

#: what a feed reader asks for
ACCEPT = ("application/rss+xml, application/atom+xml, application/xml;q=0.9, "
          "text/xml;q=0.9, */*;q=0.1")
#: entries read from one feed document (the rest are ignored)
MAX_ENTRIES = 200
TITLE_MAX = 300
SUMMARY_MAX = 1000
URL_MAX = 2000
LANGUAGES = ("en", "fr")
#: parallel downloads when the job polls every source
FETCH_WORKERS = 4

_DOCTYPE = re.compile(rb"<!DOCTYPE\b[^\[>]*(?:\[.*?\]\s*)?>", re.IGNORECASE | re.DOTALL)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_BLOCK_TAG = re.compile(r"<(/?)(p|br|div|li|ul|ol|h[1-6]|tr|td|th|blockquote|figure|section"
                        r"|article|header|footer|hr|pre|table)\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_HEADER_BAD = re.compile(r"[\x00-\x1f\x7f]")


# --- text and URL hygiene --------------------------------------------------------------


def plain_text(value: str | None, limit: int) -> str:
    """HTML → one line of plain text: tags (and script/style contents) stripped, entities
    unescaped, whitespace collapsed, cut to ``limit`` characters (with an ellipsis)."""
    if not value:
        return ""
    text = _BLOCK_TAG.sub(r" <\1\2", str(value))
    text = html.unescape(nh3.clean(text, tags=set(), attributes={}))
    text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return text


def web_url(value: object) -> str:
    """``value`` when it is a usable absolute http(s) URL, else ""."""
    if not isinstance(value, str):
        return ""
    url = value.strip()
    if not url or len(url) > URL_MAX or _CONTROL.search(url):
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    if "@" in parts.netloc:
        return ""
    return url


def check_feed_url(url: str) -> str:
    url = web_url(url)
    if not url:
        raise ServiceError(_("Enter the full address of the feed, starting with https://"),
                           field="url")
    return url


# --- sources ---------------------------------------------------------------------------


def _check_source_fields(db: Session, name: str, url: str, language: str,
                         source_id: int | None = None) -> tuple[str, str, str]:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the source a name."), field="name")
    url = check_feed_url(url)
    if language not in LANGUAGES:
        raise ServiceError(_("Unknown language."), field="language")
    clash = db.scalar(select(Source.id).where(Source.url == url))
    if clash is not None and clash != source_id:
        raise ServiceError(_("This feed is already a source."), field="url")
    return name[:200], url, language


def _flush_unique(db: Session) -> None:
    """Flush; a concurrent insert of the same URL becomes the usual form error."""
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        raise ServiceError(_("This feed is already a source."), field="url") from exc


def create_source(db: Session, actor: Actor, *, name: str, url: str, language: str = "en",
                  active: bool = True) -> Source:
    name, url, language = _check_source_fields(db, name, url, language)
    source = Source(name=name, url=url, language=language, active=bool(active),
                    created_by_id=actor.user_id, last_status="", etag="", last_modified="")
    db.add(source)
    _flush_unique(db)
    record(db, actor, "content.source_added", target=source, url=url)
    return source


def update_source(db: Session, actor: Actor, source: Source, *, name: str, url: str,
                  language: str, active: bool) -> None:
    name, url, language = _check_source_fields(db, name, url, language, source.id)
    if url != source.url:  # another feed: forget the validators of the old one
        source.etag = source.last_modified = ""
    source.name, source.url, source.language, source.active = name, url, language, bool(active)
    _flush_unique(db)
    record(db, actor, "content.source_updated", target=source, url=url, active=source.active)


def set_source_active(db: Session, actor: Actor, source: Source, active: bool) -> None:
    source.active = bool(active)
    db.flush()
    record(db, actor, "content.source_activated" if active else "content.source_deactivated",
           target=source)


def delete_source(db: Session, actor: Actor, source: Source) -> None:
    """The source and its inbox entries go; items already made from them stay."""
    record(db, actor, "content.source_deleted", target=source, url=source.url,
           name=source.name)
    db.delete(source)
    db.flush()


# --- polling: download (no database) ---------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str
    summary: str = ""
    image_url: str = ""
    published_at: datetime | None = None


@dataclass(frozen=True)
class Fetched:
    """What one download of a feed gave: entries, "not modified", or an error."""

    source_id: int
    entries: tuple[FeedEntry, ...] = ()
    not_modified: bool = False
    #: "" when it worked, else "<reason code>: <message>"
    error: str = ""
    etag: str | None = None
    last_modified: str | None = None
    skipped: int = 0


def strip_doctype(data: bytes) -> bytes:
    """Drop the prolog's DOCTYPE with its internal subset: no entity can be declared."""
    doctype = _DOCTYPE.search(data)
    if doctype is None:
        return data
    first = _FIRST_ELEMENT.search(data)
    if first is not None and first.start() < doctype.start():
        return data  # a DOCTYPE-looking text inside the document, not a declaration
    return data[:doctype.start()] + data[doctype.end():]


def fetch_feed(source_id: int, url: str, *, etag: str = "", last_modified: str = "",
               policy: FetchPolicy, now: datetime | None = None) -> Fetched:
    """Download and parse one feed; never raises for a bad feed (the error is returned)."""
    now = now or utcnow()
    conditional = {"If-None-Match": _header_value(etag),
                   "If-Modified-Since": _header_value(last_modified)}
    try:
        response = fetch(url, policy=policy, accept=ACCEPT, conditional=conditional)
    except FetchError as exc:
        return Fetched(source_id, error=f"{exc.reason_code}: {exc.message}")
    if response.status == 304:
        return Fetched(source_id, not_modified=True)
    if not response.ok:
        return Fetched(source_id, error=f"http_{response.status}: HTTP {response.status}")
    try:
        return _parse(source_id, response.content, response.final_url,
                      response.headers.get("Content-Type", ""), now,
                      etag=_header_value(response.headers.get("ETag", ""), 300),
                      last_modified=_header_value(response.headers.get("Last-Modified", ""),
                                                  100))
    except Exception as exc:  # feedparser is robust, but a feed must never break a run
        return Fetched(source_id, error=f"parse_failed: {type(exc).__name__}")


def _header_value(value: str | None, limit: int = 300) -> str:
    """A stored validator fit to send back (or store): short, no control character."""
    value = (value or "").strip()
    return "" if len(value) > limit or _HEADER_BAD.search(value) else value


def _parse(source_id: int, content: bytes, final_url: str, content_type: str, now: datetime,
           *, etag: str, last_modified: str) -> Fetched:
    headers = {"content-location": final_url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(strip_doctype(content)), response_headers=headers,
                              resolve_relative_uris=True, sanitize_html=True)
    if not parsed.get("version") and not parsed.entries:
        return Fetched(source_id, error="not_a_feed: not an RSS or Atom feed")
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    skipped = 0
    for raw in parsed.entries[:MAX_ENTRIES]:
        url = _entry_link(raw)
        if not url or url in seen:
            skipped += 1
            continue
        seen.add(url)
        summary = raw.get("summary") or ""
        if not summary and raw.get("content"):
            summary = raw.content[0].get("value", "")
        entries.append(FeedEntry(
            url=url,
            title=plain_text(raw.get("title"), TITLE_MAX) or url[:TITLE_MAX],
            summary=plain_text(summary, SUMMARY_MAX),
            image_url=_entry_image(raw),
            published_at=_entry_date(raw, now),
        ))
    return Fetched(source_id, entries=tuple(entries), etag=etag, last_modified=last_modified,
                   skipped=skipped)


def _entry_link(raw) -> str:
    url = web_url(raw.get("link"))
    if url:
        return url
    for link in raw.get("links") or ():
        if link.get("rel", "alternate") == "alternate":
            url = web_url(link.get("href"))
            if url:
                return url
    return ""


def _is_image(media: dict) -> bool:
    kind = (media.get("type") or "").lower()
    medium = (media.get("medium") or "").lower()
    if medium:
        return medium == "image"
    return not kind or kind.startswith("image/")


def _entry_image(raw) -> str:
    candidates: list[str] = []
    candidates += [m.get("url") for m in raw.get("media_content") or () if _is_image(m)]
    candidates += [m.get("url") for m in raw.get("media_thumbnail") or ()]
    candidates += [e.get("href") or e.get("url") for e in raw.get("enclosures") or ()
                   if (e.get("type") or "").lower().startswith("image/")]
    for candidate in candidates:
        url = web_url(candidate)
        if url:
            return url
    return ""


def _entry_date(raw, now: datetime) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        stamp = raw.get(key)
        if stamp:
            try:
                when = datetime(*stamp[:6], tzinfo=UTC)
            except (TypeError, ValueError, OverflowError):
                continue
            return min(when, now)  # a date in the future would pin the entry on top
    return None


# --- polling: write -------------------------------------------------------------------


@dataclass
class PollResult:
    source_id: int
    ok: bool
    new: int = 0
    status: str = ""


def apply_fetch(db: Session, source: Source, fetched: Fetched, now: datetime) -> PollResult:
    """Record a download's outcome on ``source`` and add its new entries to the inbox."""
    result = PollResult(source.id, ok=not fetched.error)
    if fetched.error:
        result.status = f"error: {fetched.error}"
    elif fetched.not_modified:
        result.status = "ok: not modified"
    else:
        result.new = _add_entries(db, source, fetched.entries, now)
        result.status = f"ok: {result.new} new"
        source.etag = fetched.etag or ""
        source.last_modified = fetched.last_modified or ""
    source.last_polled_at = now
    source.last_status = result.status[:200]
    db.flush()
    return result


def _add_entries(db: Session, source: Source, entries: Iterable[FeedEntry],
                 now: datetime) -> int:
    entries = list(entries)
    known: set[str] = set()
    urls = [e.url for e in entries]
    for start in range(0, len(urls), 500):
        known.update(db.scalars(select(InboxEntry.url)
                                .where(InboxEntry.url.in_(urls[start:start + 500]))))
    added = 0
    for entry in entries:
        if entry.url in known:
            continue
        row = InboxEntry(source_id=source.id, url=entry.url, title=entry.title,
                         summary=entry.summary, image_url=entry.image_url,
                         entry_published_at=entry.published_at, fetched_at=now,
                         status=InboxStatus.NEW)
        try:
            with db.begin_nested():  # another poll may have inserted it meanwhile
                db.add(row)
                db.flush()
        except IntegrityError:
            continue
        known.add(entry.url)
        added += 1
    return added


def poll_source(db: Session, source: Source, *, policy: FetchPolicy,
                now: datetime | None = None) -> PollResult:
    """Poll one source now ("Check now"): download, then write."""
    now = now or utcnow()
    fetched = fetch_feed(source.id, source.url, etag=source.etag,
                         last_modified=source.last_modified, policy=policy, now=now)
    return apply_fetch(db, source, fetched, now)


@dataclass
class PollSummary:
    sources: int = 0
    ok: int = 0
    failed: int = 0
    new_entries: int = 0
    errors: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"sources": self.sources, "ok": self.ok, "failed": self.failed,
                "new_entries": self.new_entries,
                "errors": {str(k): v for k, v in self.errors.items()}}


@dataclass(frozen=True)
class _Target:
    id: int
    url: str
    etag: str
    last_modified: str


def active_sources(db: Session) -> list[_Target]:
    rows = db.execute(select(Source.id, Source.url, Source.etag, Source.last_modified)
                      .where(Source.active.is_(True)).order_by(Source.id))
    return [_Target(*row) for row in rows]


def fetch_all(targets: list[_Target], *, policy: FetchPolicy, now: datetime) -> list[Fetched]:
    if not targets:
        return []

    def one(target: _Target) -> Fetched:
        try:
            return fetch_feed(target.id, target.url, etag=target.etag,
                              last_modified=target.last_modified, policy=policy, now=now)
        except Exception as exc:  # a bug in one feed's handling must not stop the others
            return Fetched(target.id, error=f"internal: {type(exc).__name__}")

    with ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(targets))) as pool:
        return list(pool.map(one, targets))


def apply_all(db: Session, results: list[Fetched], now: datetime) -> PollSummary:
    """Write every download's outcome; one source's failure never undoes another's."""
    summary = PollSummary()
    for fetched in results:
        source = db.get(Source, fetched.source_id)
        if source is None or not source.active:  # deleted or deactivated meanwhile
            continue
        summary.sources += 1
        try:
            with db.begin_nested():
                result = apply_fetch(db, source, fetched, now)
        except Exception as exc:
            db.refresh(source)
            result = apply_fetch(db, source, Fetched(source.id,
                                 error=f"internal: {type(exc).__name__}"), now)
        if result.ok:
            summary.ok += 1
            summary.new_entries += result.new
        else:
            summary.failed += 1
            summary.errors[source.id] = result.status
    return summary


def poll_all(read: Session, write: Session, *, policy: FetchPolicy,
             now: datetime) -> PollSummary:
    """Poll every active source: read them with ``read`` (then close it), download without
    holding a transaction, write with ``write``."""
    try:
        targets = active_sources(read)
    finally:
        read.close()
    results = fetch_all(targets, policy=policy, now=now)
    summary = apply_all(write, results, now)
    summary.errors = dict(list(summary.errors.items())[:20])  # the run's summary stays small
    return summary


# --- the inbox ---------------------------------------------------------------------------


def inbox_statement(source_id: int | None = None) -> Select:
    """New entries, newest first (by the feed's date, else when they were fetched)."""
    stmt = (select(InboxEntry).options(joinedload(InboxEntry.source))
            .where(InboxEntry.status == InboxStatus.NEW)
            .order_by(func.coalesce(InboxEntry.entry_published_at,
                                    InboxEntry.fetched_at).desc(), InboxEntry.id.desc()))
    if source_id:
        stmt = stmt.where(InboxEntry.source_id == source_id)
    return stmt


def sources_overview(db: Session) -> list[tuple[Source, int]]:
    """Every source with its count of new inbox entries (two statements)."""
    counts = dict(db.execute(select(InboxEntry.source_id, func.count())
                             .where(InboxEntry.status == InboxStatus.NEW)
                             .group_by(InboxEntry.source_id)).all())
    sources = db.scalars(select(Source).order_by(Source.active.desc(),
                                                 func.lower(Source.name), Source.id))
    return [(s, counts.get(s.id, 0)) for s in sources]


def make_draft(db: Session, actor: Actor, entry: InboxEntry) -> ContentItem:
    """One click: the entry becomes a draft item (origin "feed") and is marked used."""
    if entry.status == InboxStatus.USED and entry.item_id is not None:
        item = db.get(ContentItem, entry.item_id)
        if item is not None:
            return item  # a double click: the draft already exists
    if entry.status != InboxStatus.NEW:
        raise ServiceError(_("This entry is no longer in the inbox."))
    language = entry.source.language if entry.source.language in LANGUAGES else "en"
    item = services.create_item(db, actor, services.ItemInput(
        url=entry.url, title=entry.title, summary=entry.summary,
        image_url=entry.image_url, language=language), origin=ContentOrigin.FEED)
    entry.status = InboxStatus.USED
    entry.item_id = item.id
    db.flush()
    return item


def dismiss_entry(db: Session, entry: InboxEntry) -> None:
    if entry.status == InboxStatus.NEW:
        entry.status = InboxStatus.DISMISSED
        db.flush()


def dismiss_all(db: Session, actor: Actor, source: Source) -> int:
    """Every new entry of ``source`` is dismissed; returns how many."""
    count = db.execute(update(InboxEntry)
                       .where(InboxEntry.source_id == source.id,
                              InboxEntry.status == InboxStatus.NEW)
                       .values(status=InboxStatus.DISMISSED)
                       .execution_options(synchronize_session=False)).rowcount
    db.expire_all()
    record(db, actor, "content.inbox_dismissed_all", target=source, count=count)
    return count

