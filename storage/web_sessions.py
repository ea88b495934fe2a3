"""Web chat sessions issued by the server: only an id this store handed out continues a conversation."""
from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import WebSession, utcnow

SESSION_ID_BYTES = 24          # 192 bits, 32 url-safe characters


class WebSessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def start(self) -> str:
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        now = utcnow()
        await self._db.run(lambda s: s.add(WebSession(id=session_id, created_at=now, last_seen_at=now)))
        return session_id

    async def touch(self, session_id: str) -> bool:
        """True (and the session marked as seen) when the server issued this id."""
        def touch(session: Session) -> bool:
            row = session.get(WebSession, session_id)
            if row is None:
                return False
            row.last_seen_at = utcnow()
            return True
        return await self._db.run(touch)
