"""Gateway behaviour that does not need Rasa: validation, lookups, and degraded health."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.app import create_app
from channels.conversation import UNAVAILABLE_REPLY
from scripts.stack import free_port
from settings import SETTINGS
from storage import open_conversation_store


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gateway") / "gateway.db"


@pytest.fixture(scope="module")
def client(db_path: Path) -> TestClient:
    # Nothing listens on this port: the gateway must degrade, not crash.
    settings = replace(SETTINGS, rasa_url=f"http://127.0.0.1:{free_port()}", rasa_timeout=2,
                       database_url=f"sqlite:///{db_path}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_health_reports_rasa_down_with_503(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["components"]["rasa"]["ok"] is False
    assert body["components"]["knowledge_base"]["ok"] is True
    assert body["components"]["database"]["ok"] is True


def test_chat_when_rasa_is_down_apologises_and_keeps_the_question(client: TestClient, db_path: Path) -> None:
    response = client.post("/api/chat", json={"sender_id": "offline-user", "text": "lệ phí làm hộ chiếu"})
    assert response.status_code == 200
    assert response.json()["messages"][0]["text"] == UNAVAILABLE_REPLY
    logged = open_conversation_store(f"sqlite:///{db_path}").history("web", "offline-user")
    assert [(m.direction, m.text) for m in logged] == [("in", "lệ phí làm hộ chiếu"), ("out", UNAVAILABLE_REPLY)]


@pytest.mark.parametrize("body", [
    {"sender_id": "u1"},                                  # no text
    {"sender_id": "u1", "text": ""},                     # empty text
    {"sender_id": "", "text": "xin chào"},               # empty sender
    {"sender_id": "bad id with spaces", "text": "hi"},   # unsafe sender id
    {"sender_id": "u1", "text": 42},                     # wrong type
    [],                                                  # not an object
])
def test_chat_rejects_malformed_requests_with_a_reason(client: TestClient, body: object) -> None:
    response = client.post("/api/chat", json=body)
    assert response.status_code == 422
    assert response.json()["errors"]


def test_chat_rejects_invalid_json(client: TestClient) -> None:
    response = client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_overlong_message_gets_a_polite_answer_without_calling_rasa(client: TestClient) -> None:
    response = client.post("/api/chat", json={"sender_id": "u2", "text": "a" * (SETTINGS.max_message_chars + 1)})
    assert response.status_code == 200
    assert "ngắn gọn" in response.json()["messages"][0]["text"]


def test_procedure_lookup_and_unknown_code(client: TestClient) -> None:
    found = client.get("/api/procedures/1.001193")
    assert found.status_code == 200
    record = found.json()
    assert record["name"] == "Thủ tục đăng ký khai sinh"
    assert any("Giấy chứng sinh" in d["name"] for d in record["documents"])
    missing = client.get("/api/procedures/9.999999")
    assert missing.status_code == 404
    assert "9.999999" in missing.json()["detail"]


def test_search_api_returns_ranked_results(client: TestClient) -> None:
    response = client.get("/api/procedures/search", params={"q": "dang ky khai sinh", "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert 1 <= len(body["results"]) <= 5
    assert "1.001193" in [r["code"] for r in body["results"]]
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert body["took_ms"] >= 0


def test_search_filters_by_level(client: TestClient) -> None:
    body = client.get("/api/procedures/search", params={"q": "đăng ký kết hôn", "level": "Cấp xã"}).json()
    assert body["results"]
    assert all("Cấp xã" in r["levels"] for r in body["results"])


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "   "}, {"q": "khai sinh", "limit": 0}, {"q": "x", "limit": 500}])
def test_search_rejects_bad_parameters(client: TestClient, params: dict) -> None:
    assert client.get("/api/procedures/search", params=params).status_code == 422


def test_chat_page_and_widget_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "widget.js" in page.text
    assert client.get("/static/widget.js").status_code == 200
