"""Answer outcomes and ratings in the database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import AnswerEvent, Rating

UP, DOWN = "up", "down"
REASONS = {"wrong_procedure": "Sai thủ tục", "missing_info": "Thiếu thông tin", "unclear": "Khó hiểu"}
MAX_QUESTION = 1000


def _split(conversation_id: str) -> tuple[str, str]:
    channel, _, sender_id = conversation_id.partition(":")
    return channel, sender_id


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def answered(self, conversation_id: str, question: str, kind: str, procedure_code: str | None,
                       at: datetime) -> None:
        channel, sender_id = _split(conversation_id)
        row = AnswerEvent(at=at, channel=channel, sender_id=sender_id, question=question[:MAX_QUESTION], kind=kind,
                          procedure_code=procedure_code)
        await self._db.run(lambda s: s.add(row))

    async def rate(self, conversation_id: str, question: str, procedure_code: str | None, rating: str,
                   at: datetime) -> None:
        channel, sender_id = _split(conversation_id)
        row = Rating(at=at, channel=channel, sender_id=sender_id, question=question[:MAX_QUESTION],
                     procedure_code=procedure_code, rating=rating)
        await self._db.run(lambda s: s.add(row))

    async def explain(self, conversation_id: str, reason: str) -> bool:
        """The reason for this conversation's latest 👎 (True when there was one to explain)."""
        channel, sender_id = _split(conversation_id)

        def explain(session: Session) -> bool:
            row = session.scalar(select(Rating).where(Rating.channel == channel, Rating.sender_id == sender_id,
                                                      Rating.rating == DOWN).order_by(Rating.id.desc()).limit(1))
            if row is None:
                return False
            row.reason = reason
            return True
        return await self._db.run(explain)
