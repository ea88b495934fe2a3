"""Retention and the right to be forgotten, on SQLite and PostgreSQL, plus Rasa's tracker events."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text

from dossiers.access_store import LOOKUP, DossierAccessStore
from dossiers.models import Status
from dossiers.store import DossierStore

from feedback.store import FeedbackStore
from handover.store import HandoffStore
from storage.conversations import ConversationLog
from storage.database import Database
from storage.retention import forget_conversation, forgotten_tables, purge, purge_tracker, purged_tables
from storage.tables import Base, DossierNotification, StaffSession, WebSession, utcnow
from tests.dossiers.fixtures import CODE, NOW, dossier_data

run = asyncio.run
OLD = utcnow() - timedelta(days=200)


def test_purge_deletes_what_is_older_than_the_cutoff_and_keeps_open_requests(database: Database) -> None:
    log, feedback, handoffs = ConversationLog(database), FeedbackStore(database), HandoffStore(database)
    run(log.record("web", "old", "in", "câu hỏi cũ"))
    database.call(lambda s: s.execute(text("UPDATE messages SET created_at = :t WHERE sender_id = 'old'"),
                                      {"t": OLD.timestamp()}))
    run(log.record("web", "new", "in", "câu hỏi mới"))
    run(feedback.answered("web:old", "câu hỏi cũ", "no_match", None, OLD))
    run(feedback.answered("web:new", "câu hỏi mới", "answer", "1.001193", utcnow()))
    waiting, _ = run(handoffs.request("zalo", "still-waiting", "asked", None, OLD))
    closed, _ = run(handoffs.request("zalo", "done", "asked", None, OLD))
    run(handoffs.claim(closed.id, "canbo", OLD))
    run(handoffs.end(closed.id, "canbo", "closed", OLD))
    counts = purge(database, utcnow() - timedelta(days=180))
    assert counts["messages"] == 1 and counts["answer_events"] == 1 and counts["handoffs"] == 1
    assert [m.text for m in run(log.history("web", "new"))] == ["câu hỏi mới"]
    assert run(handoffs.get(waiting.id)) is not None and run(handoffs.get(closed.id)) is None


def test_forgetting_a_conversation_deletes_only_that_citizen(database: Database) -> None:
    log, feedback = ConversationLog(database), FeedbackStore(database)
    for sender in ("forget-me", "keep-me"):
        run(log.record("zalo", sender, "in", "tôi là Nguyễn Văn A, sđt 0912345678"))
        run(feedback.rate(f"zalo:{sender}", "hỏi", "1.001193", "down", utcnow()))
    counts = forget_conversation(database, "zalo", "forget-me")
    assert counts["messages"] == 1 and counts["ratings"] == 1
    assert run(log.history("zalo", "forget-me")) == [] and len(run(log.history("zalo", "keep-me"))) == 1


def test_rasa_tracker_events_are_purged_by_age_and_by_conversation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    assert purge_tracker(url, cutoff=utcnow()) == 0                                  # no store yet
    engine = create_engine(url)
    with engine.begin() as connection:                                               # Rasa's SQLTrackerStore table
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                                "type_name VARCHAR(255), timestamp FLOAT, data TEXT)"))
        now = time.time()
        for sender, age in (("web:a", 200), ("web:a", 1), ("web:b", 1)):
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, '{}')"),
                               {"s": sender, "t": now - age * 86400})
    assert purge_tracker(url, cutoff=utcnow() - timedelta(days=180)) == 1
    assert purge_tracker(url, conversation_id="web:b") == 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT sender_id FROM events")).scalars().all() == ["web:a"]
    engine.dispose()


def tables_holding_a_channel_id() -> set[str]:
    """From the schema: a sender id, a "channel:sender_id" conversation id, or a web session id."""
    return {name for name, table in Base.metadata.tables.items()
            if {"sender_id", "conversation_id"} & set(table.columns.keys())} | {WebSession.__tablename__}


def test_forget_and_purge_cover_every_table_that_holds_a_channel_id() -> None:
    holding = tables_holding_a_channel_id()
    assert {"messages", "dossier_subscriptions", "dossier_notifications", "dossier_verifications",
            "dossier_access", "issued_choices"} <= holding                 # the listing itself works
    assert holding - forgotten_tables() == set(), "storage/retention.py: forget_conversation misses these tables"
    assert holding - purged_tables() == set(), "storage/retention.py: purge misses these tables"


def test_a_forgotten_citizen_leaves_the_dossier_stores_and_gets_no_more_news(database: Database) -> None:
    access, store = DossierAccessStore(database), DossierStore(database)
    run(store.save(CODE, dossier_data(), NOW))
    for sender in ("forget-me", "keep-me"):
        run(access.record(LOOKUP, f"zalo:{sender}", CODE, NOW))
        run(access.verify(f"zalo:{sender}", CODE, NOW))
        run(access.subscribe("zalo", sender, CODE, NOW))
    run(store.save(CODE, dossier_data(status=Status.RESULT_READY), NOW))         # news for both subscribers
    counts = forget_conversation(database, "zalo", "forget-me")
    assert counts["dossier_subscriptions"] == counts["dossier_verifications"] == counts["dossier_access"] == 1
    assert counts["dossier_notifications"] == 1
    assert run(access.verified_at("zalo:forget-me", CODE)) is None
    assert run(access.verified_at("zalo:keep-me", CODE)) is not None
    run(store.save(CODE, dossier_data(status=Status.RETURNED), NOW))
    senders = database.call(lambda s: [n.sender_id for n in s.scalars(select(DossierNotification))])
    assert "forget-me" not in senders and senders.count("keep-me") == 2


def test_purge_ages_out_dossier_access_rows_and_expired_staff_sessions(database: Database) -> None:
    access = DossierAccessStore(database)
    run(access.verify("web:old", CODE, OLD))
    run(access.subscribe("web", "old", CODE, OLD))
    run(access.verify("web:new", CODE, utcnow()))
    database.call(lambda s: s.add_all([
        StaffSession(token_hash="a" * 64, username="canbo", csrf_token="x", created_at=OLD,
                     expires_at=utcnow() - timedelta(hours=1)),
        StaffSession(token_hash="b" * 64, username="canbo", csrf_token="y", created_at=utcnow(),
                     expires_at=utcnow() + timedelta(hours=1))]))
    counts = purge(database, utcnow() - timedelta(days=180))
    assert counts["dossier_verifications"] == counts["dossier_subscriptions"] == counts["staff_sessions"] == 1
    assert run(access.verified_at("web:new", CODE)) is not None
    assert database.call(lambda s: [r.token_hash for r in s.scalars(select(StaffSession))]) == ["b" * 64]
