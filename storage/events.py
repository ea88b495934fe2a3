"""Webhook de-duplication: the first delivery of an event id claims it; retries find it taken."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.tables import ProcessedEvent, utcnow


class ProcessedEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(self, channel: str, event_id: str) -> bool:
        row = ProcessedEvent(channel=channel, event_id=event_id[:128], created_at=utcnow())
        try:
            await self._db.run(lambda s: s.add(row))
        except IntegrityError:
            return False
        return True
