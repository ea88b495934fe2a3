"""PUT /api/admin/dossiers/{code}: authentication, validation, history, and a status change reaching a
subscribed citizen on Telegram (fake server) and on the web chat's stream."""
from __future__ import annotations

import random
from dataclasses import replace
from types import SimpleNamespace
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels import admin_dossiers
from dossiers.access_store import DossierAccessStore
from dossiers.store import DossierStore
from settings import SETTINGS
from tests.channels.conftest import ADMIN_TOKEN
from tests.fakes.app import RunningApp
from tests.fakes.server import wait_for
from tests.fakes.telegram import FakeTelegram

NOW = datetime.now(timezone.utc)
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def body(**changes: object) -> dict:
    data = {"procedure_code": "1.001193", "applicant_name": "Trần Thị Bình", "phone": "0987654321",
            "received_at": (NOW - timedelta(days=2)).isoformat(), "due_at": (NOW + timedelta(days=3)).isoformat(),
            "status": "in_progress", "current_office": "UBND phường Lộc Thọ", "delivery_method": "at_centre",
            "stages": [{"name": "Thẩm định hồ sơ", "office": "Phòng Tư pháp",
                        "started_at": (NOW - timedelta(days=1)).isoformat(),
                        "due_at": (NOW + timedelta(days=1)).isoformat()}]}
    data.update(changes)
    return data


@pytest.fixture
def code() -> str:
    return f"000.00.12.H45-{NOW:%y%m%d}-{random.randrange(1000, 9999)}"


def test_the_admin_api_is_off_without_a_token(code: str) -> None:
    app = FastAPI()
    app.include_router(admin_dossiers.router)
    app.state.services = SimpleNamespace(settings=replace(SETTINGS, admin_token=""))
    response = TestClient(app).put(f"/api/admin/dossiers/{code}", json=body(), headers=AUTH)
    assert response.status_code == 404 and "TTHC_ADMIN_TOKEN" in response.json()["detail"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}])
def test_the_admin_api_needs_the_bearer_token(client: httpx.Client, code: str, headers: dict) -> None:
    response = client.put(f"/api/admin/dossiers/{code}", json=body(), headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_create_then_update_appends_history(client: httpx.Client, gateway_app: RunningApp, code: str) -> None:
    created = client.put(f"/api/admin/dossiers/{code.lower().replace('-', ' - ')}", json=body(), headers=AUTH)
    assert created.status_code == 201 and created.json()["dossier"]["code"] == code
    same = client.put(f"/api/admin/dossiers/{code}", json=body(), headers=AUTH)
    assert same.status_code == 200 and same.json()["changes"] == []
    updated = client.put(f"/api/admin/dossiers/{code}", json=body(status="need_supplement", note="Thiếu ảnh 4x6"),
                         headers=AUTH)
    assert updated.status_code == 200 and updated.json()["changes"] == ["status", "note"]
    history = gateway_app.call(lambda: DossierStore(gateway_app.services.db).history(code))
    assert [h.changes for h in history] == [["created"], ["status", "note"]]


@pytest.mark.parametrize("changes, field", [
    ({"status": "lost"}, "status"), ({"received_at": "hôm qua"}, "received_at"),
    ({"received_at": "2026-12-01T08:00:00"}, "received_at"),                # no time zone
    ({"phone": "abc"}, "phone"), ({"stages": [{"name": "x"}]}, "stages"), ({"delivery_method": "pigeon"}, "delivery_method"),
])
def test_invalid_payloads_name_the_field_at_fault(client: httpx.Client, code: str, changes: dict, field: str) -> None:
    response = client.put(f"/api/admin/dossiers/{code}", json=body(**changes), headers=AUTH)
    assert response.status_code == 422 and any(e.startswith(field) for e in response.json()["errors"])


def test_an_unknown_procedure_or_code_is_refused(client: httpx.Client, code: str) -> None:
    unknown = client.put(f"/api/admin/dossiers/{code}", json=body(procedure_code="9.999999"), headers=AUTH)
    assert unknown.status_code == 422 and "9.999999" in unknown.json()["detail"]
    bad_code = client.put("/api/admin/dossiers/not-a-code", json=body(), headers=AUTH)
    assert bad_code.status_code == 422 and "not-a-code" in bad_code.json()["detail"]


def test_a_status_change_reaches_the_subscribed_telegram_chat(client: httpx.Client, gateway_app: RunningApp,
                                                              fake_telegram: tuple[FakeTelegram, str],
                                                              code: str) -> None:
    telegram, _ = fake_telegram
    chat = str(random.randrange(10**8, 10**9))
    assert client.put(f"/api/admin/dossiers/{code}", json=body(), headers=AUTH).status_code == 201
    gateway_app.call(lambda: DossierAccessStore(gateway_app.services.db).subscribe("telegram", chat, code, NOW))
    ready = client.put(f"/api/admin/dossiers/{code}", json=body(status="result_ready"), headers=AUTH)
    assert ready.json()["notifications"] == 1
    sent = wait_for(lambda: telegram.sent_to(int(chat)))
    text = sent[0]["text"]
    assert f"Hồ sơ {code}" in text and "vừa có cập nhật" in text and "đã có kết quả" in text
    assert "Trần T. B." in text and "Trần Thị Bình" not in text and "0987" not in text


def test_a_status_change_reaches_the_web_chat_stream(client: httpx.Client, gateway_app: RunningApp,
                                                     code: str) -> None:
    sender = client.post("/api/chat", json={"text": "a" * 2000}).json()["sender_id"]
    assert client.put(f"/api/admin/dossiers/{code}", json=body(), headers=AUTH).status_code == 201
    gateway_app.call(lambda: DossierAccessStore(gateway_app.services.db).subscribe("web", sender, code, NOW))
    client.put(f"/api/admin/dossiers/{code}", json=body(status="need_supplement", note="Thiếu ảnh"), headers=AUTH)
    pushed = wait_for(lambda: client.get(f"/api/chat/{sender}/messages").json()["messages"])
    assert "cần bổ sung" in pushed[0]["text"] and "Thiếu ảnh" in pushed[0]["text"]
