"""Conversation log: every inbound and outbound message, so nothing a citizen says is lost."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import Message


@dataclass(frozen=True)
class LoggedMessage:
    id: int
    channel: str
    sender_id: str
    direction: str          # "in" | "out"
    text: str
    payload: dict[str, Any]
    created_at: float


class ConversationLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, channel: str, sender_id: str, direction: str, text: str,
                     payload: dict[str, Any] | None = None) -> None:
        row = Message(channel=channel, sender_id=sender_id, direction=direction, text=text,
                      payload=json.dumps(payload or {}, ensure_ascii=False), created_at=time.time())
        await self._db.run(lambda s: s.add(row))

    async def history(self, channel: str, sender_id: str, limit: int = 50, after: int = 0) -> list[LoggedMessage]:
        """The newest `limit` messages of a conversation (only those with id > `after`), oldest first."""
        def read(session: Session) -> list[LoggedMessage]:
            rows = session.scalars(select(Message).where(Message.channel == channel, Message.sender_id == sender_id,
                                                         Message.id > after)
                                   .order_by(Message.id.desc()).limit(limit)).all()
            return [LoggedMessage(r.id, r.channel, r.sender_id, r.direction, r.text, json.loads(r.payload),
                                  r.created_at) for r in reversed(rows)]
        return await self._db.run(read)
