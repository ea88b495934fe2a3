"""Staff sessions: a random token in an HttpOnly cookie (only its hash is stored) and a CSRF token that every
state-changing call must echo."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from staff.accounts import StaffMember
from storage.database import Database
from storage.tables import StaffSession, StaffUser

SESSION_HOURS = 12


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()




class StaffSessions:
    def __init__(self, db: Database, lifetime: timedelta = timedelta(hours=SESSION_HOURS)) -> None:
        self._db = db
        self._lifetime = lifetime

    async def open(self, member: StaffMember, now: datetime) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        row = StaffSession(token_hash=_digest(token), username=member.username, csrf_token=csrf, created_at=now,
                           expires_at=now + self._lifetime)
        await self._db.run(lambda s: s.add(row))
        return token, csrf

    async def resolve(self, token: str, now: datetime) -> tuple[StaffMember, str] | None:
        """The signed-in member and the session's CSRF token, while the session is valid."""
        def read(session: Session) -> tuple[StaffMember, str] | None:
            found = session.execute(select(StaffSession, StaffUser.role)
                                    .join(StaffUser, StaffUser.username == StaffSession.username)
                                    .where(StaffSession.token_hash == _digest(token))).first()
            if found is None:
                return None
            row, role = found
            if row.expires_at <= now:
                session.delete(row)
                return None
            return StaffMember(row.username, role), row.csrf_token
        return await self._db.run(read)

    async def close(self, token: str) -> None:
        await self._db.run(lambda s: s.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token))))
