"""One Redis client per process, from `TTHC_REDIS_URL`, with short timeouts and a breaker: while Redis is
unreachable, callers skip it for a few seconds instead of waiting on every request."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
T = TypeVar("T")
SOCKET_TIMEOUT_SECONDS = 0.5
BREAK_SECONDS = 5.0


class RedisUnavailable(RuntimeError):
    """Redis did not answer (or did recently): the caller falls back."""


class SharedRedis:
    def __init__(self, url: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = Redis.from_url(url, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
                                     socket_timeout=SOCKET_TIMEOUT_SECONDS, health_check_interval=30)
        self._clock = clock
        self._broken_until = 0.0
        self.failures = 0

    @property
    def available(self) -> bool:
        return self._clock() >= self._broken_until

    async def call(self, operation: Callable[[Redis], Awaitable[T]]) -> T:
        """Run one operation; RedisUnavailable when Redis fails now or failed less than BREAK_SECONDS ago."""
        if not self.available:
            raise RedisUnavailable("recently unreachable")
        try:
            return await operation(self.client)
        except (RedisError, OSError) as exc:
            self.failures += 1
            if self.available:                       # log once per break, not per request
                log.warning("Redis unreachable (%s); falling back for %.0f s", type(exc).__name__, BREAK_SECONDS)
            self._broken_until = self._clock() + BREAK_SECONDS
            raise RedisUnavailable(type(exc).__name__) from exc

    async def ping(self) -> bool:
        try:
            return bool(await self.call(lambda r: r.ping()))
        except RedisUnavailable:
            return False

    async def close(self) -> None:
        await self.client.aclose()
