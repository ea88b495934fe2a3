"""Personal data is kept only as long as needed (Decree 13/2023/NĐ-CP; the Personal Data Protection Law): what
citizens said and what the assistant recorded about them is purged after a retention period, and one citizen's
conversation can be deleted on request. Rasa's tracker events (its own SQL tracker store) go the same way.
Dossiers are the province's records and are not touched here."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, Table, create_engine, delete, inspect
from sqlalchemy.orm import Session

from storage.database import Database, engine_url
from storage.tables import (AnswerEvent, DossierAccess, HandoffRow, IssuedChoice, Message, OutboxMessage,
                            ProcessedEvent, Rating, StaffLoginFailure, WebSession)

# (table, the column that dates a row, whether it is epoch seconds)
DATED = [(Message, Message.created_at, True), (OutboxMessage, OutboxMessage.created_at, False),
         (IssuedChoice, IssuedChoice.created_at, False), (ProcessedEvent, ProcessedEvent.created_at, False),
         (AnswerEvent, AnswerEvent.at, False), (Rating, Rating.at, False), (DossierAccess, DossierAccess.at, False),
         (StaffLoginFailure, StaffLoginFailure.at, False), (WebSession, WebSession.last_seen_at, False)]
# (table, channel column, sender column): one citizen's rows
BY_CONVERSATION = [(Message, Message.channel, Message.sender_id), (OutboxMessage, OutboxMessage.channel, OutboxMessage.sender_id),
                   (AnswerEvent, AnswerEvent.channel, AnswerEvent.sender_id), (Rating, Rating.channel, Rating.sender_id),
                   (HandoffRow, HandoffRow.channel, HandoffRow.sender_id)]


def purge(db: Database, cutoff: datetime) -> dict[str, int]:
    """Delete gateway rows older than `cutoff`; rows deleted per table. Requests for an officer still open stay."""
    def purge(session: Session) -> dict[str, int]:
        counts = {}
        for table, column, epoch in DATED:
            counts[table.__tablename__] = session.execute(
                delete(table).where(column < (cutoff.timestamp() if epoch else cutoff))).rowcount
        counts["handoffs"] = session.execute(delete(HandoffRow).where(
            HandoffRow.requested_at < cutoff, HandoffRow.status.not_in(("waiting", "claimed")))).rowcount
        return counts
    return db.call(purge)


def forget_conversation(db: Database, channel: str, sender_id: str) -> dict[str, int]:
    """Delete one citizen's conversation from every gateway store."""
    def forget(session: Session) -> dict[str, int]:
        counts = {table.__tablename__: session.execute(delete(table).where(ch == channel, sender == sender_id)).rowcount
                  for table, ch, sender in BY_CONVERSATION}
        counts["issued_choices"] = session.execute(delete(IssuedChoice).where(
            IssuedChoice.conversation_id == f"{channel}:{sender_id}")).rowcount
        if channel == "web":
            counts["web_sessions"] = session.execute(delete(WebSession).where(WebSession.id == sender_id)).rowcount
        return counts
    return db.call(forget)


def purge_tracker(url: str, cutoff: datetime | None = None, conversation_id: str | None = None) -> int:
    """Delete Rasa tracker events older than `cutoff`, or all of one conversation; 0 when there is no store yet."""
    engine = create_engine(engine_url(url))
    try:
        if not inspect(engine).has_table("events"):
            return 0
        events = Table("events", MetaData(), autoload_with=engine)
        query = delete(events)
        if conversation_id is not None:
            query = query.where(events.c.sender_id == conversation_id)
        if cutoff is not None:
            query = query.where(events.c.timestamp < cutoff.timestamp())
        with engine.begin() as connection:
            return connection.execute(query).rowcount
    finally:
        engine.dispose()
