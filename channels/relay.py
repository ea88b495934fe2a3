"""The outbox relay: every Zalo/Telegram message goes out through it, and it keeps trying what did not.

A new message is sent at once, with a few quick retries (`TTHC_SEND_RETRIES`, waits from
`TTHC_SEND_BACKOFF_SECONDS`, doubling); what is still not delivered stays `pending` in the outbox with a later due
time. Every gateway runs the relay's loop: it claims due rows under a lease (so several gateways never send the same
row, and a gateway that dies holding one only delays it until the lease ends), sends each once, and settles it:
`sent`, due again later (waits doubling from `TTHC_OUTBOX_RETRY_SECONDS`, at most an hour), or `failed` with the
reason after `TTHC_OUTBOX_MAX_ATTEMPTS` attempts or a refusal that retrying cannot fix."""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from cluster.rounds import every
from storage.outbox import ClaimedMessage, Outbox
from storage.tables import utcnow

log = logging.getLogger(__name__)
LONGEST_WAIT = timedelta(hours=1)


class DeliveryError(Exception):
    """A channel refused or failed to take a message; `transient` failures are worth retrying."""

    def __init__(self, reason: str, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


class Sender(Protocol):
    name: str

    async def send(self, recipient: str, message: dict) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    quick_retries: int = 3              # at once, in the request that sent the message
    quick_backoff: float = 0.5          # seconds before the first quick retry (doubles)
    max_attempts: int = 10              # then `failed`
    retry_after: float = 30.0           # seconds before the relay's first retry (doubles)
    lease: timedelta = timedelta(seconds=60)
    interval: float = 2.0               # seconds between the relay's rounds

    def wait(self, attempts: int) -> timedelta:
        """Before the relay's next attempt: `retry_after` after the quick ones, then doubling."""
        later = max(0, attempts - 1 - self.quick_retries)
        return min(timedelta(seconds=self.retry_after * 2 ** min(later, 20)), LONGEST_WAIT)


class OutboxRelay:
    def __init__(self, outbox: Outbox, senders: dict[str, Sender], policy: RetryPolicy,
                 owner: str | None = None) -> None:
        self._outbox = outbox
        self._senders = senders
        self.policy = policy
        self.owner = owner or uuid.uuid4().hex

    async def _try(self, message: ClaimedMessage) -> DeliveryError | None:
        try:
            await self._senders[message.channel].send(message.sender_id, message.body)
        except DeliveryError as exc:
            return exc
        return None

    async def _settle(self, message: ClaimedMessage, attempts: int, error: DeliveryError | None) -> bool:
        """Record the outcome of the last attempt; True when delivered."""
        if error is None:
            await self._outbox.sent(message.id, self.owner, attempts)
            return True
        if error.transient and attempts < self.policy.max_attempts:
            await self._outbox.later(message.id, self.owner, attempts, utcnow() + self.policy.wait(attempts),
                                     str(error))
        else:
            await self._outbox.failed(message.id, self.owner, attempts, str(error))
            log.warning("%s: message %d not delivered after %d attempt(s): %s", message.channel, message.id,
                        attempts, error)
        return False

    async def send_new(self, channel: str, recipient: str, body: dict) -> bool:
        """Write the message to the outbox and send it now, with quick retries; True when delivered (otherwise the
        relay's rounds keep trying, or it is `failed`)."""
        message = await self._outbox.add_claimed(channel, recipient, body, self.owner, self.policy.lease)
        attempts = 1
        error = await self._try(message)
        while error is not None and error.transient and attempts <= self.policy.quick_retries \
                and attempts < self.policy.max_attempts:
            await asyncio.sleep(self.policy.quick_backoff * 2 ** (attempts - 1))
            attempts += 1
            error = await self._try(message)
        return await self._settle(message, attempts, error)

    async def send_due(self, entry_id: int | None = None) -> int:
        """One round: claim due messages of the channels this gateway serves, try each once; how many were
        delivered. `entry_id`: that message only."""
        delivered = 0
        for message in await self._outbox.claim(list(self._senders), self.owner, self.policy.lease,
                                                entry_id=entry_id):
            delivered += await self._settle(message, message.attempts, await self._try(message))
        return delivered

    async def run(self) -> None:
        await every(self.policy.interval, self.send_due, "outbox relay")
