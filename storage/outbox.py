"""Messages sent to a conversation outside a web request, with their delivery state.

Web rows are `stored` until the widget fetches them; Zalo and Telegram rows start `pending` and end `sent` or
`failed` (a failure is kept and counted, never dropped)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import OutboxMessage, utcnow

STORED, PENDING, SENT, FAILED = "stored", "pending", "sent", "failed"


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    body: dict[str, Any]


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, channel: str, sender_id: str, body: dict[str, Any], status: str) -> int:
        def add(session: Session) -> int:
            row = OutboxMessage(channel=channel, sender_id=sender_id, body=body, status=status, attempts=0,
                                created_at=utcnow())
            session.add(row)
            session.flush()
            return row.id
        return await self._db.run(add)

    async def settle(self, entry_id: int, status: str, attempts: int, error: str | None = None) -> None:
        await self._db.run(lambda s: s.execute(update(OutboxMessage).where(OutboxMessage.id == entry_id)
                                               .values(status=status, attempts=attempts, error=error)))

    async def stored_after(self, channel: str, sender_id: str, after: int, limit: int = 50) -> list[OutboxEntry]:
        def read(session: Session) -> list[OutboxEntry]:
            rows = session.scalars(select(OutboxMessage).where(
                OutboxMessage.channel == channel, OutboxMessage.sender_id == sender_id,
                OutboxMessage.status == STORED, OutboxMessage.id > after).order_by(OutboxMessage.id).limit(limit))
            return [OutboxEntry(r.id, r.body) for r in rows]
        return await self._db.run(read)

    async def last_stored(self, channel: str, sender_id: str) -> int:
        """The id of the newest message stored for the conversation (0 when none)."""
        def read(session: Session) -> int:
            return session.scalar(select(func.max(OutboxMessage.id)).where(
                OutboxMessage.channel == channel, OutboxMessage.sender_id == sender_id,
                OutboxMessage.status == STORED)) or 0
        return await self._db.run(read)

    async def count(self, status: str) -> dict[str, int]:
        """Messages in `status`, per channel."""
        def read(session: Session) -> dict[str, int]:
            rows = session.execute(select(OutboxMessage.channel, func.count()).where(OutboxMessage.status == status)
                                   .group_by(OutboxMessage.channel))
            return {channel: n for channel, n in rows}
        return await self._db.run(read)
