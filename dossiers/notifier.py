"""Tells subscribers when their dossier's status or stage changes. Changes queue notifications in the database
(admin API, imports, any process); this loop in the gateway claims them (under a lease: one left `sending` by a
notifier that died is claimed again) and hands them to the outbound path, whose outbox relay delivers them."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from cluster.rounds import every
from dossiers.assistant import DossierAssistant
from dossiers.codes import mask_dossier_code
from dossiers.store import FAILED, SENT, DossierStore
from replies.model import Reply

log = logging.getLogger(__name__)
Push = Callable[[str, str, list[Reply]], Awaitable[int]]      # (channel, sender_id, replies) -> undelivered


class DossierNotifier:
    def __init__(self, store: DossierStore, assistant: DossierAssistant, push: Push,
                 can_reach: Callable[[str], bool], interval: float = 2.0) -> None:
        self._store = store
        self._assistant = assistant
        self._push = push
        self._can_reach = can_reach
        self._interval = interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something changed in this process: do not wait for the next round."""
        self._wake.set()

    async def send_pending(self) -> int:
        """Hand what is queued to the outbound path; returns how many were."""
        delivered = 0
        for note in await self._store.claim_notifications():
            dossier = await self._store.get(note.code)
            reason = ("no such dossier" if dossier is None else
                      None if self._can_reach(note.channel) else f"channel {note.channel} is off")
            if reason is None:
                # Handed to the outbox: what the channel does not take now, the outbox relay keeps trying.
                await self._push(note.channel, note.sender_id, [self._assistant.describe(dossier, update=True)])
                await self._store.settle_notification(note.id, SENT)
                delivered += 1
            else:
                await self._store.settle_notification(note.id, FAILED, reason)
                log.warning("dossier notification for %s not delivered: %s", mask_dossier_code(note.code), reason)
        return delivered

    async def run(self) -> None:
        await every(self._interval, self.send_pending, "dossier notifier", self._wake)
