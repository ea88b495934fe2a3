"""The handover queue in the database: requests, claims (atomic: one officer wins), releases, presence, claims
whose officer has gone, and an administrator's reassignment."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import HandoffRow, StaffPresence

WAITING, CLAIMED, RELEASED, CLOSED = "waiting", "claimed", "released", "closed"
OPEN = (WAITING, CLAIMED)


@dataclass(frozen=True)
class Handoff:
    id: int
    channel: str
    sender_id: str
    status: str
    reason: str
    requested_at: datetime
    claimed_by: str | None
    claimed_at: datetime | None
    ended_at: datetime | None
    contact_phone: str | None
    last_answer: str | None
    officer_active_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


def _handoff(row: HandoffRow) -> Handoff:
    return Handoff(row.id, row.channel, row.sender_id, row.status, row.reason, row.requested_at, row.claimed_by,
                   row.claimed_at, row.ended_at, row.contact_phone, row.last_answer, row.officer_active_at)


def _open(session: Session, channel: str, sender_id: str) -> HandoffRow | None:
    return session.scalar(select(HandoffRow).where(HandoffRow.channel == channel, HandoffRow.sender_id == sender_id,
                                                   HandoffRow.status.in_(OPEN)))


class HandoffStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def open_for(self, channel: str, sender_id: str) -> Handoff | None:
        def read(session: Session) -> Handoff | None:
            row = _open(session, channel, sender_id)
            return _handoff(row) if row else None
        return await self._db.run(read)

    async def request(self, channel: str, sender_id: str, reason: str, last_answer: str | None,
                      now: datetime) -> tuple[Handoff, bool]:
        """The conversation's open request, or a new one; True when new."""
        def request(session: Session) -> tuple[Handoff, bool]:
            existing = _open(session, channel, sender_id)
            if existing is not None:
                return _handoff(existing), False
            row = HandoffRow(channel=channel, sender_id=sender_id, status=WAITING, reason=reason, requested_at=now,
                             last_answer=(last_answer or "")[:4000] or None)
            session.add(row)
            session.flush()
            return _handoff(row), True
        try:
            return await self._db.run(request)
        except IntegrityError:                        # another request for this conversation won the race
            found = await self.open_for(channel, sender_id)
            assert found is not None
            return found, False

    async def position(self, handoff_id: int) -> int:
        """1 for the first waiting request, …; 0 when this one is not waiting."""
        def read(session: Session) -> int:
            row = session.get(HandoffRow, handoff_id)
            if row is None or row.status != WAITING:
                return 0
            ahead = session.scalar(select(func.count()).select_from(HandoffRow).where(
                HandoffRow.status == WAITING, HandoffRow.id < handoff_id))
            return ahead + 1
        return await self._db.run(read)

    async def get(self, handoff_id: int) -> Handoff | None:
        def read(session: Session) -> Handoff | None:
            row = session.get(HandoffRow, handoff_id)
            return _handoff(row) if row else None
        return await self._db.run(read)

    async def queue(self, limit: int = 200) -> list[Handoff]:
        """Open requests (waiting first, oldest first), then the most recently ended."""
        def read(session: Session) -> list[Handoff]:
            open_rows = session.scalars(select(HandoffRow).where(HandoffRow.status.in_(OPEN))
                                        .order_by(HandoffRow.status.desc(), HandoffRow.id)).all()
            ended = session.scalars(select(HandoffRow).where(HandoffRow.status.not_in(OPEN))
                                    .order_by(HandoffRow.id.desc()).limit(20)).all()
            return [_handoff(r) for r in [*open_rows, *ended][:limit]]
        return await self._db.run(read)

    async def claim(self, handoff_id: int, username: str, now: datetime) -> bool:
        """True when this officer now holds it (only a waiting request can be claimed: one officer wins)."""
        return await self._db.run(lambda s: s.execute(
            update(HandoffRow).where(HandoffRow.id == handoff_id, HandoffRow.status == WAITING)
            .values(status=CLAIMED, claimed_by=username, claimed_at=now, officer_active_at=now)).rowcount == 1)

    async def reassign(self, handoff_id: int, username: str, now: datetime) -> str | None:
        """An open request now held by `username` (an administrator taking over or handing it to an officer);
        the status it had ("waiting" or "claimed"), or None when it is no longer open."""
        def reassign(session: Session) -> str | None:
            row = session.get(HandoffRow, handoff_id, with_for_update=True)
            if row is None or row.status not in OPEN:
                return None
            before = row.status
            row.status, row.claimed_by, row.claimed_at, row.officer_active_at = CLAIMED, username, now, now
            return before
        return await self._db.run(reassign)

    async def active(self, handoff_id: int, username: str, now: datetime) -> None:
        """The holding officer did something with the conversation (replied)."""
        await self._db.run(lambda s: s.execute(
            update(HandoffRow).where(HandoffRow.id == handoff_id, HandoffRow.claimed_by == username)
            .values(officer_active_at=now)))

    async def gone(self, since: datetime) -> list[Handoff]:
        """Claimed requests whose officer has neither acted on them nor had the console open since `since`."""
        def read(session: Session) -> list[Handoff]:
            present = select(StaffPresence.username).where(StaffPresence.last_seen >= since)
            rows = session.scalars(select(HandoffRow).where(
                HandoffRow.status == CLAIMED, HandoffRow.claimed_by.not_in(present),
                or_(HandoffRow.officer_active_at.is_(None), HandoffRow.officer_active_at < since))
                .order_by(HandoffRow.id))
            return [_handoff(r) for r in rows]
        return await self._db.run(read)

    async def unclaim(self, handoff: Handoff, status: str, now: datetime) -> bool:
        """A claim whose officer has gone: back to the queue (`waiting`) or to the assistant (`released`); False
        when the officer came back, or another process did it first."""
        ended = {"ended_at": now} if status == RELEASED else {}
        return await self._db.run(lambda s: s.execute(
            update(HandoffRow).where(HandoffRow.id == handoff.id, HandoffRow.status == CLAIMED,
                                     HandoffRow.claimed_by == handoff.claimed_by,
                                     or_(HandoffRow.officer_active_at.is_(None),
                                         HandoffRow.officer_active_at == handoff.officer_active_at))
            .values(status=status, claimed_by=None, claimed_at=None, **ended)).rowcount == 1)

    async def end(self, handoff_id: int, username: str, status: str, now: datetime) -> bool:
        """Hand back (`released`) or close a request this officer holds."""
        return await self._db.run(lambda s: s.execute(
            update(HandoffRow).where(HandoffRow.id == handoff_id, HandoffRow.status == CLAIMED,
                                     HandoffRow.claimed_by == username)
            .values(status=status, ended_at=now)).rowcount == 1)

    async def set_contact(self, handoff_id: int, phone: str) -> None:
        await self._db.run(lambda s: s.execute(update(HandoffRow).where(HandoffRow.id == handoff_id)
                                               .values(contact_phone=phone)))

    async def seen(self, username: str, now: datetime) -> None:
        def seen(session: Session) -> None:
            row = session.get(StaffPresence, username)
            if row is None:
                session.add(StaffPresence(username=username, last_seen=now))
            else:
                row.last_seen = now
        await self._db.run(seen)

    async def officers_online(self, since: datetime) -> int:
        return await self._db.run(lambda s: s.scalar(select(func.count()).select_from(StaffPresence)
                                                     .where(StaffPresence.last_seen >= since)))
