"""A small read-through cache with generation-based invalidation.

Values are cached under ``<namespace>:<generation>:<key>``. Invalidating a namespace is
one increment of its generation: every key written before is never read again and ages
out (TTL, size bound). That makes invalidation O(1) and race-free: a reader takes the
generation *before* it queries the database, so a value computed from data older than an
invalidation is stored under the old generation and never served afterwards.

Two backends:

* ``MemoryCache`` (default): per process, a bounded LRU with TTLs. With several worker
  processes (and the scheduler in its own process) an invalidation reaches only the
  process that made it; the others serve their copy until its TTL ends.
* ``RedisCache`` when ``REDIS_URL`` is set: shared by every process, so an invalidation
  made by the scheduler's award job is seen by every web worker at once. Values are
  JSON (never pickle: nothing read back from the network is executed). Redis errors are
  logged and treated as misses, so a Redis outage slows pages down but never breaks them.

``get_cache(app)`` gives the app's cache (made on first use from its config);
``bump_everywhere(namespace)`` invalidates a namespace in every cache of this process,
which is what after-commit callbacks use (they may run outside an app context).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

#: returned by ``get`` when nothing (or nothing fresh) is stored
MISS = object()


class MemoryCache:
    """Per-process LRU with a TTL per entry and a generation counter per namespace."""

    def __init__(self, max_entries: int = 2048):
        self.max_entries = max_entries
        self._data: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return MISS
            expires, value = entry
            if expires < time.monotonic():
                del self._data[key]
                return MISS
            self._data.move_to_end(key)
            return value

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + ttl, value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def generation(self, namespace: str) -> int:
        with self._lock:
            return self._generations.get(namespace, 0)

    def bump(self, namespace: str) -> None:
        with self._lock:
            self._generations[namespace] = self._generations.get(namespace, 0) + 1
            # the old generation's entries can never be read again: free them now
            prefix = f"{namespace}:"
            for key in [k for k in self._data if k.startswith(prefix)]:
                del self._data[key]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class RedisCache:
    """The same interface on Redis (``REDIS_URL``): shared by every process."""

    def __init__(self, url: str, *, prefix: str = "relais:cache:", timeout: float = 0.5):
        import redis

        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=timeout,
                                           socket_connect_timeout=timeout)
        self._errors = (redis.RedisError, OSError)

    def get(self, key: str) -> Any:
        try:
            raw = self._redis.get(self.prefix + key)
        except self._errors as exc:
            log.warning("cache read failed (%s): computing without the cache", exc)
            return MISS
        return MISS if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: float) -> None:
        try:
            self._redis.set(self.prefix + key, json.dumps(value, separators=(",", ":")),
                            px=max(1, int(ttl * 1000)))
        except self._errors as exc:
            log.warning("cache write failed (%s)", exc)

    def generation(self, namespace: str) -> int:
        try:
            raw = self._redis.get(f"{self.prefix}gen:{namespace}")
        except self._errors as exc:
            log.warning("cache read failed (%s): computing without the cache", exc)
            return -1  # callers treat a negative generation as "do not cache"
        return int(raw) if raw is not None else 0

    def bump(self, namespace: str) -> None:
        try:
            self._redis.incr(f"{self.prefix}gen:{namespace}")
        except self._errors as exc:  # the TTL still bounds how stale values can get
            log.error("cache invalidation of %r failed (%s)", namespace, exc)

    def clear(self) -> None:
        try:
            for key in self._redis.scan_iter(match=self.prefix + "*", count=500):
                self._redis.delete(key)
        except self._errors as exc:
            log.warning("cache clear failed (%s)", exc)


Cache = MemoryCache | RedisCache

#: every cache made in this process (after-commit callbacks may run without an app context)
_CACHES: weakref.WeakSet = weakref.WeakSet()
_EXTENSION = "relais_cache"


def make_cache(config) -> Cache:
    url = config.get("REDIS_URL") or ""
    cache: Cache = RedisCache(url) if url else MemoryCache()
    _CACHES.add(cache)
    return cache


def get_cache(app=None) -> Cache:
    """The cache of ``app`` (default: the current app), made on first use."""
    if app is None:
        from flask import current_app

        app = current_app._get_current_object()
    cache = app.extensions.get(_EXTENSION)
    if cache is None:
        cache = app.extensions.setdefault(_EXTENSION, make_cache(app.config))
    return cache


def bump_everywhere(namespace: str) -> None:
    """Invalidate ``namespace`` in every cache of this process (and, through Redis, in
    every process sharing it)."""
    for cache in list(_CACHES):
        cache.bump(namespace)


def cached(cache: Cache | None, namespace: str, key: str, ttl: float,
           compute: Callable[[], Any]) -> Any:
    """``compute()``, served from ``cache`` while fresh. ``ttl <= 0`` or no cache: always
    compute. The value must be JSON-serialisable (lists, dicts, numbers, strings)."""
    if cache is None or ttl <= 0:
        return compute()
    generation = cache.generation(namespace)  # before the database is read (see above)
    if generation < 0:
        return compute()
    full_key = f"{namespace}:{generation}:{key}"
    value = cache.get(full_key)
    if value is MISS:
        value = compute()
        cache.set(full_key, value, ttl)
    return value
