"""Who may see a dossier: lookups and wrong answers counted in time windows, verifications bound to a
conversation and a code, subscriptions to a dossier's changes. Kept in the database so that a restart or a
second app instance neither forgets nor resets them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import DossierAccess, DossierGuard, DossierSubscription, DossierVerification

LOOKUP, WRONG, PAUSE = "lookup", "wrong", "pause"


@dataclass(frozen=True)
class AnswerLimits:
    """Wrong answers allowed: per code (any conversation) since `code_since`, per address since `address_since`,
    and across every code since `minute_since`; going over the last pauses every lookup (a PAUSE row)."""
    code_since: datetime
    per_code: int
    address_since: datetime
    per_address: int
    minute_since: datetime
    per_minute: int
    paused_since: datetime


class Verdict(str, Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    LOCKED = "locked"                # the code had its wrong answers: nothing is checked
    ADDRESS_LOCKED = "address_locked"
    PAUSED = "paused"                # every lookup paused: too many wrong answers across all codes


@dataclass(frozen=True)
class Answered:
    verdict: Verdict
    wrong_for_code: int              # wrong answers for this code in its window, this one included


class DossierAccessStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, kind: str, conversation_id: str, code: str, at: datetime,
                     address: str | None = None) -> None:
        row = DossierAccess(kind=kind, conversation_id=conversation_id, code=code, at=at, address=address)
        await self._db.run(lambda s: s.add(row))

    async def wrong_answers_from(self, address: str, since: datetime) -> int:
        return await self._count(DossierAccess.address == address, WRONG, since)

    async def paused_at(self, since: datetime) -> datetime | None:
        """When every lookup was last paused, if that was after `since`."""
        return await self._db.run(lambda s: s.scalar(select(func.max(DossierAccess.at)).where(
            DossierAccess.kind == PAUSE, DossierAccess.at >= since)))

    async def answer(self, conversation_id: str, code: str, address: str | None, correct: bool, at: datetime,
                     limits: AnswerLimits) -> Answered:
        """Check the limits and count this answer in one transaction, one answer for a code at a time: parallel
        wrong answers cannot all pass the check before any of them is counted."""
        def answer(session: Session) -> Answered:
            _hold(session, code)
            wrong = _count_in(session, DossierAccess.code == code, WRONG, limits.code_since)
            if _count_in(session, None, PAUSE, limits.paused_since):
                return Answered(Verdict.PAUSED, wrong)
            if wrong >= limits.per_code:
                return Answered(Verdict.LOCKED, wrong)
            if address is not None and \
                    _count_in(session, DossierAccess.address == address, WRONG, limits.address_since) >= limits.per_address:
                return Answered(Verdict.ADDRESS_LOCKED, wrong)
            if correct:
                _verify(session, conversation_id, code, at)
                return Answered(Verdict.VERIFIED, wrong)
            session.add(DossierAccess(kind=WRONG, conversation_id=conversation_id, code=code, at=at, address=address))
            session.flush()
            if _count_in(session, None, WRONG, limits.minute_since) >= limits.per_minute:
                session.add(DossierAccess(kind=PAUSE, conversation_id=conversation_id, code=code, at=at))
            return Answered(Verdict.WRONG, wrong + 1)
        return await self._db.run(answer)

    async def lookups_by(self, conversation_id: str, since: datetime) -> int:
        return await self._count(DossierAccess.conversation_id == conversation_id, LOOKUP, since)

    async def wrong_answers_for(self, code: str, since: datetime) -> int:
        """Wrong verification answers for `code` from every conversation (a guesser may open many)."""
        return await self._count(DossierAccess.code == code, WRONG, since)

    async def _count(self, where, kind: str, since: datetime) -> int:  # type: ignore[no-untyped-def]
        return await self._db.run(_count_in, where, kind, since)

    async def verify(self, conversation_id: str, code: str, at: datetime) -> None:
        await self._db.run(_verify, conversation_id, code, at)

    async def verified_at(self, conversation_id: str, code: str) -> datetime | None:
        def read(session: Session) -> datetime | None:
            row = session.get(DossierVerification, (conversation_id, code))
            return row.verified_at if row else None
        return await self._db.run(read)

    async def last_verified(self, conversation_id: str, since: datetime) -> str | None:
        return await self._db.run(lambda s: s.scalar(
            select(DossierVerification.code).where(DossierVerification.conversation_id == conversation_id,
                                                   DossierVerification.verified_at >= since)
            .order_by(DossierVerification.verified_at.desc()).limit(1)))

    async def subscribe(self, channel: str, sender_id: str, code: str, at: datetime) -> bool:
        """True when newly subscribed (False: already was)."""
        def subscribe(session: Session) -> bool:
            if session.get(DossierSubscription, (channel, sender_id, code)) is not None:
                return False
            session.add(DossierSubscription(channel=channel, sender_id=sender_id, code=code, created_at=at))
            return True
        return await self._db.run(subscribe)

    async def unsubscribe(self, channel: str, sender_id: str) -> int:
        """Stops every subscription of the conversation; how many there were."""
        return await self._db.run(lambda s: s.execute(delete(DossierSubscription).where(
            DossierSubscription.channel == channel, DossierSubscription.sender_id == sender_id)).rowcount)


def _count_in(session: Session, where, kind: str, since: datetime) -> int:  # type: ignore[no-untyped-def]
    conditions = [DossierAccess.kind == kind, DossierAccess.at >= since] + ([where] if where is not None else [])
    return session.scalar(select(func.count()).select_from(DossierAccess).where(*conditions)) or 0


def _verify(session: Session, conversation_id: str, code: str, at: datetime) -> None:
    row = session.get(DossierVerification, (conversation_id, code))
    if row is None:
        session.add(DossierVerification(conversation_id=conversation_id, code=code, verified_at=at))
    else:
        row.verified_at = at


def _hold(session: Session, code: str) -> None:
    """Write the code's guard row first thing in the transaction: PostgreSQL locks the row and SQLite takes its
    write lock, so a second answer for the code waits until this transaction ends."""
    touch = update(DossierGuard).where(DossierGuard.code == code).values(attempts=DossierGuard.attempts + 1)
    if session.execute(touch).rowcount:
        return
    try:
        with session.begin_nested():
            session.add(DossierGuard(code=code, attempts=1))
    except IntegrityError:                      # another answer created it first: wait for its lock
        session.execute(touch)
