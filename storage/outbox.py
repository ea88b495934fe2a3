"""Messages sent to a conversation outside a web request, with their delivery state.

Web rows are `stored` until the widget fetches them. Zalo and Telegram rows are `pending` until sent: a relay
(`channels/relay.py`, one in every gateway) claims a due row with a lease, sends it, and settles it `sent`, or
`pending` again with a later due time, or `failed` after the last attempt (kept with its reason and counted, never
dropped; an officer may put it back in the queue). A relay that dies holding a row only delays it: its lease
expires and another relay claims the row."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import OutboxMessage, utcnow

STORED, PENDING, SENT, FAILED = "stored", "pending", "sent", "failed"


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    body: dict[str, Any]


@dataclass(frozen=True)
class ClaimedMessage:
    """A pending row this relay now holds; `attempts` counts this one."""
    id: int
    channel: str
    sender_id: str
    body: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class FailedMessage:
    id: int
    channel: str
    attempts: int
    error: str | None
    created_at: datetime


def _claimable(now: datetime):  # type: ignore[no-untyped-def]
    return (OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, channel: str, sender_id: str, body: dict[str, Any], status: str) -> int:
        def add(session: Session) -> int:
            now = utcnow()
            row = OutboxMessage(channel=channel, sender_id=sender_id, body=body, status=status, attempts=0,
                                created_at=now, next_attempt_at=now if status == PENDING else None)
            session.add(row)
            session.flush()
            return row.id
        return await self._db.run(add)

    async def add_claimed(self, channel: str, sender_id: str, body: dict[str, Any], owner: str,
                          lease: timedelta) -> ClaimedMessage:
        """A new pending row, held by `owner` for its first attempt (sent at once by the caller)."""
        def add(session: Session) -> ClaimedMessage:
            now = utcnow()
            row = OutboxMessage(channel=channel, sender_id=sender_id, body=body, status=PENDING, attempts=1,
                                created_at=now, next_attempt_at=now, lease_until=now + lease, lease_owner=owner)
            session.add(row)
            session.flush()
            return ClaimedMessage(row.id, channel, sender_id, body, 1)
        return await self._db.run(add)

    async def claim(self, channels: list[str], owner: str, lease: timedelta, limit: int = 20,
                    entry_id: int | None = None) -> list[ClaimedMessage]:
        """Due rows of `channels` whose lease is free, now held by `owner` until the lease ends. Each row goes to
        one relay: the conditional UPDATE re-checks the lease (PostgreSQL also skips rows another relay is
        claiming). `entry_id`: that row only, to attempt it again at once."""
        def claim(session: Session) -> list[ClaimedMessage]:
            now = utcnow()
            query = select(OutboxMessage.id).where(OutboxMessage.channel.in_(channels), *_claimable(now))
            if entry_id is not None:
                query = query.where(OutboxMessage.id == entry_id)
            ids = session.scalars(query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
                                  .with_for_update(skip_locked=True)).all()
            claimed = []
            for id_ in ids:
                won = session.execute(update(OutboxMessage).where(OutboxMessage.id == id_, *_claimable(now))
                                      .values(lease_until=now + lease, lease_owner=owner,
                                              attempts=OutboxMessage.attempts + 1)).rowcount == 1
                if won:
                    row = session.get(OutboxMessage, id_)
                    session.refresh(row)
                    claimed.append(ClaimedMessage(row.id, row.channel, row.sender_id, row.body, row.attempts))
            return claimed
        return await self._db.run(claim)

    async def _settle_held(self, entry_id: int, owner: str, **values: Any) -> bool:
        """Only the relay still holding the row settles it (one whose lease ran out and was taken cannot)."""
        return await self._db.run(lambda s: s.execute(
            update(OutboxMessage).where(OutboxMessage.id == entry_id, OutboxMessage.status == PENDING,
                                        OutboxMessage.lease_owner == owner)
            .values(lease_until=None, lease_owner=None, **values)).rowcount == 1)

    async def sent(self, entry_id: int, owner: str, attempts: int) -> bool:
        return await self._settle_held(entry_id, owner, status=SENT, attempts=attempts, error=None)

    async def later(self, entry_id: int, owner: str, attempts: int, due: datetime, error: str) -> bool:
        """Not delivered this time: due again at `due`."""
        return await self._settle_held(entry_id, owner, attempts=attempts, next_attempt_at=due, error=error[:500])

    async def failed(self, entry_id: int, owner: str, attempts: int, error: str) -> bool:
        """Given up: kept as `failed` with the reason."""
        return await self._settle_held(entry_id, owner, status=FAILED, attempts=attempts, error=error[:500])

    async def retry(self, entry_id: int) -> bool:
        """A failed row back in the queue, due now, with a fresh count of attempts; False if it is not failed."""
        return await self._db.run(lambda s: s.execute(
            update(OutboxMessage).where(OutboxMessage.id == entry_id, OutboxMessage.status == FAILED)
            .values(status=PENDING, attempts=0, next_attempt_at=utcnow(), lease_until=None, lease_owner=None))
            .rowcount == 1)

    async def failures(self, limit: int = 200) -> list[FailedMessage]:
        """Messages given up, newest first."""
        def read(session: Session) -> list[FailedMessage]:
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.status == FAILED)
                                   .order_by(OutboxMessage.id.desc()).limit(limit))
            return [FailedMessage(r.id, r.channel, r.attempts, r.error, r.created_at) for r in rows]
        return await self._db.run(read)

    async def status(self, entry_id: int) -> tuple[str, int] | None:
        """(status, attempts) of a row."""
        def read(session: Session) -> tuple[str, int] | None:
            row = session.get(OutboxMessage, entry_id)
            return (row.status, row.attempts) if row else None
        return await self._db.run(read)

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
