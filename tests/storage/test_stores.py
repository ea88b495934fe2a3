"""Every gateway store against SQLite and PostgreSQL, through the migrated schema."""
from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from replies.model import Choice
from storage.choices import ChoiceStore, looks_like_token
from storage.conversations import ConversationLog
from storage.credentials import CredentialStore, TokenPair
from storage.database import Database
from storage.events import ProcessedEvents
from storage.outbox import FAILED, PENDING, STORED, Outbox
from storage.tables import Base
from storage.web_sessions import WebSessions

run = asyncio.run


def test_migrations_create_every_table_and_are_idempotent(database: Database) -> None:
    tables = set(inspect(database.engine).get_table_names())
    assert {"messages", "web_sessions", "issued_choices", "processed_events", "channel_credentials", "outbox",
            "alembic_version"} <= tables
    database.migrate()                                      # a second start changes nothing


def test_a_stage_one_log_is_adopted_with_its_messages(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    with sqlite3.connect(path) as conn:                     # the raw sqlite3 schema stage one created
        conn.executescript("""
            CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL,
                sender_id TEXT NOT NULL, direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
                text TEXT NOT NULL, payload TEXT NOT NULL, created_at REAL NOT NULL);
            INSERT INTO messages (channel, sender_id, direction, text, payload, created_at)
                VALUES ('web', 'old', 'in', 'xin chào', '{}', 1.0);""")
    db = Database(f"sqlite:///{path}")
    db.migrate()
    history = run(ConversationLog(db).history("web", "old"))
    assert [(m.direction, m.text) for m in history] == [("in", "xin chào")]
    db.close()


def test_conversation_log_keeps_order_and_payload(database: Database) -> None:
    log = ConversationLog(database)
    run(log.record("web", "a", "in", "lệ phí hộ chiếu"))
    run(log.record("web", "a", "out", "Dạ, …", {"procedure_codes": ["1.000"]}))
    run(log.record("zalo", "a", "in", "khác kênh"))
    history = run(log.history("web", "a"))
    assert [(m.direction, m.text) for m in history] == [("in", "lệ phí hộ chiếu"), ("out", "Dạ, …")]
    assert history[1].payload == {"procedure_codes": ["1.000"]}


def test_only_issued_web_sessions_are_known(database: Database) -> None:
    sessions = WebSessions(database)
    first, second = run(sessions.start()), run(sessions.start())
    assert first != second and len(first) >= 32
    assert run(sessions.touch(first)) and run(sessions.touch(second))
    assert not run(sessions.touch("w-" + "a" * 30))


def test_choices_are_bound_to_their_conversation_and_numbered_per_menu(database: Database) -> None:
    store = ChoiceStore(database)
    fee = Choice(title="Lệ phí", intent="ask_procedure", entities={"procedure_code": "1.001193", "aspect": "fee"})
    words = Choice(title="Khai sinh", text="Đăng ký khai sinh cần giấy tờ gì?")
    tokens = run(store.issue("web:a", [fee, words]))
    assert len(tokens) == 2 and all(looks_like_token(t) and len(t.encode()) <= 64 for t in tokens)
    assert run(store.by_token("web:b", tokens[0])) is None          # another conversation cannot use it
    older = run(store.issue("web:a", [fee, words]))
    newer = run(store.issue("web:a", [Choice(title="Hộ chiếu", text="hộ chiếu")]))
    assert run(store.by_number("web:a", 2)) is None                  # numbers refer to the newest menu
    assert run(store.by_number("web:a", 1)).title == "Hộ chiếu"
    assert run(store.by_token("web:a", tokens[1])) == words          # older menus stay usable
    assert run(store.by_token("web:a", older[0])) == fee
    assert newer and run(store.issue("web:a", [])) == []


def test_a_menu_is_spent_by_its_first_pick(database: Database) -> None:
    store = ChoiceStore(database)
    up, down = Choice(title="👍", intent="rate_answer"), Choice(title="👎", intent="rate_answer")
    tokens = run(store.issue("zalo:a", [up, down]))
    assert run(store.by_token("zalo:a", tokens[0])) == up
    assert run(store.by_token("zalo:a", tokens[0])) is None          # a second tap of 👍 is not a second rating
    assert run(store.by_token("zalo:a", tokens[1])) is None          # nor a change of mind to 👎
    assert run(store.by_number("zalo:a", 2)) is None
    again = run(store.issue("zalo:a", [up, down]))
    assert run(store.by_number("zalo:a", 2)) == down and run(store.by_number("zalo:a", 2)) is None
    assert again


def test_parallel_taps_of_one_menu_pick_once(database: Database) -> None:
    store = ChoiceStore(database)
    tokens = run(store.issue("web:a", [Choice(title="👍", intent="rate_answer"), Choice(title="👎", intent="rate_answer")]))

    async def taps() -> list[Choice | None]:
        return await asyncio.gather(*(store.by_token("web:a", tokens[n % 2]) for n in range(8)))

    assert len([c for c in run(taps()) if c is not None]) == 1


def test_an_event_is_claimed_once(database: Database) -> None:
    events = ProcessedEvents(database)
    assert run(events.claim("zalo", "msg-1"))
    assert not run(events.claim("zalo", "msg-1"))
    assert run(events.claim("telegram", "msg-1"))


def test_credentials_start_from_configuration_and_swap_only_from_the_current_pair(database: Database) -> None:
    store = CredentialStore(database)
    initial, fresh = TokenPair("a1", "r1"), TokenPair("a2", "r2")
    assert run(store.current("zalo", initial)) == initial
    assert run(store.replace("zalo", initial, fresh))
    assert not run(store.replace("zalo", initial, TokenPair("a3", "r3")))    # a stale refresher loses
    assert run(store.current("zalo", initial)) == fresh                       # configuration no longer wins


def test_gateways_starting_at_once_all_read_the_configured_pair(database_url: str) -> None:
    """The first reads of several gateways race to store the configured pair: one inserts, the others read it."""
    engines = [Database(database_url) for _ in range(4)]
    engines[0].migrate()
    stores, initial = [CredentialStore(db) for db in engines], TokenPair("a1", "r1")

    async def first_reads() -> list[TokenPair]:
        return await asyncio.gather(*(stores[n % 4].current("zalo", initial) for n in range(16)))

    try:
        assert run(first_reads()) == [initial] * 16
    finally:
        for db in engines:
            db.close()


def test_one_gateway_at_a_time_holds_the_refresh_lease_of_the_current_pair(database: Database) -> None:
    store = CredentialStore(database)
    stale, fresh = TokenPair("a1", "r1"), TokenPair("a2", "r2")
    run(store.current("zalo", stale))
    assert run(store.claim_refresh("zalo", stale, timedelta(minutes=1)))
    assert not run(store.claim_refresh("zalo", stale, timedelta(minutes=1)))     # held by the first
    run(store.release_refresh("zalo", stale))                                   # its refresh failed
    assert run(store.claim_refresh("zalo", stale, timedelta(seconds=-1)))       # taken again, already expired
    assert run(store.claim_refresh("zalo", stale, timedelta(minutes=1)))        # so a waiter may take it over
    assert run(store.replace("zalo", stale, fresh))
    assert not run(store.claim_refresh("zalo", stale, timedelta(minutes=1)))    # that pair is gone
    assert run(store.claim_refresh("zalo", fresh, timedelta(minutes=1)))        # the new pair's lease is free


def test_outbox_keeps_failures_and_serves_stored_web_messages_in_order(database: Database) -> None:
    outbox = Outbox(database)
    first = run(outbox.add("web", "s", {"text": "một"}, STORED))
    second = run(outbox.add("web", "s", {"text": "hai"}, STORED))
    run(outbox.add("web", "other", {"text": "khác"}, STORED))
    assert [e.body["text"] for e in run(outbox.stored_after("web", "s", 0))] == ["một", "hai"]
    assert [e.id for e in run(outbox.stored_after("web", "s", first))] == [second]
    sending = run(outbox.add("zalo", "u", {"text": "x"}, PENDING))
    lost = run(outbox.add("zalo", "u", {"text": "y"}, PENDING))
    claimed = run(outbox.claim(["zalo"], "relay", timedelta(seconds=30)))
    assert [c.id for c in claimed] == [sending, lost]
    assert run(outbox.sent(sending, "relay", 1))
    assert run(outbox.failed(lost, "relay", 4, "Zalo send: HTTP 500"))
    assert run(outbox.count(FAILED)) == {"zalo": 1}


@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:5432/test"])
def test_plain_postgresql_urls_use_the_installed_driver(url: str) -> None:
    db = Database(url)
    db.ping()
    assert db.engine.dialect.driver == "psycopg"
    db.close()


def test_the_migrations_build_exactly_the_schema_the_models_declare(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
