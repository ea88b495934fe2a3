"""Work every gateway repeats on its own (the outbox relay, the dossier notifier, the handover sweep): one round
now, then one every `interval` seconds (or at once when `wake` is set), a failed round logged by its type and never
ending the loop. The rounds themselves are safe with several gateways (leases, conditional updates)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(interval: float, round_: Callable[[], Awaitable[object]], what: str,
                wake: asyncio.Event | None = None) -> None:
    while True:
        try:
            await round_()
        except Exception as exc:  # a database hiccup must not end the loop
            log.error("%s round failed: %s", what, type(exc).__name__, exc_info=exc)
        if wake is None:
            await asyncio.sleep(interval)
            continue
        try:
            await asyncio.wait_for(wake.wait(), interval)
        except asyncio.TimeoutError:
            pass
        wake.clear()
