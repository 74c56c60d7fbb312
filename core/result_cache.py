"""Cached answers: bytes by key, in Redis when configured (shared by every worker), else
in each process's memory (bounded, least recently used dropped first).

Entries are never invalidated by hand: a key names everything the answer depends on (see
``core.api.answer_cache``), including an ingest watermark, so a change of data makes a new
key and the old entry simply stops being asked for; the TTL and the memory bound clear
them away. If Redis stops answering, each process caches in its own memory and tries Redis
again after a back-off (1, 2, 4 ... 60 s); a cache failure never fails a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 0.5
MAX_BACKOFF_S = 60.0


class MemoryCache:
    """A thread-safe LRU of byte strings, at most ``max_bytes`` in all, each kept ``ttl`` s."""

    def __init__(self, max_bytes: int, ttl: int):
        self.max_bytes, self.ttl = max_bytes, ttl
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return found[1]

    def set(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic() + self.ttl, value)
            self._bytes += len(value)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        _expiry, value = self._entries.pop(key)
        self._bytes -= len(value)

    def __len__(self) -> int:
        return len(self._entries)


class RedisCache:
    """Entries in Redis (``SET key value EX ttl``), a ``MemoryCache`` while Redis is down."""

    def __init__(self, url: str, ttl: int, fallback: MemoryCache):
        import redis

        self.ttl = ttl
        self.fallback = fallback
        self._client = redis.Redis.from_url(
            url.replace("redis+unix://", "unix://", 1), socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
        self._down_until = 0.0
        self._backoff = 1.0

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        if self._backoff == 1.0:
            log.warning("Answer cache: Redis unreachable (%s); caching in process memory until it answers", exc.__class__.__name__)
        self._down_until = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)

    def _ok(self) -> None:
        self._backoff = 1.0

    def get(self, key: str) -> bytes | None:
        if self._available():
            try:
                value = self._client.get(key)
                self._ok()
                return value
            except Exception as exc:  # noqa: BLE001 - any Redis failure: degrade, never fail
                self._failed(exc)
        return self.fallback.get(key)

    def set(self, key: str, value: bytes) -> None:
        if self._available():
            try:
                self._client.set(key, value, ex=self.ttl)
                self._ok()
                return
            except Exception as exc:  # noqa: BLE001
                self._failed(exc)
        self.fallback.set(key, value)


def make_cache(settings) -> MemoryCache | RedisCache | None:
    """The cache the settings ask for: None when CACHE_ENABLED is off; Redis (REDIS_URL)
    for ``redis://``, ``rediss://`` and ``redis+unix://`` URLs; else process memory."""
    if not settings["CACHE_ENABLED"]:
        return None
    memory = MemoryCache(settings["CACHE_MAX_MB"] * 1024 * 1024, settings["CACHE_TTL_SECONDS"])
    url = settings.get("REDIS_URL")
    if url and url.split("://", 1)[0] in ("redis", "rediss", "redis+unix"):
        return RedisCache(url, settings["CACHE_TTL_SECONDS"], memory)
    if url:
        log.warning("Answer cache: %s URLs are not supported for the cache; caching in process memory", url.split("://", 1)[0])
    return memory
