"""The tracked-link lookup of the redirector, cached in the process.

``code → Link(share_id, user_id, target)``; the target (the item's URL with our UTM
parameters) is computed once, when the entry is loaded. A cache hit touches no database.

- LRU with a time to live: a deleted share (or an edited item URL) stops being served by a
  process after at most ``ttl`` seconds. There is no cross-process invalidation (each
  gunicorn worker has its own cache); ``invalidate()`` helps in the process that made the
  change.
- Unknown codes are cached too (negative entries, a short TTL, their own smaller bound) so
  that someone probing random codes neither hits the database on every request nor evicts
  the real links.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from typing import NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import select
from werkzeug.urls import iri_to_uri

from app.content.models import ContentItem
from app.db import Database
from app.sharing.models import Share
from app.sharing.services import redirect_target

#: what a share code can look like (secrets.token_urlsafe, column String(16)): anything
#: else is unknown without asking the database or filling the negative cache
CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,16}")


class Link(NamedTuple):
    share_id: int
    user_id: int
    #: absolute URL, ASCII (IRI → URI), ready for the Location header
    target: str


class LinkCache:
    def __init__(self, *, size: int = 10_000, ttl: float = 300.0, negative_size: int = 2_000,
                 negative_ttl: float = 30.0, clock=time.monotonic):
        self.size, self.ttl = size, ttl
        self.negative_size, self.negative_ttl = negative_size, negative_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._links: OrderedDict[str, tuple[float, Link]] = OrderedDict()
        self._unknown: OrderedDict[str, float] = OrderedDict()

    def get(self, database: Database, code: str) -> Link | None:
        """The link for ``code``, or None when no share has this code."""
        if not CODE_RE.fullmatch(code):
            return None
        now = self._clock()
        with self._lock:
            hit = self._links.get(code)
            if hit is not None:
                if hit[0] > now:
                    self._links.move_to_end(code)
                    return hit[1]
                del self._links[code]
            else:
                until = self._unknown.get(code)
                if until is not None:
                    if until > now:
                        return None
                    del self._unknown[code]
        link = load_link(database, code)  # outside the lock: a slow query blocks no one else
        with self._lock:
            if link is None:
                self._unknown[code] = now + self.negative_ttl
                self._unknown.move_to_end(code)
                while len(self._unknown) > self.negative_size:
                    self._unknown.popitem(last=False)
            else:
                self._links[code] = (now + self.ttl, link)
                self._links.move_to_end(code)
                while len(self._links) > self.size:
                    self._links.popitem(last=False)
        return link

    def invalidate(self, code: str | None = None) -> None:
        """Forget one code (after its share changed or was deleted), or everything."""
        with self._lock:
            if code is None:
                self._links.clear()
                self._unknown.clear()
            else:
                self._links.pop(code, None)
                self._unknown.pop(code, None)

    def __len__(self) -> int:
        return len(self._links)


def load_link(database: Database, code: str) -> Link | None:
    """One short read on its own session (not the request's unit of work)."""
    session = database.new_session()
    try:
        row = session.execute(
            select(Share.id, Share.user_id, Share.network, ContentItem.url, ContentItem.slug)
            .join(ContentItem, ContentItem.id == Share.item_id)
            .where(Share.code == code)).first()
    finally:
        session.close()
    if row is None:
        return None
    share_id, user_id, network, url, slug = row
    if urlsplit(url).scheme.lower() not in ("http", "https"):  # never javascript:, data:…
        return None
    target = redirect_target(url, network=network, campaign=slug, code=code)
    return Link(share_id, user_id, iri_to_uri(target))
