"""What gateway instances share through Redis (cluster/, channels/rate_limit.py), with a real redis-server of
the test's own that it stops and starts again: limits hold across instances, notifications reach the other
instance, and with Redis gone each instance falls back at once instead of failing or waiting."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Iterator

import pytest

from channels.rate_limit import SharedWindowLimiter
from cluster.bus import RedisBus
from cluster.redis_client import SharedRedis
from tests.fakes.redis_server import OwnRedis


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def clients(url: str, n: int) -> list[SharedRedis]:
    return [SharedRedis(url) for _ in range(n)]


def test_a_rate_limit_holds_across_instances_and_keys_are_not_stored_as_sent(own_redis: OwnRedis) -> None:
    async def scenario() -> None:
        one, two = await clients(own_redis.url, 2)
        first, second = SharedWindowLimiter(one, "conversation", 3), SharedWindowLimiter(two, "conversation", 3)
        allowed = [await first.allow("web:abc"), await second.allow("web:abc"), await first.allow("web:abc"),
                   await second.allow("web:abc")]
        assert allowed == [True, True, True, False]
        assert await first.allow("web:other")                      # per key
        keys = [k.decode() for k in await one.client.keys("*")]
        assert keys and all(k.startswith("tthc:rate:conversation:") and "abc" not in k for k in keys)
        assert 0 < await one.client.pttl(keys[0]) <= 60_000       # forgotten after the window
        for c in (one, two):
            await c.close()
    asyncio.run(scenario())


def test_without_redis_limits_fall_back_to_the_instance_at_once_and_come_back(own_redis: OwnRedis) -> None:
    async def scenario() -> None:
        shared = SharedRedis(own_redis.url)
        limiter = SharedWindowLimiter(shared, "address", 2)
        assert await limiter.allow("1.2.3.4")
        own_redis.stop()
        assert await limiter.allow("1.2.3.4") and await limiter.allow("1.2.3.4")   # local window: 2 hits
        started = time.perf_counter()
        assert not await limiter.allow("1.2.3.4")                  # still limited, without Redis
        assert time.perf_counter() - started < 0.05                # the breaker skips Redis: no wait per request
        assert not shared.available and shared.failures == 1
        own_redis.start()
        shared._broken_until = 0.0                                 # the break is over
        assert await limiter.allow("1.2.3.4")                      # counted in Redis again (1 of 2 there)
        assert shared.available
        await shared.close()
    asyncio.run(scenario())


def test_the_bus_reaches_other_instances_once_and_catches_up_after_redis_returns(own_redis: OwnRedis) -> None:
    async def scenario() -> None:
        a_redis, b_redis = await clients(own_redis.url, 2)
        a, b = RedisBus(a_redis, retry_seconds=0.1), RedisBus(b_redis, retry_seconds=0.1)
        seen: dict[str, list[str]] = {"a": [], "b": []}
        reconnected = asyncio.Event()
        a.subscribe("push", seen["a"].append)
        b.subscribe("push", seen["b"].append)

        async def caught_up() -> None:
            reconnected.set()
        b.on_reconnect(caught_up)
        listeners = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
        await asyncio.sleep(0.3)                                    # both subscribed
        await a.publish("push", "web:s1")
        await a.publish("taught", "", local=False)                  # nobody listens to it here: ignored
        await asyncio.sleep(0.3)
        assert seen == {"a": ["web:s1"], "b": ["web:s1"]}         # local at once, remote once, never twice

        own_redis.stop()
        await a.publish("push", "web:s2")                           # Redis gone: local delivery still works
        assert seen["a"][-1] == "web:s2"
        own_redis.start()
        await asyncio.wait_for(reconnected.wait(), timeout=10)      # b re-reads what it may have missed
        a_redis._broken_until = 0.0
        await asyncio.sleep(0.3)
        await a.publish("push", "web:s3")
        await asyncio.sleep(0.3)
        assert seen["b"][-1] == "web:s3"
        for task in listeners:
            task.cancel()
        for c in (a_redis, b_redis):
            await c.close()
    asyncio.run(scenario())
