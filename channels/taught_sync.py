"""Keeps the examples officers taught the same on every gateway instance: a change made here is applied at once
and announced on the bus; an announcement from another instance (or a Redis reconnect, after which some may have
been missed) makes this instance re-read them from the database."""
from __future__ import annotations

import asyncio
from datetime import datetime

from channels.background import BackgroundTasks
from cluster.bus import LocalBus
from feedback.examples import Taught, TaughtExampleStore
from knowledge_base.service import KnowledgeBase

TOPIC = "taught"


class TaughtSync:
    def __init__(self, store: TaughtExampleStore, knowledge_base: KnowledgeBase, bus: LocalBus,
                 background: BackgroundTasks) -> None:
        self._store = store
        self._knowledge_base = knowledge_base
        self._bus = bus
        bus.subscribe(TOPIC, lambda _: background.spawn(self.reload(), name="taught-reload"))
        bus.on_reconnect(self.reload)

    async def reload(self) -> None:
        examples = await self._store.all()
        await asyncio.to_thread(self._knowledge_base.taught.replace_all,
                                [(t.id, t.question, t.codes) for t in examples])

    async def add(self, question: str, codes: list[str], username: str, at: datetime) -> Taught:
        taught = await self._store.add(question, codes, username, at)
        await asyncio.to_thread(self._knowledge_base.teach, taught.id, taught.question, taught.codes)
        await self._bus.publish(TOPIC, local=False)
        return taught

    async def remove(self, example_id: int, username: str, at: datetime) -> bool:
        if not await self._store.remove(example_id, username, at):
            return False
        self._knowledge_base.forget(example_id)
        await self._bus.publish(TOPIC, local=False)
        return True
