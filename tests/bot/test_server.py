"""bot/server.py: Rasa with its per-turn waste removed must behave exactly as Rasa does.

Run with:  .venv-rasa/bin/python -m pytest tests/bot
"""
from __future__ import annotations

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
