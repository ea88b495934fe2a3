"""Table definitions for every gateway store; the schema itself is created by the migrations."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Index, Integer, String, Text, TypeDecorator, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, datetime: UtcDateTime}


class Message(Base):
    """Conversation log: every message in and out, on every channel (the stage-one table, unchanged)."""
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(Text)
    sender_id: Mapped[str] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(Text)           # "in" | "out"
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)             # JSON
    created_at: Mapped[float] = mapped_column(Float)       # epoch seconds
    __table_args__ = (Index("messages_by_sender", "channel", "sender_id", "id"),)


class WebSession(Base):
    """A web chat conversation the server started; its id is the unguessable `sender_id` the widget keeps."""
    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class IssuedChoice(Base):
    """A choice the gateway showed in one conversation, under an opaque token (a button's payload) and its
    number in the reply's menu (what a Zalo user types)."""
    __tablename__ = "issued_choices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(160), index=True)
    menu: Mapped[str] = mapped_column(String(32))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(100))
    entities: Mapped[dict[str, Any]]
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    spent_at: Mapped[datetime | None]            # the first pick from its menu spends every choice of the menu


class ProcessedEvent(Base):
    """Webhook events already taken (Zalo msg_id, Telegram update_id): a retried delivery is ignored."""
    __tablename__ = "processed_events"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime]


class ChannelCredential(Base):
    """The current token pair of a channel whose tokens rotate (Zalo: the refresh token is single-use)."""
    __tablename__ = "channel_credentials"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    refresh_lease_until: Mapped[datetime | None]           # one gateway is refreshing the pair until then


class OutboxMessage(Base):
    """A message sent to a conversation outside a web request: every Zalo/Telegram reply and every push (dossier
    news, an officer's words). Web rows wait to be fetched; other channels' rows record delivery."""
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender_id: Mapped[str] = mapped_column(String(128))
    body: Mapped[dict[str, Any]]                           # the rendered message(s)
    status: Mapped[str] = mapped_column(String(12))        # "stored" (web) | "pending" | "sent" | "failed"
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)        # the last failure's reason
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]               # a pending row is due from then
    lease_until: Mapped[datetime | None]                   # a relay holds the row until then
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    __table_args__ = (Index("outbox_by_conversation", "channel", "sender_id", "id"),
                      Index("outbox_by_status", "channel", "status"),
                      Index("outbox_due", "status", "next_attempt_at"))


class DossierRow(Base):
    """A dossier as received from a one-stop system; lateness is computed from its deadlines, never stored."""
    __tablename__ = "dossiers"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(20))
    applicant_name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), index=True)
    current_office: Mapped[str] = mapped_column(Text)
    delivery_method: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    pauses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)   # waits for the citizen's supplement
    updated_at: Mapped[datetime]


class DossierHistoryRow(Base):
    """Every change of a dossier, appended with its time."""
    __tablename__ = "dossier_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[list[str]] = mapped_column(JSON)


class DossierAccess(Base):
    """One lookup of a code, one wrong verification answer, or one pause of every lookup (too many wrong answers
    across all codes), by a conversation from an address (a keyed hash, never the address itself): counted in
    time windows so that limits hold across restarts and app instances."""
    __tablename__ = "dossier_access"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(12))          # "lookup" | "wrong" | "pause"
    conversation_id: Mapped[str] = mapped_column(String(160))
    code: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    address: Mapped[str | None] = mapped_column(String(32))
    __table_args__ = (Index("dossier_access_by_conversation", "kind", "conversation_id", "at"),
                      Index("dossier_access_by_code", "kind", "code", "at"),
                      Index("dossier_access_by_address", "kind", "address", "at"),
                      Index("dossier_access_by_time", "kind", "at"))


class DossierGuard(Base):
    """One row per code ever answered: a verification updates it first, so that checking the wrong answers and
    counting a new one happen one at a time for a code (a row lock on PostgreSQL, the write lock on SQLite)."""
    __tablename__ = "dossier_guards"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")


class DossierVerification(Base):
    """A conversation proved it knows the phone number registered with a dossier, at `verified_at`."""
    __tablename__ = "dossier_verifications"
    conversation_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    verified_at: Mapped[datetime]


class DossierSubscription(Base):
    """A conversation to tell when a dossier's status or stage changes."""
    __tablename__ = "dossier_subscriptions"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    created_at: Mapped[datetime]


class DossierNotification(Base):
    """A change to tell a subscriber about, written in the same transaction as the change (the gateway's
    notifier sends it, whichever process made the change)."""
    __tablename__ = "dossier_notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    sender_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(12), index=True)   # "pending" | "sending" | "sent" | "failed"
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]                          # a "sending" row is someone's until then
    error: Mapped[str | None] = mapped_column(Text)


class StaffUser(Base):
    """An officer's or administrator's account on the staff console."""
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(12))                  # "officer" | "admin"
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]                           # set: cannot sign in, sessions refused


class StaffSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""
    __tablename__ = "staff_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]                          # refused once idle for too long


class StaffLoginFailure(Base):
    """A failed sign-in, counted per username and per address to slow down guessing."""
    __tablename__ = "staff_login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime]


class AuditEntry(Base):
    """Who looked at whose personal data, and when."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(64), index=True)


class HandoffRow(Base):
    """A citizen's request for an officer, and who holds the conversation. At most one is open (waiting or
    claimed) per conversation; while one is claimed the assistant stays silent there."""
    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(12))          # "waiting" | "claimed" | "released" | "closed"
    reason: Mapped[str] = mapped_column(String(12))          # "asked" | "offered"
    requested_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    last_answer: Mapped[str | None] = mapped_column(Text)
    officer_active_at: Mapped[datetime | None]             # the holding officer's last claim or reply
    __table_args__ = (Index("handoffs_by_conversation", "channel", "sender_id", "status"),
                      Index("handoffs_one_open", "channel", "sender_id", unique=True,
                            sqlite_where=text("status IN ('waiting', 'claimed')"),
                            postgresql_where=text("status IN ('waiting', 'claimed')")))


class StaffPresence(Base):
    """When each officer last had the handover page open: 'someone is online'."""
    __tablename__ = "staff_presence"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen: Mapped[datetime]


class _SaidInConversation:
    """Columns shared by what is recorded about one question in one conversation."""
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender_id: Mapped[str] = mapped_column(String(128))
    question: Mapped[str] = mapped_column(Text)
    procedure_code: Mapped[str | None] = mapped_column(String(20))


class AnswerEvent(_SaidInConversation, Base):
    """One knowledge-base answer: the question, what came out (answer / clarify / no_match) and the procedure."""
    __tablename__ = "answer_events"
    kind: Mapped[str] = mapped_column(String(12))


class Rating(_SaidInConversation, Base):
    """A citizen's 👍/👎 on an answer, with the reason of a 👎 when given."""
    __tablename__ = "ratings"
    rating: Mapped[str] = mapped_column(String(4))          # "up" | "down"
    reason: Mapped[str | None] = mapped_column(String(20))  # "wrong_procedure" | "missing_info" | "unclear"


class TaughtExample(Base):
    """A question an officer labelled with the procedures that answer it; used by the running assistant at once,
    undone by setting `removed_at`."""
    __tablename__ = "taught_examples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    codes: Mapped[list[str]]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    removed_by: Mapped[str | None] = mapped_column(String(64))
    removed_at: Mapped[datetime | None]
