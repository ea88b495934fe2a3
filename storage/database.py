"""The one database layer: an engine chosen by URL, sessions, migrations, and a way to call the database from
async code without blocking the event loop."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

P = ParamSpec("P")
T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 5


def engine_url(url: str) -> str:
    """`postgresql://` means psycopg 3 (the driver installed); every other URL is taken as written."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints rather than at every commit: a crash of the process loses nothing, a
    # power cut may lose the last transactions. Every message would otherwise wait for a disk flush.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    url = engine_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre-ping: connections broken while the server was away are replaced, so service resumes by itself; a short
    # connect timeout: an unreachable server fails a request in seconds instead of hanging it.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_timeout=10,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


class Database:
    """Owns the engine. Stores call `run(fn, *args)` from async code: `fn(session, *args)` runs in a worker
    thread inside one transaction (committed on return, rolled back on error)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def call(self, fn: Callable[..., T], *args: object) -> T:
        with self.session() as session:
            return fn(session, *args)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.to_thread(self.call, fn, *args)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent; PostgreSQL serialises concurrent callers)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()
