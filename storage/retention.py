"""Personal data is kept only as long as needed (Decree 13/2023/NĐ-CP; the Personal Data Protection Law): what
citizens said and what the assistant recorded about them is purged after a retention period, and one citizen's
conversation can be deleted on request: every table that holds a channel id (a test lists them from the schema),
dossier subscriptions, notifications, verifications and lookups included, so a forgotten citizen gets no more
dossier news. Rasa's tracker events (its own SQL tracker store) go the same way.
Dossiers are the province's records and are not touched here."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, Table, create_engine, delete, inspect
from sqlalchemy.orm import Session

from storage.database import Database, engine_url
from storage.tables import utcnow
from storage.tables import (AnswerEvent, DossierAccess, DossierNotification, DossierSubscription, DossierVerification,
                            HandoffRow, IssuedChoice, Message, OutboxMessage, ProcessedEvent, Rating, StaffLoginFailure,
                            StaffSession, WebSession)

# (table, the column that dates a row, whether it is epoch seconds); handoffs are purged apart (open ones stay)
DATED = [(Message, Message.created_at, True), (OutboxMessage, OutboxMessage.created_at, False),
         (IssuedChoice, IssuedChoice.created_at, False), (ProcessedEvent, ProcessedEvent.created_at, False),
         (AnswerEvent, AnswerEvent.at, False), (Rating, Rating.at, False), (DossierAccess, DossierAccess.at, False),
         (DossierVerification, DossierVerification.verified_at, False),
         (DossierSubscription, DossierSubscription.created_at, False),
         (DossierNotification, DossierNotification.created_at, False),
         (StaffLoginFailure, StaffLoginFailure.at, False), (WebSession, WebSession.last_seen_at, False)]
# (table, channel column, sender column): one citizen's rows
BY_CONVERSATION = [(Message, Message.channel, Message.sender_id), (OutboxMessage, OutboxMessage.channel, OutboxMessage.sender_id),
                   (AnswerEvent, AnswerEvent.channel, AnswerEvent.sender_id), (Rating, Rating.channel, Rating.sender_id),
                   (HandoffRow, HandoffRow.channel, HandoffRow.sender_id),
                   (DossierSubscription, DossierSubscription.channel, DossierSubscription.sender_id),
                   (DossierNotification, DossierNotification.channel, DossierNotification.sender_id)]
# (table, its "channel:sender_id" column)
BY_CONVERSATION_ID = [(IssuedChoice, IssuedChoice.conversation_id), (DossierAccess, DossierAccess.conversation_id),
                      (DossierVerification, DossierVerification.conversation_id)]


def forgotten_tables() -> set[str]:
    """Every table `forget_conversation` clears of one citizen."""
    return {t.__tablename__ for t, *_ in BY_CONVERSATION + BY_CONVERSATION_ID} | {WebSession.__tablename__}


def purged_tables() -> set[str]:
    """Every table `purge` ages out."""
    return {t.__tablename__ for t, *_ in DATED} | {HandoffRow.__tablename__, StaffSession.__tablename__}


def purge(db: Database, cutoff: datetime, now: datetime | None = None) -> dict[str, int]:
    """Delete gateway rows older than `cutoff` and staff sessions expired by `now`; rows deleted per table.
    Requests for an officer still open stay."""
    def purge(session: Session) -> dict[str, int]:
        counts = {}
        for table, column, epoch in DATED:
            counts[table.__tablename__] = session.execute(
                delete(table).where(column < (cutoff.timestamp() if epoch else cutoff))).rowcount
        counts["handoffs"] = session.execute(delete(HandoffRow).where(
            HandoffRow.requested_at < cutoff, HandoffRow.status.not_in(("waiting", "claimed")))).rowcount
        counts["staff_sessions"] = session.execute(delete(StaffSession).where(
            StaffSession.expires_at < (now or utcnow()))).rowcount
        return counts
    return db.call(purge)


def forget_conversation(db: Database, channel: str, sender_id: str) -> dict[str, int]:
    """Delete one citizen's conversation from every gateway store."""
    def forget(session: Session) -> dict[str, int]:
        counts = {table.__tablename__: session.execute(delete(table).where(ch == channel, sender == sender_id)).rowcount
                  for table, ch, sender in BY_CONVERSATION}
        counts.update({table.__tablename__: session.execute(delete(table).where(
            column == f"{channel}:{sender_id}")).rowcount for table, column in BY_CONVERSATION_ID})
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
