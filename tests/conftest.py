"""Fixtures shared across test folders: a migrated database on each backend the gateway supports.

Also collected by the Rasa environment's run of tests/bot (SQLAlchemy 1.4 there): app imports stay inside the
fixtures."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest
from sqlalchemy import create_engine, text

if TYPE_CHECKING:
    from storage.database import Database

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'gateway.db'}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the local PostgreSQL `test` database (its URL), dropped afterwards."""
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def database(database_url: str) -> Iterator["Database"]:
    from storage.database import Database

    db = Database(database_url)
    db.migrate()
    yield db
    db.close()
