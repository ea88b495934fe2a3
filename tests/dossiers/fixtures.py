"""A dossier store with one registered dossier, and an assistant whose clock the tests move (shared by
tests/dossiers and tests/actions)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from dossiers.access_store import DossierAccessStore
from dossiers.assistant import DossierAssistant
from dossiers.models import DossierData, Stage, Status
from dossiers.store import DossierStore
from storage.database import Database

CODE = "H45.22-231015-0012"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)         # 16:00 in Vietnam


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **span: float) -> None:
        self.now += timedelta(**span)


def dossier_data(**changes: object) -> DossierData:
    base = dict(procedure_code="1.001193", applicant_name="Nguyễn Văn Tám", phone="0912 345 678",
                received_at=NOW - timedelta(days=6), due_at=NOW + timedelta(days=2), status=Status.IN_PROGRESS,
                current_office="UBND phường Lộc Thọ", delivery_method="at_centre", note=None,
                stages=[Stage(name="Tiếp nhận hồ sơ", office="Bộ phận Một cửa", started_at=NOW - timedelta(days=6),
                              due_at=NOW - timedelta(days=5), finished_at=NOW - timedelta(days=5)),
                        Stage(name="Thẩm định hồ sơ", office="Phòng Tư pháp", officer_role="Chuyên viên",
                              started_at=NOW - timedelta(days=5), due_at=NOW + timedelta(days=1))])
    base.update(changes)
    return DossierData.model_validate(base)


@pytest.fixture
def store(database: Database) -> DossierStore:
    store = DossierStore(database)
    asyncio.run(store.save(CODE, dossier_data(), NOW - timedelta(days=6)))
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def assistant(store: DossierStore, database: Database, clock: Clock) -> DossierAssistant:
    names = {"1.001193": "Thủ tục đăng ký khai sinh"}
    return DossierAssistant(store, DossierAccessStore(database), names.get, clock=clock)
