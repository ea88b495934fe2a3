"""Handing a citizen to an officer with the real Rasa server and gateway: web chat and Telegram, the silence while
an officer holds the conversation, hand-back, a second handover, two officers claiming at once, and the offer
after two answers that found nothing."""
from __future__ import annotations

import uuid

import httpx
import pytest

from handover.desk import CLAIMED_TEXT, OFFICER_PREFIX, RELEASED_TEXT
from scripts.stack import Stack
from tests.fakes.server import wait_for
from tests.integration.conftest import STAFF_ADMIN, TELEGRAM_SECRET
from tests.integration.test_conversation import WebChat

OFFICER_B = ("it.officer.b." + uuid.uuid4().hex[:8], "it-officer-b-password")     # new to this stack


def staff_client(stack: Stack, who: tuple[str, str]) -> httpx.Client:
    client = httpx.Client(base_url=stack.config.app_url, timeout=30)
    login = client.post("/api/staff/login", json={"username": who[0], "password": who[1]})
    assert login.status_code == 200, login.text
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return client


@pytest.fixture(scope="module")
def officers(stack: Stack):  # type: ignore[no-untyped-def]
    a = staff_client(stack, STAFF_ADMIN)
    created = a.post("/api/staff/users", json={"username": OFFICER_B[0], "password": OFFICER_B[1], "role": "officer"})
    assert created.status_code == 201, created.text
    b = staff_client(stack, OFFICER_B)
    yield a, b
    a.close()
    b.close()


def pushed(stack: Stack, web: WebChat) -> list[str]:
    response = httpx.get(f"{stack.config.app_url}/api/chat/{web.sender_id}/messages", timeout=10)
    return [m["text"] for m in response.json()["messages"]]


def open_request(officer: httpx.Client, channel: str) -> dict:
    return next(h for h in officer.get("/api/staff/handoffs").json() if h["channel"] == channel
                and h["status"] == "waiting")


def test_web_handover_round_trip_with_silence_and_hand_back(stack: Stack, officers) -> None:  # type: ignore[no-untyped-def]
    a, b = officers
    a.get("/api/staff/handoffs")                                    # an officer is online
    web = WebChat(stack)
    asked = web.say("cho tôi nói chuyện với cán bộ")
    assert "vị trí số" in asked[0]["text"]
    handoff = open_request(a, "web")
    assert a.post(f"/api/staff/handoffs/{handoff['id']}/claim").status_code == 200
    refused = b.post(f"/api/staff/handoffs/{handoff['id']}/claim")
    assert refused.status_code == 409 and STAFF_ADMIN[0] in refused.json()["detail"]
    assert wait_for(lambda: pushed(stack, web)) == [CLAIMED_TEXT]

    silent = httpx.post(f"{stack.config.app_url}/api/chat", json={"sender_id": web.sender_id,
                                                                  "text": "lệ phí làm hộ chiếu bao nhiêu"}, timeout=30)
    assert silent.status_code == 200 and silent.json()["messages"] == []                # the assistant says nothing
    seen = a.get(f"/api/staff/handoffs/{handoff['id']}").json()["messages"]
    assert seen[-1] == {**seen[-1], "direction": "in", "text": "lệ phí làm hộ chiếu bao nhiêu"}
    assert a.post(f"/api/staff/handoffs/{handoff['id']}/messages", json={"text": "Lệ phí là 200.000 đồng ạ."}
                  ).status_code == 201
    assert b.post(f"/api/staff/handoffs/{handoff['id']}/messages", json={"text": "xen vào"}).status_code == 409
    wait_for(lambda: OFFICER_PREFIX + "Lệ phí là 200.000 đồng ạ." in pushed(stack, web))

    assert a.post(f"/api/staff/handoffs/{handoff['id']}/release").status_code == 200
    right_after = web.say("đăng ký khai sinh cần giấy tờ gì")                           # not lost after hand-back
    assert right_after[0]["procedure_codes"][0] == "1.001193"
    assert RELEASED_TEXT in pushed(stack, web)

    again = web.say("tôi muốn gặp tư vấn viên")                                          # a second handover
    assert "vị trí số" in again[0]["text"]
    assert open_request(a, "web")["id"] != handoff["id"]


def test_telegram_handover_round_trip(stack: Stack, telegram_server, officers) -> None:  # type: ignore[no-untyped-def]
    telegram, _ = telegram_server
    a, _ = officers
    chat = int(str(uuid.uuid4().int)[:9])

    def post(update: dict) -> None:
        assert httpx.post(stack.config.app_url + "/channels/telegram/webhook", json=update, timeout=10,
                          headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}).status_code == 200

    post(telegram.text_update(chat, "cho tôi gặp cán bộ"))
    assert "vị trí số" in wait_for(lambda: telegram.sent_to(chat))[0]["text"]
    handoff = open_request(a, "telegram")
    a.post(f"/api/staff/handoffs/{handoff['id']}/claim")
    wait_for(lambda: len(telegram.sent_to(chat)) == 2)
    typing_before = len([c for c in telegram.called("sendChatAction") if c["chat_id"] in (chat, str(chat))])
    post(telegram.text_update(chat, "lệ phí cấp hộ chiếu"))
    wait_for(lambda: any(m["text"] == "lệ phí cấp hộ chiếu" for m in a.get(
        f"/api/staff/handoffs/{handoff['id']}").json()["messages"]))
    a.post(f"/api/staff/handoffs/{handoff['id']}/messages", json={"text": "Dạ, 200.000 đồng."})
    sent = wait_for(lambda: telegram.sent_to(chat)[2:])
    assert sent[0]["text"] == OFFICER_PREFIX + "Dạ, 200.000 đồng."
    assert len(telegram.sent_to(chat)) == 3                                              # no assistant reply
    assert len([c for c in telegram.called("sendChatAction") if c["chat_id"] in (chat, str(chat))]) == typing_before
    a.post(f"/api/staff/handoffs/{handoff['id']}/close")


def test_two_answers_that_found_nothing_offer_an_officer(stack: Stack) -> None:
    web = WebChat(stack)
    first = web.say("con mèo nhà tôi bị lạc thì làm thủ tục gì")
    assert not any(b["title"] == "Gặp cán bộ tư vấn" for m in first for b in m["buttons"])
    second = web.say("cái ấm siêu tốc bị hỏng bảo hành ở đâu")
    offer = next(b for m in second for b in m["buttons"] if b["title"] == "Gặp cán bộ tư vấn")
    assert "vị trí số" in web.say(offer["payload"])[0]["text"]
