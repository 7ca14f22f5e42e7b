"""The cache behind the leaderboards (app/common/cache.py): TTL, size bound, generation
invalidation, the Redis backend (a real redis-server on 127.0.0.1) and failing open."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from app.common import cache as cache_module
from app.common.cache import MISS, MemoryCache, RedisCache, bump_everywhere, cached, get_cache
from app.gamification import leaderboards
from app.gamification.leaderboards import BoardSpec, board
from tests.conftest import free_port
from tests.factories import UserFactory
from tests.factories_boards import total


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(cache_module.time, "monotonic", fake)
    return fake


def test_memory_entries_expire_after_their_ttl(clock):
    c = MemoryCache()
    c.set("k", [1, 2], ttl=10)
    clock.now += 9.9
    assert c.get("k") == [1, 2]
    clock.now += 0.2
    assert c.get("k") is MISS


def test_memory_cache_keeps_the_most_recently_used_entries(clock):
    c = MemoryCache(max_entries=2)
    c.set("a", 1, 60)
    c.set("b", 2, 60)
    assert c.get("a") == 1  # a is now the most recent
    c.set("c", 3, 60)
    assert (c.get("a"), c.get("b"), c.get("c")) == (1, MISS, 3)


def test_cached_computes_once_per_generation(clock):
    c, calls = MemoryCache(), []

    def compute():
        calls.append(1)
        return len(calls)

    assert cached(c, "ns", "key", 60, compute) == 1
    assert cached(c, "ns", "key", 60, compute) == 1
    c.bump("ns")
    assert cached(c, "ns", "key", 60, compute) == 2
    assert cached(c, "other", "key", 60, compute) == 3  # namespaces are independent
    c.bump("ns")
    assert cached(c, "other", "key", 60, compute) == 3
    assert cached(None, "ns", "key", 60, compute) == 4  # no cache, or no TTL: no caching
    assert cached(c, "ns", "key", 0, compute) == 5


def test_a_value_computed_across_an_invalidation_is_never_served(clock):
    """The generation is read before computing: data read before an invalidation is
    stored under the old generation."""
    c = MemoryCache()

    def compute_while_someone_invalidates():
        c.bump("ns")  # the award commits while we read the database
        return "stale"

    assert cached(c, "ns", "k", 60, compute_while_someone_invalidates) == "stale"
    assert cached(c, "ns", "k", 60, lambda: "fresh") == "fresh"


def test_invalidate_reaches_every_cache_of_the_process(app):
    a, b = get_cache(app), MemoryCache()
    cache_module._CACHES.add(b)
    before = (a.generation(leaderboards.NAMESPACE), b.generation(leaderboards.NAMESPACE))
    leaderboards.invalidate()
    assert (a.generation(leaderboards.NAMESPACE),
            b.generation(leaderboards.NAMESPACE)) == (before[0] + 1, before[1] + 1)


def test_each_app_has_its_own_cache(app):
    from app import create_app
    from tests.conftest import test_config

    other = create_app(test_config("sqlite://"))
    assert get_cache(app) is get_cache(app)
    assert get_cache(other) is not get_cache(app)
    assert isinstance(get_cache(app), MemoryCache)


# --- Redis ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_redis_cache_round_trip_ttl_and_generation(redis_url):
    c = RedisCache(redis_url, prefix="t1:")
    c.clear()
    assert c.get("k") is MISS
    c.set("k", [[1, "Ann", 3]], ttl=0.2)
    assert c.get("k") == [[1, "Ann", 3]]
    time.sleep(0.3)
    assert c.get("k") is MISS
    assert c.generation("ns") == 0
    c.bump("ns")
    c.bump("ns")
    assert c.generation("ns") == 2
    # another process (another client) sees the same generation: shared invalidation
    assert RedisCache(redis_url, prefix="t1:").generation("ns") == 2


def test_the_app_uses_redis_when_redis_url_is_set(redis_url, db, database, database_url,
                                                  mailer):
    from app import create_app
    from tests.conftest import test_config

    application = create_app(test_config(database_url, RELAIS_DATABASE=database,
                                         RELAIS_MAILER=mailer, REDIS_URL=redis_url,
                                         LEADERBOARD_CACHE_SECONDS=60))
    with application.app_context():
        shared = get_cache(application)
        assert isinstance(shared, RedisCache)
        shared.clear()
        ann = UserFactory(name="Ann")
        total(db, ann, 10)
        assert [r.name for r in board(db, BoardSpec()).rows] == ["Ann"]
        total(db, UserFactory(name="Bob"), 20)
        assert [r.name for r in board(db, BoardSpec()).rows] == ["Ann"]  # from Redis
        bump_everywhere(leaderboards.NAMESPACE)
        assert [r.name for r in board(db, BoardSpec()).rows] == ["Bob", "Ann"]
        shared.clear()


def test_a_redis_outage_computes_without_the_cache(caplog):
    c = RedisCache(f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    calls = []
    for _ in range(2):
        assert cached(c, "ns", "k", 60, lambda: calls.append(1) or len(calls)) == len(calls)
    assert len(calls) == 2
    c.bump("ns")  # logged, not raised
    assert "cache" in caplog.text
