"""How often one sender may write: a sliding window per key. `SlidingWindowLimiter` counts inside this process;
`SharedWindowLimiter` counts in Redis, so every gateway instance sees the same window, and falls back to its own
process's count while Redis is unreachable (limits then hold per instance: documented in the README)."""
from __future__ import annotations

import hashlib
import secrets
import time
from collections import defaultdict, deque
from typing import Protocol

from cluster.redis_client import RedisUnavailable, SharedRedis


class Limiter(Protocol):
    async def allow(self, key: str) -> bool: ...


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float = 60.0, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow_now(self, key: str) -> bool:
        """Count a hit for `key`; False (and not counted) when the window is already full."""
        now = self._clock()
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        if len(self._hits) > 100_000:                     # forget idle senders
            for stale in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                del self._hits[stale]
        return True

    async def allow(self, key: str) -> bool:
        return self.allow_now(key)


# Atomic in Redis: drop hits older than the window, refuse when full, else record this hit. Redis's clock is the
# one clock every instance shares.
_WINDOW_SCRIPT = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window_ms)
return 1
"""


class SharedWindowLimiter:
    def __init__(self, redis: SharedRedis, name: str, limit: int, window_seconds: float = 60.0) -> None:
        self._redis = redis
        self._prefix = f"tthc:rate:{name}:"
        self.limit = limit
        self._window_ms = int(window_seconds * 1000)
        self._fallback = SlidingWindowLimiter(limit, window_seconds)
        self._script = redis.client.register_script(_WINDOW_SCRIPT)

    async def allow(self, key: str) -> bool:
        # Keys are hashed: addresses and session ids are not stored in Redis as they are.
        redis_key = self._prefix + hashlib.sha256(key.encode()).hexdigest()[:32]
        try:
            return bool(await self._redis.call(
                lambda _: self._script(keys=[redis_key], args=[self._window_ms, self.limit, secrets.token_hex(8)])))
        except RedisUnavailable:
            return self._fallback.allow_now(key)
