"""The gateway's one way to say something to a conversation on its channel: replies to Zalo and Telegram
messages, and pushes outside any request (dossier news, an officer's words) on every channel.

Choices are issued as opaque tokens first, then the channel renders the reply. Web messages are stored for the
widget to fetch (poll or server-sent events); Zalo and Telegram messages are sent through the outbox relay, and every outcome
is written to the outbox, so a message that cannot be delivered is kept, retried by the relay (channels/relay.py)
and counted, never dropped silently."""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Protocol

from channels.schemas import conversation_id
from cluster.bus import LocalBus
from replies.model import Reply
from replies.text import reply_text
from storage.choices import ChoiceStore
from storage.conversations import ConversationLog
from channels.relay import DeliveryError, OutboxRelay
from storage.outbox import STORED, Outbox

log = logging.getLogger(__name__)
PUSH_TOPIC = "push"


class ChannelAdapter(Protocol):
    name: str
    stored: bool                      # True: messages wait in the outbox to be fetched (web chat)

    def render(self, reply: Reply, tokens: list[str]) -> list[dict]: ...

    async def send(self, recipient: str, message: dict) -> None: ...


class PushNotifier:
    """Wakes the web streams of a conversation when something is stored for it, on every gateway instance (through
    the bus; a stream also re-reads the outbox periodically, which covers a bus outage)."""

    def __init__(self, bus: LocalBus | None = None) -> None:
        self._events: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._bus = bus or LocalBus()
        self._bus.subscribe(PUSH_TOPIC, self._wake)

    async def notify(self, key: str) -> None:
        await self._bus.publish(PUSH_TOPIC, key)

    def _wake(self, key: str) -> None:
        for event in self._events.get(key, ()):
            event.set()

    async def wait(self, key: str, timeout: float) -> None:
        event = asyncio.Event()
        self._events[key].add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            self._events[key].discard(event)
            if not self._events[key]:
                del self._events[key]


class Outbound:
    def __init__(self, adapters: dict[str, ChannelAdapter], choices: ChoiceStore, outbox: Outbox,
                 log_store: ConversationLog, notifier: PushNotifier, relay: OutboxRelay) -> None:
        self._adapters = adapters
        self._choices = choices
        self._outbox = outbox
        self._log = log_store
        self.notifier = notifier
        self.relay = relay

    @property
    def channels(self) -> list[str]:
        return list(self._adapters)

    def serves(self, channel: str) -> bool:
        return channel in self._adapters

    async def render(self, channel: str, sender_id: str, reply: Reply) -> list[dict]:
        """The reply as `channel` shows it, its choices issued to the conversation."""
        tokens = await self._choices.issue(conversation_id(channel, sender_id), reply.choices)
        return self._adapters[channel].render(reply, tokens)

    async def deliver(self, channel: str, sender_id: str, replies: list[Reply]) -> int:
        """Send (or store, for web chat) each reply; returns how many messages could not be delivered."""
        adapter = self._adapters[channel]
        failed = 0
        for reply in replies:
            for message in await self.render(channel, sender_id, reply):
                if adapter.stored:
                    await self._outbox.add(channel, sender_id, message, STORED)
                    await self.notifier.notify(conversation_id(channel, sender_id))
                elif not await self._send(adapter, sender_id, message):
                    failed += 1
        return failed

    async def push(self, channel: str, sender_id: str, replies: list[Reply]) -> int:
        """A message outside any request: logged in the conversation, then delivered."""
        for reply in replies:
            await self._log.record(channel, sender_id, "out", reply_text(reply),
                                   {"push": True, **reply.model_dump(exclude_none=True)})
        return await self.deliver(channel, sender_id, replies)

    async def _send(self, adapter: ChannelAdapter, recipient: str, message: dict) -> bool:
        return await self.relay.send_new(adapter.name, recipient, message)
