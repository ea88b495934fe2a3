"""The gateway on a port with a dialogue engine that never answers in time: validation, web sessions, pushed
messages, lookups, and degraded health."""
from __future__ import annotations

import json
import time

import httpx
import pytest

from channels.conversation import UNAVAILABLE_REPLY
from replies.model import Reply
from settings import SETTINGS
from storage.conversations import ConversationLog
from tests.fakes.app import RunningApp


def start(client: httpx.Client, text: str = "xin chào") -> tuple[str, list[dict]]:
    response = client.post("/api/chat", json={"text": text})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["sender_id"], body["messages"]


def test_health_reports_rasa_down_with_503(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["components"]["rasa"]["ok"] is False
    assert body["components"]["knowledge_base"]["ok"] is True
    assert body["components"]["database"]["ok"] is True
    assert set(body["channels"]) == {"web", "zalo", "telegram"}


def test_the_schema_documents_the_503_of_the_health_probes(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "503" in paths["/health"]["get"]["responses"] and "503" in paths["/health/ready"]["get"]["responses"]


def test_a_conversation_starts_without_an_id_and_the_server_issues_one(client: httpx.Client,
                                                                        gateway_app: RunningApp) -> None:
    sender, messages = start(client, "lệ phí làm hộ chiếu")
    assert len(sender) >= 32 and messages[0]["text"] == UNAVAILABLE_REPLY
    again = client.post("/api/chat", json={"sender_id": sender, "text": "còn thời gian?"})
    assert again.status_code == 200 and again.json()["sender_id"] == sender
    log = gateway_app.call(lambda: ConversationLog(gateway_app.services.db).history("web", sender))
    assert [(m.direction, m.text) for m in log] == [("in", "lệ phí làm hộ chiếu"), ("out", UNAVAILABLE_REPLY),
                                                    ("in", "còn thời gian?"), ("out", UNAVAILABLE_REPLY)]


@pytest.mark.parametrize("forged", ["w-lq1x2-abcdefgh12345", "A" * 32])
def test_an_id_the_server_did_not_issue_is_refused_with_a_reason(client: httpx.Client, forged: str) -> None:
    for response in (client.post("/api/chat", json={"sender_id": forged, "text": "xin chào"}),
                     client.get(f"/api/chat/{forged}/messages")):
        assert response.status_code == 403
        assert "Phiên trò chuyện không hợp lệ" in response.json()["detail"]


@pytest.mark.parametrize("body", [
    {"sender_id": None},                                 # no text
    {"text": ""},                                        # empty text
    {"sender_id": "", "text": "xin chào"},               # empty sender
    {"sender_id": "bad id with spaces", "text": "hi"},   # unsafe sender id
    {"text": 42},                                        # wrong type
    [],                                                  # not an object
])
def test_chat_rejects_malformed_requests_with_a_reason(client: httpx.Client, body: object) -> None:
    response = client.post("/api/chat", json=body)
    assert response.status_code == 422
    assert response.json()["errors"]


def test_chat_rejects_invalid_json(client: httpx.Client) -> None:
    response = client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_overlong_message_gets_a_polite_answer_without_calling_rasa(client: httpx.Client) -> None:
    started = time.monotonic()
    _, messages = start(client, "a" * (SETTINGS.max_message_chars + 1))
    assert "ngắn gọn" in messages[0]["text"]
    assert time.monotonic() - started < 2           # Rasa would have made it wait 3 s


def test_pushed_messages_reach_the_poll_route_and_the_event_stream(client: httpx.Client,
                                                                   gateway_app: RunningApp) -> None:
    sender, _ = start(client, "a" * (SETTINGS.max_message_chars + 1))
    assert client.get(f"/api/chat/{sender}/messages").json() == {"messages": []}
    with client.stream("GET", f"/api/chat/{sender}/events", timeout=20) as stream:
        lines = (line for line in stream.iter_lines() if line and not line.startswith(":"))   # fields only
        assert next(lines).startswith("retry:")
        gateway_app.call(lambda: gateway_app.services.outbound.push(
            "web", sender, [Reply.plain("Hồ sơ của anh/chị đã có kết quả.")]))
        event = [next(lines) for _ in range(2)]
    assert event[0].startswith("id: ")
    data = json.loads(event[1].removeprefix("data: "))
    assert data["text"] == "Hồ sơ của anh/chị đã có kết quả." and data["id"] == int(event[0][4:])
    polled = client.get(f"/api/chat/{sender}/messages", params={"after": 0}).json()["messages"]
    assert [m["text"] for m in polled] == ["Hồ sơ của anh/chị đã có kết quả."]
    assert client.get(f"/api/chat/{sender}/messages", params={"after": polled[0]["id"]}).json()["messages"] == []


def test_a_cursor_past_what_the_database_holds_is_refused_not_a_crash(client: httpx.Client) -> None:
    sender, _ = start(client, "a" * (SETTINGS.max_message_chars + 1))
    polled = client.get(f"/api/chat/{sender}/messages", params={"after": 2**63})    # overflowed SQLite: a 500 before
    assert polled.status_code == 422 and polled.json()["errors"][0].startswith("after:")
    streamed = client.get(f"/api/chat/{sender}/events", headers={"Last-Event-ID": str(2**63)}, timeout=10)
    assert streamed.status_code == 422 and streamed.json()["detail"] == "Yêu cầu không hợp lệ."


def test_procedure_lookup_and_unknown_code(client: httpx.Client) -> None:
    found = client.get("/api/procedures/1.001193")
    assert found.status_code == 200
    record = found.json()
    assert record["name"] == "Thủ tục đăng ký khai sinh"
    assert any("Giấy chứng sinh" in d["name"] for d in record["documents"])
    missing = client.get("/api/procedures/9.999999")
    assert missing.status_code == 404
    assert "9.999999" in missing.json()["detail"]


def test_search_api_returns_ranked_results(client: httpx.Client) -> None:
    response = client.get("/api/procedures/search", params={"q": "dang ky khai sinh", "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert 1 <= len(body["results"]) <= 5
    assert "1.001193" in [r["code"] for r in body["results"]]
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert body["took_ms"] >= 0


def test_search_filters_by_level(client: httpx.Client) -> None:
    body = client.get("/api/procedures/search", params={"q": "đăng ký kết hôn", "level": "Cấp xã"}).json()
    assert body["results"]
    assert all("Cấp xã" in r["levels"] for r in body["results"])


@pytest.mark.parametrize("params", [{"q": ""}, {"q": "   "}, {"q": "khai sinh", "limit": 0}, {"q": "x", "limit": 500}])
def test_search_rejects_bad_parameters(client: httpx.Client, params: dict) -> None:
    assert client.get("/api/procedures/search", params=params).status_code == 422


def test_unknown_routes_answer_in_vietnamese(client: httpx.Client) -> None:
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404 and response.json()["detail"] == "Không tìm thấy địa chỉ này."


def test_chat_page_and_widget_are_served(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "widget.js" in page.text
    assert client.get("/static/widget.js").status_code == 200


def test_cors_is_closed_by_default(client: httpx.Client) -> None:
    response = client.options("/api/chat", headers={"Origin": "https://example.org",
                                                    "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in response.headers
