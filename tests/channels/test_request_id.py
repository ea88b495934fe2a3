"""The request id through the real gateway app (Rasa stalls in this suite): web chat, and the Zalo and Telegram
webhooks, whose messages are handled after the request has been answered, in tasks of their own."""
from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from channels.logs import JsonFormatter, RequestIdFilter
from channels.request_id import HEADER
from channels.zalo.signature import zalo_signature
from tests.channels.conftest import TELEGRAM_SECRET, ZALO_OA_SECRET
from tests.fakes.app import RunningApp
from tests.fakes.server import wait_for
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo


class Lines(logging.Handler):
    """The gateway's log lines as JSON objects, formatted when made (in the server's thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def of(self, request_id: str) -> list[dict]:
        return [line for line in list(self.lines) if line.get("request_id") == request_id]

    def said(self, request_id: str, msg: str) -> list[dict]:
        return [line for line in self.of(request_id) if line["msg"] == msg]


@pytest.fixture
def lines(gateway_app: RunningApp) -> Iterator[Lines]:
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def fresh_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def test_web_chat_lines_carry_the_callers_id_and_never_the_words(client: httpx.Client, lines: Lines) -> None:
    request_id, words = fresh_id("web"), f"lệ phí làm hộ chiếu cho Trần Thị Bình {random.randrange(10**9)}"
    response = client.post("/api/chat", json={"text": words}, headers={HEADER: request_id})
    assert response.status_code == 200 and response.headers[HEADER] == request_id
    sender_id = response.json()["sender_id"]
    wait_for(lambda: lines.said(request_id, "request done"))
    [entry] = lines.said(request_id, "message in")
    assert entry["channel"] == "web" and entry["chars"] == len(words)
    assert lines.said(request_id, "replies out")[0]["replies"] == 1
    assert lines.said(request_id, "request done")[0]["route"] == "/api/chat"
    assert any(line["logger"] == "channels.dialogue" for line in lines.of(request_id))     # Rasa stalled: logged
    everything = json.dumps(lines.lines, ensure_ascii=False)
    assert words not in everything and "Trần Thị Bình" not in everything and sender_id not in everything


def test_an_unsafe_id_is_replaced_by_a_fresh_one(client: httpx.Client) -> None:
    response = client.get("/health/live", headers={HEADER: "../../etc/passwd\u00e9".encode()})
    assert len(response.headers[HEADER]) == 16 and "passwd" not in response.headers[HEADER]


def test_a_zalo_event_is_handled_in_the_background_with_the_webhooks_id(client: httpx.Client, lines: Lines,
                                                                       fake_zalo: tuple[FakeZalo, str]) -> None:
    zalo, user, request_id = fake_zalo[0], str(uuid.uuid4().int)[:18], fresh_id("zalo")
    body = {"app_id": zalo.app_id, "event_name": "user_send_image", "timestamp": str(int(time.time() * 1000)),
            "sender": {"id": user}, "recipient": {"id": "388613280878808645"},
            "message": {"msg_id": uuid.uuid4().hex, "text": ""}}
    raw = json.dumps(body).encode()
    signature = "mac=" + zalo_signature(zalo.app_id, raw, body["timestamp"], ZALO_OA_SECRET)
    response = client.post("/channels/zalo/webhook", content=raw, headers={
        "Content-Type": "application/json", "X-ZEvent-Signature": signature, HEADER: request_id})
    assert response.json() == {"message": "ok"} and response.headers[HEADER] == request_id
    wait_for(lambda: zalo.texts_to(user))
    [out] = wait_for(lambda: lines.said(request_id, "replies out"))       # after the webhook's answer
    assert out["channel"] == "zalo" and lines.said(request_id, "message in")[0]["event"] == "attachment"
    assert user not in json.dumps(lines.lines)


def test_a_telegram_update_is_handled_by_the_bot_with_the_webhooks_id(client: httpx.Client, lines: Lines,
                                                                       fake_telegram: tuple[FakeTelegram, str]) -> None:
    telegram, chat, request_id = fake_telegram[0], random.randrange(10**8, 10**9), fresh_id("tg")
    words = f"làm lại căn cước bị mất {random.randrange(10**9)}"
    response = client.post("/channels/telegram/webhook", json=telegram.text_update(chat, words),
                           headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, HEADER: request_id})
    assert response.json() == {"status": "ok"} and response.headers[HEADER] == request_id
    [out] = wait_for(lambda: lines.said(request_id, "replies out"))     # Rasa stalls: the polite apology
    assert out["channel"] == "telegram" and lines.said(request_id, "message in")[0]["chars"] == len(words)
    everything = json.dumps(lines.lines, ensure_ascii=False)
    assert words not in everything and str(chat) not in everything
