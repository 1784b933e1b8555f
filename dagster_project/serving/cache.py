"""A TTL cache of read answers: in the process by default, in Redis when ``REDIS_URL`` is set.

An entry holds the answer (JSON) and the generations of the relations it was computed from
(``raw.asset_generations``, migration 0008). A lookup names the generations current now; an
entry computed under other generations is stale: it counts as a miss and is replaced. So an
answer is served for at most ``CACHE_TTL_SECONDS``, and never after an asset it read was
re-materialised. Keys are built by the caller and include its workspace.

Counts are real: every lookup is a hit or a miss (``stale`` counts the misses that found an
outdated entry). The Redis backend keeps them in Redis, shared by every API process; an
unreachable Redis is a miss (counted in ``errors``), never a failed request.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

from dagster_project.config import AnalyticsSettings
from dagster_project.warehouse.generations import Generations

log = logging.getLogger(__name__)

Clock = Callable[[], float]

DEFAULT_MAX_ENTRIES = 10_000
REDIS_PREFIX = "perf-analytics"


@dataclass(frozen=True)
class CacheStats:
    backend: str
    ttl_seconds: int
    size: int
    hits: int
    misses: int
    stale: int
    errors: int

    @property
    def hit_ratio(self) -> float | None:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else None

    def as_dict(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "ttl_seconds": self.ttl_seconds,
            "size": self.size,
            "hits": self.hits,
            "misses": self.misses,
            "stale": self.stale,
            "errors": self.errors,
            "hit_ratio": self.hit_ratio,
        }


class ReadCache(Protocol):
    def lookup(self, key: str, generations: Generations) -> str | None:
        """The payload stored under ``key`` if it is fresh and was computed under ``generations``."""

    def store(self, key: str, generations: Generations, payload: str) -> None: ...

    def stats(self) -> CacheStats: ...

    def clear(self) -> None:
        """Drop every entry and reset the counts."""


@dataclass
class _Counts:
    hits: int = 0
    misses: int = 0
    stale: int = 0
    errors: int = 0


class MemoryCache:
    """In-process LRU cache with a TTL; thread-safe (FastAPI runs sync endpoints in threads)."""

    def __init__(
        self, ttl_seconds: int, max_entries: int = DEFAULT_MAX_ENTRIES, clock: Clock = time.monotonic
    ):
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, dict[str, int], str]] = OrderedDict()
        self._counts = _Counts()
        self._lock = threading.Lock()

    def lookup(self, key: str, generations: Generations) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] <= self._clock():
                del self._entries[key]
                entry = None
            if entry is None:
                self._counts.misses += 1
                return None
            if entry[1] != dict(generations):
                self._counts.misses += 1
                self._counts.stale += 1
                return None
            self._entries.move_to_end(key)
            self._counts.hits += 1
            return entry[2]

    def store(self, key: str, generations: Generations, payload: str) -> None:
        if self.ttl_seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl_seconds, dict(generations), payload)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def stats(self) -> CacheStats:
        with self._lock:
            now = self._clock()
            size = sum(1 for expires, _, _ in self._entries.values() if expires > now)
            counts = self._counts
            return CacheStats(
                "memory", self.ttl_seconds, size, counts.hits, counts.misses, counts.stale, counts.errors
            )

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counts = _Counts()


class RedisCache:
    """Entries as Redis strings with an expiry (``SET ... EX``), counts as Redis counters, all
    under ``prefix`` (so several warehouses or test runs can share one Redis)."""

    def __init__(self, client: redis.Redis, ttl_seconds: int, prefix: str = REDIS_PREFIX):
        self.client = client
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix
        self._errors = 0

    @classmethod
    def from_url(cls, url: str, ttl_seconds: int, prefix: str = REDIS_PREFIX) -> RedisCache:
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return cls(client, ttl_seconds, prefix)

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def _count(self, *names: str) -> None:
        pipe = self.client.pipeline(transaction=False)
        for name in names:
            pipe.incr(self._key("stats", name))
        pipe.execute()

    def _failed(self, action: str, error: redis.RedisError) -> None:
        self._errors += 1
        log.warning("redis cache %s failed (%s); answering without the cache", action, type(error).__name__)

    def lookup(self, key: str, generations: Generations) -> str | None:
        try:
            raw = self.client.get(self._key("entry", key))
            if raw is None:
                self._count("misses")
                return None
            entry = json.loads(raw)
            if entry["generations"] != dict(generations):
                self._count("misses", "stale")
                return None
            self._count("hits")
            return entry["payload"]
        except redis.RedisError as error:
            self._failed("lookup", error)
            return None

    def store(self, key: str, generations: Generations, payload: str) -> None:
        if self.ttl_seconds <= 0:
            return
        entry = json.dumps({"generations": dict(generations), "payload": payload})
        try:
            self.client.set(self._key("entry", key), entry, ex=self.ttl_seconds)
        except redis.RedisError as error:
            self._failed("store", error)

    def _entry_keys(self) -> list[bytes]:
        return list(self.client.scan_iter(match=self._key("entry", "*"), count=1000))

    def stats(self) -> CacheStats:
        try:
            names = ("hits", "misses", "stale")
            values = self.client.mget([self._key("stats", n) for n in names])
            hits, misses, stale = (int(v or 0) for v in values)
            size = len(self._entry_keys())
        except redis.RedisError as error:
            self._failed("stats", error)
            hits = misses = stale = size = 0
        return CacheStats("redis", self.ttl_seconds, size, hits, misses, stale, self._errors)

    def clear(self) -> None:
        keys = self._entry_keys() + [self._key("stats", n) for n in ("hits", "misses", "stale")]
        self.client.delete(*keys)
        self._errors = 0


def build_cache(settings: AnalyticsSettings, namespace: str) -> ReadCache:
    """Redis when ``REDIS_URL`` is set, else in process; ``namespace`` (the warehouse database's
    name) keeps the answers of different warehouses apart in a shared Redis."""
    ttl = settings.CACHE_TTL_SECONDS
    if settings.REDIS_URL is None:
        return MemoryCache(ttl)
    return RedisCache.from_url(
        settings.REDIS_URL.get_secret_value(), ttl, prefix=f"{REDIS_PREFIX}:{namespace}"
    )
