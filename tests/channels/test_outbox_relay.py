"""The outbox relay against SQLite and PostgreSQL and the fake Zalo server: a relay that dies holding a message
only delays it, two relays never send the same message, a channel down for a while gets its messages once it is
back, and a message given up is kept with its reason until it is put back in the queue."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import httpx

from channels.relay import OutboxRelay, RetryPolicy
from channels.zalo.channel import ZaloChannel
from channels.zalo.client import ZaloClient
from settings import SETTINGS
from storage.credentials import CredentialStore
from storage.database import Database
from storage.outbox import FAILED, PENDING, SENT, Outbox
from tests.channels.conftest import channel_settings
from tests.fakes.app import RunningApp
from tests.fakes.server import wait_for

T = TypeVar("T")
QUICK = RetryPolicy(quick_retries=1, quick_backoff=0.01, max_attempts=10, retry_after=0.02,
                    lease=timedelta(seconds=30))


def with_zalo(database: Database, zalo_servers, scenario: Callable[[ZaloChannel], Awaitable[T]]) -> T:  # type: ignore[no-untyped-def]
    settings = channel_settings(SETTINGS, *zalo_servers).zalo

    async def run() -> T:
        async with httpx.AsyncClient(timeout=10) as http:
            return await scenario(ZaloChannel(ZaloClient(settings, CredentialStore(database), http)))
    return asyncio.run(run())


def a_user() -> str:
    return uuid.uuid4().hex[:16]


async def rounds_until(relay: OutboxRelay, done: Callable[[], bool], seconds: float = 10) -> int:
    """The relay's rounds, as its loop runs them, until `done` (at most `seconds`); how many were delivered."""
    delivered = 0
    for _ in range(int(seconds / 0.02)):
        delivered += await relay.send_due()
        if done():
            break
        await asyncio.sleep(0.02)
    return delivered


def test_a_relay_that_dies_between_claim_and_send_only_delays_the_message(database: Database, fake_zalo,
                                                                          fake_telegram) -> None:
    zalo, user, outbox = fake_zalo[0], a_user(), Outbox(database)
    lease = timedelta(seconds=0.5)

    async def scenario(channel: ZaloChannel) -> int:
        alive = OutboxRelay(outbox, {"zalo": channel}, RetryPolicy(lease=lease), owner="gateway-2")
        entry = await outbox.add("zalo", user, {"text": "Hồ sơ đã có kết quả"}, PENDING)
        claimed = await outbox.claim(["zalo"], "gateway-1", lease)     # gateway-1 dies here: never sends
        assert [c.id for c in claimed] == [entry]
        assert await alive.send_due() == 0                             # held by gateway-1's lease
        await asyncio.sleep(lease.total_seconds() + 0.1)
        assert await alive.send_due() == 1
        assert await alive.send_due() == 0
        assert not await outbox.sent(entry, "gateway-1", 1)           # a late word from gateway-1 changes nothing
        return entry

    entry = with_zalo(database, (fake_zalo, fake_telegram), scenario)
    assert zalo.texts_to(user) == ["Hồ sơ đã có kết quả"]
    assert asyncio.run(outbox.status(entry)) == (SENT, 2)


def test_two_relays_never_send_the_same_message(database_url: str, fake_zalo, fake_telegram) -> None:
    zalo, user = fake_zalo[0], a_user()
    first, second = Database(database_url), Database(database_url)
    first.migrate()
    texts = [f"Tin số {i}" for i in range(40)]

    async def scenario(channel: ZaloChannel) -> tuple[int, int]:
        for text in texts:
            await Outbox(first).add("zalo", user, {"text": text}, PENDING)
        relays = [OutboxRelay(Outbox(db), {"zalo": channel}, QUICK) for db in (first, second)]
        counts = [0, 0]
        while sum(counts) < len(texts):
            a, b = await asyncio.gather(*(relay.send_due() for relay in relays))
            counts = [counts[0] + a, counts[1] + b]
            if a == b == 0:
                break
        return counts[0], counts[1]

    try:
        by_first, by_second = with_zalo(first, (fake_zalo, fake_telegram), scenario)
        assert sorted(zalo.texts_to(user)) == sorted(texts)                  # each exactly once
        assert by_first + by_second == len(texts)
        assert asyncio.run(Outbox(first).count(SENT)) == {"zalo": len(texts)}
    finally:
        first.close()
        second.close()


def test_a_channel_down_for_a_while_gets_the_message_when_it_is_back(database: Database, fake_zalo,
                                                                      fake_telegram) -> None:
    zalo, user, outbox = fake_zalo[0], a_user(), Outbox(database)

    async def scenario(channel: ZaloChannel) -> bool:
        relay = OutboxRelay(outbox, {"zalo": channel}, QUICK)
        zalo.failures = [503] * 6                            # two attempts at once, then four rounds of the relay
        assert not await relay.send_new("zalo", user, {"text": "Cán bộ đã trả lời"})
        assert await outbox.count(PENDING) == {"zalo": 1}
        return await rounds_until(relay, lambda: bool(zalo.texts_to(user))) == 1

    assert with_zalo(database, (fake_zalo, fake_telegram), scenario)
    assert zalo.texts_to(user) == ["Cán bộ đã trả lời"] and zalo.failures == []
    assert asyncio.run(outbox.count(SENT)) == {"zalo": 1}


def test_a_message_is_given_up_with_its_reason_then_sent_when_put_back(database: Database, fake_zalo,
                                                                        fake_telegram) -> None:
    zalo, user, outbox = fake_zalo[0], a_user(), Outbox(database)
    policy = RetryPolicy(quick_retries=0, max_attempts=3, retry_after=0.01)

    async def scenario(channel: ZaloChannel) -> int:
        relay = OutboxRelay(outbox, {"zalo": channel}, policy)
        zalo.failures = [500] * 3
        assert not await relay.send_new("zalo", user, {"text": "Lần cuối"})
        await rounds_until(relay, lambda: not zalo.failures)
        [failed] = await outbox.failures()
        assert (failed.channel, failed.attempts, failed.error) == ("zalo", 3, "Zalo send: HTTP 500")
        assert await relay.send_due() == 0 and zalo.texts_to(user) == []     # failed rows are not retried alone
        assert await outbox.retry(failed.id) and not await outbox.retry(failed.id)
        assert await relay.send_due() == 1
        return failed.id

    entry = with_zalo(database, (fake_zalo, fake_telegram), scenario)
    assert zalo.texts_to(user) == ["Lần cuối"]
    assert asyncio.run(outbox.status(entry)) == (SENT, 1)


def test_the_relay_waits_from_its_first_retry_then_doubles_to_an_hour() -> None:
    policy = RetryPolicy(quick_retries=3, retry_after=30)
    assert [policy.wait(n).total_seconds() for n in (4, 5, 6)] == [30, 60, 120]
    assert policy.wait(40) == timedelta(hours=1)


def test_the_running_gateway_relays_what_another_left_pending(gateway_app: RunningApp, fake_zalo) -> None:
    """A message another gateway wrote but never sent (it stopped) is sent by this gateway's own relay loop."""
    zalo, user = fake_zalo[0], a_user()
    outbox = gateway_app.services.outbox
    entry = gateway_app.call(lambda: outbox.add("zalo", user, {"text": "Tin còn lại"}, PENDING))
    wait_for(lambda: zalo.texts_to(user), timeout=10)
    assert zalo.texts_to(user) == ["Tin còn lại"]
    assert gateway_app.call(lambda: outbox.status(entry)) == (SENT, 1)
