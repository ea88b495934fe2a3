"""bot/server.py: Rasa with its per-turn waste removed must behave exactly as Rasa does.

Run with:  .venv-rasa/bin/python -m pytest tests/bot
"""
from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
from rasa.core.actions.action import RemoteAction

from bot import server

RESPONSES = [
    {"events": [{"event": "slot", "name": "procedure_code", "value": "1.001193"}],
     "responses": [{"custom": {"title": "Đăng ký khai sinh", "blocks": []}}]},
    {"events": [], "responses": []},
    {},
    {"events": [{"event": "nonsense"}]},
    {"events": "not a list"},
    {"responses": ["not an object"]},
    {"events": [{"event": "slot", "name": 3}]},
]


def original_outcome(result: dict) -> str:
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
        return "valid"
    except jsonschema.ValidationError as exc:
        return exc.message


@pytest.fixture(scope="module")
def patched() -> RemoteAction:
    original = RemoteAction._validate_action_result
    server.reuse_action_response_validator()
    yield RemoteAction("action_answer_procedure", None)
    RemoteAction._validate_action_result = original


@pytest.mark.parametrize("result", RESPONSES)
def test_action_replies_are_judged_exactly_as_rasa_judges_them(patched: RemoteAction, result: dict) -> None:
    expected = original_outcome(result)
    if expected == "valid":
        assert patched._validate_action_result(result) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as raised:
            patched._validate_action_result(result)
        assert raised.value.message.startswith(expected + ". Failed to validate Action server response")


def test_the_sqlite_tracker_store_writes_ahead_without_a_flush_per_commit(tmp_path: Path) -> None:
    server.sqlite_tracker_store_without_flush_per_commit()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1          # NORMAL
    engine.dispose()
    plain = sqlite3.connect(tmp_path / "other.db")                               # only SQLAlchemy's engines
    assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    plain.close()


@pytest.fixture()
def rasa_structlog() -> None:
    import structlog
    from rasa.utils import log_utils

    original = log_utils._anonymizer
    server.log_no_conversation_content()
    log_utils.configure_structlog(logging.INFO)             # what `rasa run` does before serving
    yield
    log_utils._anonymizer = original
    structlog.reset_defaults()


def test_rasa_log_events_carry_no_conversation_content(rasa_structlog: None, caplog: pytest.LogCaptureFixture) -> None:
    import structlog

    said = "tôi là Nguyễn Văn An, số điện thoại 0912345678, hồ sơ H45.22-231015-0012"
    with caplog.at_level(logging.INFO):
        structlog.get_logger().error("rest.message.received.failure", text=said, user_message=said, turn=3)
    [event] = [json.loads(record.getMessage()) for record in caplog.records]
    assert event == {"event": "rest.message.received.failure", "level": "error", "turn": 3,
                     "text": server.HIDDEN, "user_message": server.HIDDEN}


def test_table_creation_raced_by_another_server_is_retried_until_it_sees_the_tables() -> None:
    calls = []

    def create_all(bind: object) -> None:
        calls.append(bind)
        if len(calls) < 3:                                  # the other server is creating the same tables
            raise sa.exc.OperationalError("CREATE TABLE events", {}, Exception("table events already exists"))

    server.create_tables_retrying(create_all, pause=0)("engine")
    assert calls == ["engine"] * 3


def test_table_creation_that_keeps_failing_still_fails() -> None:
    def create_all(bind: object) -> None:
        raise sa.exc.ProgrammingError("CREATE TABLE events", {}, Exception("permission denied"))

    with pytest.raises(sa.exc.ProgrammingError):
        server.create_tables_retrying(create_all, attempts=3, pause=0)("engine")


def test_rasa_tracker_store_tables_come_from_the_retrying_creation(tmp_path: Path) -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    metadata = SQLTrackerStore.Base.metadata
    original = metadata.create_all
    server.tracker_tables_created_once()
    try:
        SQLTrackerStore(db=str(tmp_path / "tracker.db"))
        assert metadata.create_all is not original
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
        assert "ix_events_sender_id" in {i["name"] for i in sa.inspect(engine).get_indexes("events")}
        engine.dispose()
    finally:
        metadata.create_all = original


@pytest.mark.parametrize("argv, token", [(["run", "--enable-api", "--auth-token", "abc"], "abc"),
                                         (["run", "--auth-token=abc"], "abc"), (["run", "--enable-api"], ""),
                                         (["run", "--auth-token"], "")])
def test_the_rest_channel_takes_the_api_token_from_rasas_arguments(argv: list, token: str) -> None:
    assert server.auth_token(argv) == token


def test_the_rest_channel_fails_closed() -> None:
    assert server.token_given("abc", "abc")
    assert not server.token_given("abd", "abc") and not server.token_given("", "abc")
    assert not server.token_given("", "")                  # no --auth-token: every message is refused
