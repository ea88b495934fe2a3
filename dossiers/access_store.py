"""Who may see a dossier: lookups and wrong answers counted in time windows, verifications bound to a
conversation and a code, subscriptions to a dossier's changes. Kept in the database so that a restart or a
second app instance neither forgets nor resets them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import DossierAccess, DossierSubscription, DossierVerification

LOOKUP, WRONG = "lookup", "wrong"


class DossierAccessStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, kind: str, conversation_id: str, code: str, at: datetime) -> None:
        row = DossierAccess(kind=kind, conversation_id=conversation_id, code=code, at=at)
        await self._db.run(lambda s: s.add(row))

    async def lookups_by(self, conversation_id: str, since: datetime) -> int:
        return await self._count(DossierAccess.conversation_id == conversation_id, LOOKUP, since)

    async def wrong_answers_for(self, code: str, since: datetime) -> int:
        """Wrong verification answers for `code` from every conversation (a guesser may open many)."""
        return await self._count(DossierAccess.code == code, WRONG, since)

    async def _count(self, where, kind: str, since: datetime) -> int:  # type: ignore[no-untyped-def]
        return await self._db.run(lambda s: s.scalar(select(func.count()).select_from(DossierAccess).where(
            where, DossierAccess.kind == kind, DossierAccess.at >= since)))

    async def verify(self, conversation_id: str, code: str, at: datetime) -> None:
        def verify(session: Session) -> None:
            row = session.get(DossierVerification, (conversation_id, code))
            if row is None:
                session.add(DossierVerification(conversation_id=conversation_id, code=code, verified_at=at))
            else:
                row.verified_at = at
        await self._db.run(verify)

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
