"""Staff sessions: a random token in an HttpOnly cookie (only its hash is stored) and a CSRF token that every
state-changing call must echo. A session ends at its expiry, after an idle time, when its account is disabled, or
when its officer signs out everywhere or changes their password."""
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
IDLE_MINUTES = 30
SEEN_EVERY = timedelta(seconds=30)           # last_seen_at is written at most this often (live pages poll)


def session_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffSessions:
    def __init__(self, db: Database, lifetime: timedelta = timedelta(hours=SESSION_HOURS),
                 idle: timedelta = timedelta(minutes=IDLE_MINUTES)) -> None:
        self._db = db
        self._lifetime = lifetime
        self.idle = idle

    async def open(self, member: StaffMember, now: datetime) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        row = StaffSession(token_hash=session_digest(token), username=member.username, csrf_token=csrf, created_at=now,
                           expires_at=now + self._lifetime, last_seen_at=now)
        await self._db.run(lambda s: s.add(row))
        return token, csrf

    async def resolve(self, token: str, now: datetime) -> tuple[StaffMember, str] | None:
        """The signed-in member and the session's CSRF token, while the session is valid; each use keeps it alive."""
        def read(session: Session) -> tuple[StaffMember, str] | None:
            found = session.execute(select(StaffSession, StaffUser.role, StaffUser.disabled_at)
                                    .join(StaffUser, StaffUser.username == StaffSession.username)
                                    .where(StaffSession.token_hash == session_digest(token))).first()
            if found is None:
                return None
            row, role, disabled_at = found
            last_seen = row.last_seen_at or row.created_at
            if row.expires_at <= now or last_seen + self.idle <= now or disabled_at is not None:
                session.delete(row)
                return None
            if now - last_seen >= SEEN_EVERY:
                row.last_seen_at = now
            return StaffMember(row.username, role), row.csrf_token
        return await self._db.run(read)

    async def close(self, token: str) -> None:
        await self._db.run(lambda s: s.execute(delete(StaffSession).where(StaffSession.token_hash == session_digest(token))))

    async def close_all(self, username: str, keep: str | None = None) -> int:
        """End every session of this officer (but the one whose token is `keep`); how many ended."""
        query = delete(StaffSession).where(StaffSession.username == username)
        if keep is not None:
            query = query.where(StaffSession.token_hash != session_digest(keep))
        return await self._db.run(lambda s: s.execute(query).rowcount)
