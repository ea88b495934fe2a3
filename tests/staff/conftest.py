"""The gateway on a port with a first administrator, an officer, and dossiers at known lateness."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from channels.app import create_app
from dossiers.models import DossierData, Stage, Status
from settings import SETTINGS
from tests.fakes.app import RunningApp
from tests.fakes.server import free_port

ADMIN = ("quantri", "mat-khau-quan-tri-1")
OFFICER = ("canbo.an", "mat-khau-can-bo-1")
NOW = datetime.now(timezone.utc)
# code -> (days the current stage is late, days until the dossier is due, status)
BOARD = {"000.00.12.H45-261101-0001": (2, 5, Status.IN_PROGRESS),
         "000.00.12.H45-261101-0002": (0, 0, Status.IN_PROGRESS),      # due today (in two hours)
         "000.00.15.H45-261101-0003": (5, 3, Status.IN_PROGRESS),
         "000.00.15.H45-261101-0004": (0, 6, Status.RECEIVED),
         "000.00.15.H45-261101-0005": (0, -4, Status.RETURNED)}         # closed: never late
EXPECTED_ORDER = ["000.00.15.H45-261101-0003", "000.00.12.H45-261101-0001", "000.00.12.H45-261101-0002",
                  "000.00.15.H45-261101-0004", "000.00.15.H45-261101-0005"]


def board_dossier(stage_late: int, due_in: int, status: Status, office: str) -> DossierData:
    due = NOW + timedelta(hours=2) if due_in == 0 else NOW + timedelta(days=due_in)
    stage_due = NOW - timedelta(days=stage_late) if stage_late else NOW + timedelta(days=1)
    return DossierData(procedure_code="1.000894", applicant_name="Lê Thị Hồng Nhung", phone="0935 222 333",
                       received_at=NOW - timedelta(days=10), due_at=due, status=status, current_office=office,
                       delivery_method="at_centre",
                       stages=[Stage(name="Thẩm định hồ sơ", office=office, officer_role="Chuyên viên",
                                     started_at=NOW - timedelta(days=9), due_at=stage_due)])


@pytest.fixture(scope="session")
def staff_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    folder: Path = tmp_path_factory.mktemp("staff")
    settings = replace(SETTINGS, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout=2,
                       database_url=f"sqlite:///{folder / 'gateway.db'}", staff_admin_user=ADMIN[0],
                       staff_admin_password=ADMIN[1])
    with RunningApp(create_app(settings)) as running:
        for code, (late, due_in, status) in BOARD.items():
            office = "Phòng Tư pháp" if code.startswith("000.00.12") else "Văn phòng đăng ký đất đai"
            running.call(lambda c=code, d=board_dossier(late, due_in, status, office):
                         running.services.dossiers.save(c, d, NOW))
        running.call(lambda: running.services.staff.accounts.create(*OFFICER, "officer", NOW))
        yield running


def signed_in(app: RunningApp, who: tuple[str, str]) -> httpx.Client:
    client = httpx.Client(base_url=app.url, timeout=30)
    response = client.post("/api/staff/login", json={"username": who[0], "password": who[1]})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


@pytest.fixture
def admin(staff_app: RunningApp) -> Iterator[httpx.Client]:
    client = signed_in(staff_app, ADMIN)
    yield client
    client.close()


@pytest.fixture
def officer(staff_app: RunningApp) -> Iterator[httpx.Client]:
    client = signed_in(staff_app, OFFICER)
    yield client
    client.close()


@pytest.fixture
def anonymous(staff_app: RunningApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=staff_app.url, timeout=30, follow_redirects=False) as client:
        yield client
