"""Notifications between gateway instances: `publish(topic, key)` reaches the handlers of every instance.

`LocalBus` serves one process. `RedisBus` also publishes on a Redis channel and listens to the other instances;
while Redis is unreachable it delivers locally only, keeps reconnecting, and calls the `on_reconnect` handlers
when it is back (what was missed meanwhile is re-read from the database by those handlers)."""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable

from cluster.redis_client import RedisUnavailable, SharedRedis

log = logging.getLogger(__name__)
CHANNEL = "tthc:bus"
Handler = Callable[[str], None]


class LocalBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._reconnect: list[Callable[[], Awaitable[None]]] = []

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic].append(handler)

    def on_reconnect(self, handler: Callable[[], Awaitable[None]]) -> None:
        self._reconnect.append(handler)

    def deliver(self, topic: str, key: str) -> None:
        for handler in self._handlers.get(topic, ()):
            try:
                handler(key)
            except Exception:                       # one bad handler must not stop the others
                log.exception("bus handler for %s failed", topic)

    async def publish(self, topic: str, key: str = "", local: bool = True) -> None:
        """Deliver to this process's handlers (unless `local` is False: the caller already applied it)."""
        if local:
            self.deliver(topic, key)

    async def run(self) -> None:
        """Nothing to listen to in one process."""


class RedisBus(LocalBus):
    def __init__(self, redis: SharedRedis, retry_seconds: float = 1.0) -> None:
        super().__init__()
        self._redis = redis
        self._origin = secrets.token_hex(8)          # this instance; its own messages come back and are skipped
        self._retry = retry_seconds

    async def publish(self, topic: str, key: str = "", local: bool = True) -> None:
        await super().publish(topic, key, local)
        message = json.dumps({"topic": topic, "key": key, "origin": self._origin})
        try:
            await self._redis.call(lambda r: r.publish(CHANNEL, message))
        except RedisUnavailable:
            pass                                      # other instances catch up by re-reading the database

    async def run(self) -> None:
        """Listen until cancelled, reconnecting after failures."""
        first = True
        while True:
            try:
                async with self._redis.client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    if not first:
                        log.info("bus reconnected to Redis")
                        for handler in self._reconnect:
                            await handler()
                    first = False
                    while True:
                        message = await pubsub.get_message(timeout=30.0)
                        if message is not None:
                            self._receive(message.get("data"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:                 # Redis down or the connection dropped
                if not first:
                    log.warning("bus lost Redis (%s); retrying", type(exc).__name__)
                first = False
                await asyncio.sleep(self._retry)

    def _receive(self, data: object) -> None:
        try:
            message = json.loads(data)  # type: ignore[arg-type]
            topic, key, origin = str(message["topic"]), str(message.get("key", "")), message.get("origin")
        except (TypeError, ValueError, KeyError):
            return
        if origin != self._origin:
            self.deliver(topic, key)
