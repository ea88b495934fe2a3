"""Conversation log: every inbound and outbound message, so nothing a citizen says is lost.

The interface is what the gateway depends on; `open_conversation_store(url)` picks the backend.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class LoggedMessage:
    channel: str
    sender_id: str
    direction: str          # "in" | "out"
    text: str
    payload: dict[str, Any]
    created_at: float


class ConversationStore(Protocol):
    def record(self, channel: str, sender_id: str, direction: str, text: str,
               payload: dict[str, Any] | None = None) -> None: ...

    def history(self, channel: str, sender_id: str, limit: int = 50) -> list[LoggedMessage]: ...

    def ping(self) -> None:
        """Raise if the store cannot be reached."""

    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    text TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_sender ON messages (channel, sender_id, id);
"""


class SqliteConversationStore:
    """Single-file store; one connection guarded by a lock (the gateway is one process)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def record(self, channel: str, sender_id: str, direction: str, text: str,
               payload: dict[str, Any] | None = None) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO messages (channel, sender_id, direction, text, payload, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (channel, sender_id, direction, text, json.dumps(payload or {}, ensure_ascii=False), time.time()),
            )

    def history(self, channel: str, sender_id: str, limit: int = 50) -> list[LoggedMessage]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT channel, sender_id, direction, text, payload, created_at FROM messages"
                " WHERE channel = ? AND sender_id = ? ORDER BY id DESC LIMIT ?",
                (channel, sender_id, limit),
            ).fetchall()
        return [LoggedMessage(c, s, d, t, json.loads(p), ts) for c, s, d, t, p, ts in reversed(rows)]

    def ping(self) -> None:
        with self._lock:
            self._conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_conversation_store(url: str) -> ConversationStore:
    """`sqlite:///relative/or/absolute/path.db`; other schemes arrive with the scale-out issue."""
    if url.startswith("sqlite:///"):
        return SqliteConversationStore(Path(url.removeprefix("sqlite:///")))
    raise ValueError(f"Unsupported conversation store URL {url!r}: only sqlite:/// is available in this release")
