"""The audit log: every view of personal data (a dossier, a conversation, a contact phone) and every slip scanned
to find a dossier, by whom and when."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import AuditEntry

VIEW_DOSSIER = "view_dossier"
SCAN_SLIP = "scan_slip"               # a slip photographed or scanned at the counter (its code is the subject)


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    username: str
    action: str
    subject: str


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, username: str, action: str, subject: str, at: datetime) -> None:
        row = AuditEntry(at=at, username=username, action=action, subject=subject)
        await self._db.run(lambda s: s.add(row))

    async def record_once(self, username: str, action: str, subject: str, at: datetime) -> bool:
        """Record unless this officer already has this entry (a read repeated by live updates); True if recorded."""
        def record(session: Session) -> bool:
            seen = session.scalar(select(AuditEntry.id).where(AuditEntry.username == username,
                                                              AuditEntry.action == action,
                                                              AuditEntry.subject == subject).limit(1))
            if seen is None:
                session.add(AuditEntry(at=at, username=username, action=action, subject=subject))
            return seen is None
        return await self._db.run(record)

    async def recent(self, limit: int = 200, subject: str | None = None) -> list[AuditRecord]:
        def read(session: Session) -> list[AuditRecord]:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if subject:
                query = query.where(AuditEntry.subject == subject)
            return [AuditRecord(r.at, r.username, r.action, r.subject) for r in session.scalars(query)]
        return await self._db.run(read)
