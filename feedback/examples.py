"""Example questions officers teach from the console: stored with who added them and when, undoable, and
exported in the repository's `knowledge_base/data/examples.jsonl` format for review."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import TaughtExample


@dataclass(frozen=True)
class Taught:
    id: int
    question: str
    codes: list[str]
    created_by: str
    created_at: datetime
    removed_by: str | None
    removed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.removed_at is None

    def jsonl(self) -> str:
        return json.dumps({"codes": self.codes, "question": self.question}, ensure_ascii=False)


def _taught(row: TaughtExample) -> Taught:
    return Taught(row.id, row.question, list(row.codes), row.created_by, row.created_at, row.removed_by, row.removed_at)


class TaughtExampleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, question: str, codes: list[str], username: str, at: datetime) -> Taught:
        def add(session: Session) -> Taught:
            row = TaughtExample(question=question, codes=codes, created_by=username, created_at=at)
            session.add(row)
            session.flush()
            return _taught(row)
        return await self._db.run(add)

    def all_sync(self, include_removed: bool = False) -> list[Taught]:
        def read(session: Session) -> list[Taught]:
            query = select(TaughtExample).order_by(TaughtExample.id)
            if not include_removed:
                query = query.where(TaughtExample.removed_at.is_(None))
            return [_taught(r) for r in session.scalars(query)]
        return self._db.call(read)

    async def all(self, include_removed: bool = False) -> list[Taught]:
        return await asyncio.to_thread(self.all_sync, include_removed)

    async def remove(self, example_id: int, username: str, at: datetime) -> bool:
        """Undo an example (kept, marked removed); False when there is no active example with this id."""
        return await self._db.run(lambda s: s.execute(
            update(TaughtExample).where(TaughtExample.id == example_id, TaughtExample.removed_at.is_(None))
            .values(removed_by=username, removed_at=at)).rowcount == 1)
