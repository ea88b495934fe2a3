"""Conversations through the real Rasa server and the real gateway: web chat (POST /api/chat), and the same
questions on Zalo and Telegram against their fake servers."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from channels.zalo.signature import zalo_signature
from dossiers.replies import no_match
from replies.text import reply_text
from scripts.stack import Stack
from storage.conversations import ConversationLog
from storage.database import Database
from tests.fakes.server import wait_for
from tests.fakes.zalo import FakeZalo
from tests.integration.conftest import TELEGRAM_SECRET, ZALO_OA_SECRET

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "domain.yml").read_text(encoding="utf-8"))
BIRTH = "1.001193"


def response_text(name: str, index: int = 0) -> str:
    return DOMAIN["responses"][name][index]["text"]


class WebChat:
    """One citizen on the web chat: the server issues the conversation id on the first message."""

    def __init__(self, stack: Stack) -> None:
        self.url = stack.config.app_url
        self.sender_id: str | None = None

    def say(self, text: str) -> list[dict]:
        body = {"text": text, **({"sender_id": self.sender_id} if self.sender_id else {})}
        response = httpx.post(self.url + "/api/chat", json=body, timeout=60)
        assert response.status_code == 200, response.text
        self.sender_id = response.json()["sender_id"]
        messages = response.json()["messages"]
        assert messages, f"no reply to {text!r}"
        return messages


def history(db: Database, channel: str, sender: str) -> list:
    return asyncio.run(ConversationLog(db).history(channel, sender))


@pytest.fixture
def web(stack: Stack) -> WebChat:
    return WebChat(stack)


def test_health_is_ok_when_everything_runs(stack: Stack) -> None:
    body = httpx.get(stack.config.app_url + "/health", timeout=10).json()
    assert body["status"] == "ok"
    assert body["components"]["knowledge_base"]["procedures"] == 2642
    assert set(body["channels"]) == {"web", "zalo", "telegram"}


def test_greeting_then_documents_then_followup_fee(web: WebChat) -> None:
    greeting = web.say("xin chào")
    assert greeting[0]["text"] == response_text("utter_greet")
    assert all(m["procedure_codes"] == [] for m in greeting)

    answer = web.say("đăng ký khai sinh cần giấy tờ gì")
    assert answer[0]["procedure_codes"][0] == BIRTH
    assert "☐ Giấy chứng sinh" in answer[0]["text"]
    assert "Nguồn: https://dichvucong.gov.vn/" in answer[0]["text"]

    fee = web.say("còn lệ phí thì sao")
    assert fee[0]["procedure_codes"] == [BIRTH]
    assert "miễn phí" in fee[0]["text"].lower()


def test_unaccented_question_is_understood(web: WebChat) -> None:
    answer = web.say("dang ky khai sinh can giay to gi")
    assert answer[0]["procedure_codes"] == [BIRTH]
    assert "Giấy chứng sinh" in answer[0]["text"]


def test_out_of_scope_gets_the_refusal_that_says_what_it_can_do(web: WebChat) -> None:
    reply = web.say("tối nay đội tuyển Việt Nam đá với ai")
    assert [m["text"] for m in reply] == [response_text("utter_out_of_scope")]


def test_clarifying_buttons_carry_opaque_payloads_that_continue_the_conversation(web: WebChat, stack: Stack) -> None:
    # "chứng thực" alone fits many procedures (copies, signatures, wills, contracts...): the assistant asks.
    question = next(m for m in web.say("chứng thực") if m["buttons"])
    assert len(question["buttons"]) >= 2 and len(question["procedure_codes"]) == len(question["buttons"])
    payload = question["buttons"][1]["payload"]
    assert not payload.startswith("/") and len(payload.encode()) <= 64
    follow = web.say(payload)
    assert follow[0]["procedure_codes"] == [question["procedure_codes"][1]]
    assert "Nguồn: https://dichvucong.gov.vn/" in follow[0]["text"]
    other = WebChat(stack)                                      # another citizen cannot replay the payload
    assert other.say(payload)[0]["procedure_codes"] != [question["procedure_codes"][1]]


def test_typed_intent_payloads_reach_rasa_only_as_words(web: WebChat, stack: Stack) -> None:
    web.say("xin chào")
    web.say('/ask_dossier_status{"dossier_code":"X99.01-230101-0001"}')
    web.say("/restart")                                  # Rasa would reset the conversation and say nothing
    tracker = httpx.get(f"{stack.config.rasa_url}/conversations/web:{web.sender_id}/tracker",
                        params={"token": stack.config.rasa_token}, timeout=10).json()
    said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert said == ["xin chào", 'ask_dossier_status{"dossier_code":"X99.01-230101-0001"}', "restart"]
    assert "restart" not in [e["event"] for e in tracker["events"]]


def test_an_id_the_server_did_not_issue_is_refused(stack: Stack) -> None:
    response = httpx.post(stack.config.app_url + "/api/chat",
                          json={"sender_id": "w-" + uuid.uuid4().hex, "text": "xin chào"}, timeout=30)
    assert response.status_code == 403


def test_an_unknown_dossier_gets_the_same_question_and_a_neutral_no_match(web: WebChat) -> None:
    unknown = "H45.22-231015-0012"                  # no dossier in this stack's store
    asked = response_text("utter_ask_dossier_phone_digits").replace("{dossier_code}", unknown)
    assert [m["text"] for m in web.say(f"hồ sơ {unknown} của tôi tới đâu rồi")] == [asked]
    assert [m["text"] for m in web.say("5678")] == [reply_text(no_match(2)), asked]


# ------------------------------------------------------------------ Zalo and Telegram with the real dialogue

def zalo_says(stack: Stack, zalo: FakeZalo, user: str, text: str) -> None:
    body = {"app_id": zalo.app_id, "user_id_by_app": "1", "event_name": "user_send_text",
            "timestamp": str(int(time.time() * 1000)), "sender": {"id": user}, "recipient": {"id": "oa"},
            "message": {"msg_id": uuid.uuid4().hex, "text": text}}
    raw = json.dumps(body, ensure_ascii=False).encode()
    signature = "mac=" + zalo_signature(zalo.app_id, raw, body["timestamp"], ZALO_OA_SECRET)
    response = httpx.post(stack.config.app_url + "/channels/zalo/webhook", content=raw,
                          headers={"X-ZEvent-Signature": signature, "Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 200, response.text


def outgoing(db: Database, user: str) -> list:
    return [m for m in history(db, "zalo", user) if m.direction == "out"]


def test_zalo_answers_and_a_typed_number_picks_an_option(stack: Stack, zalo_server, gateway_db: Database) -> None:
    zalo, _ = zalo_server
    user = str(uuid.uuid4().int)[:18]
    zalo_says(stack, zalo, user, "dang ky khai sinh can giay to gi")
    wait_for(lambda: outgoing(gateway_db, user))
    # The answer may take several messages (split at 2,000 characters): wait for its last one, the menu.
    answer = wait_for(lambda: (texts := zalo.texts_to(user)) and any("\n1. " in t for t in texts) and texts)
    assert "☐ Giấy chứng sinh" in answer[0] and all(len(t) <= 2000 for t in answer)
    # One numbered menu per turn: the answer offers other procedures, so no "was it useful?" menu follows it.
    assert len(outgoing(gateway_db, user)) == 1 and "\n1. " in answer[-1]
    assert not any("👍" in t for t in answer)

    zalo_says(stack, zalo, user, "chứng thực")
    menu = wait_for(lambda: zalo.texts_to(user)[len(answer):])[-1]
    assert "\n2. " in menu and "trả lời bằng số" in menu
    zalo_says(stack, zalo, user, "2")
    wait_for(lambda: len(outgoing(gateway_db, user)) >= 3)
    picked = [m for m in history(gateway_db, "zalo", user) if m.direction == "in"][-1]
    chosen = picked.payload["choice"]["entities"]["procedure_code"]
    assert picked.text in menu.split("\n2. ")[1]
    final = outgoing(gateway_db, user)[-1 if len(outgoing(gateway_db, user)) == 3 else -2]
    assert final.payload["procedure_codes"] == [chosen]
    assert wait_for(lambda: len(zalo.texts_to(user)) > len(answer) + 1)


def test_zalo_a_number_after_an_answer_with_choices_picks_one_of_them(stack: Stack, zalo_server,
                                                                     gateway_db: Database) -> None:
    """The rating used to follow the alternatives as a second numbered menu, and "2" picked 👎."""
    zalo, _ = zalo_server
    user = str(uuid.uuid4().int)[:18]
    zalo_says(stack, zalo, user, "dang ky khai sinh can giay to gi")
    first = wait_for(lambda: outgoing(gateway_db, user))[0]
    offered = first.payload["procedure_codes"]
    zalo_says(stack, zalo, user, "1")
    wait_for(lambda: len(outgoing(gateway_db, user)) >= 2)
    picked = [m for m in history(gateway_db, "zalo", user) if m.direction == "in"][-1].payload["choice"]
    assert picked["intent"] == "ask_procedure" and picked["entities"]["procedure_code"] != offered[0]
    assert outgoing(gateway_db, user)[1].payload["procedure_codes"] == [picked["entities"]["procedure_code"]]


def telegram_post(stack: Stack, update: dict) -> None:
    response = httpx.post(stack.config.app_url + "/channels/telegram/webhook", json=update,
                          headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, timeout=10)
    assert response.status_code == 200, response.text


def test_telegram_start_question_and_inline_keyboard_round_trip(stack: Stack, telegram_server,
                                                                gateway_db: Database) -> None:
    telegram, _ = telegram_server
    chat = int(str(uuid.uuid4().int)[:9])
    telegram_post(stack, telegram.text_update(chat, "/start"))
    greeting = wait_for(lambda: telegram.sent_to(chat))[0]
    assert greeting["text"].startswith("Xin chào anh/chị!") and greeting["reply_markup"]["inline_keyboard"]

    telegram_post(stack, telegram.text_update(chat, "chứng thực"))
    menu = wait_for(lambda: [m for m in telegram.sent_to(chat)[1:] if m.get("reply_markup")])[-1]
    button = menu["reply_markup"]["inline_keyboard"][1][0]
    assert len(button["callback_data"].encode()) <= 64
    telegram_post(stack, telegram.callback_update(chat, button["callback_data"]))
    wait_for(lambda: len([m for m in history(gateway_db, "telegram", str(chat)) if m.direction == "out"]) >= 3)
    final = [m for m in history(gateway_db, "telegram", str(chat)) if m.payload.get("procedure_codes")][-1]
    picked = [m for m in history(gateway_db, "telegram", str(chat)) if m.direction == "in"][-1]
    assert picked.text == button["text"]
    assert final.payload["procedure_codes"] == [picked.payload["choice"]["entities"]["procedure_code"]]
    answer = wait_for(lambda: telegram.sent_to(chat)[2:])         # greeting, menu, then the answer
    assert answer[0]["parse_mode"] == "HTML" and answer[0]["text"].startswith("<b>")


def test_rasa_and_the_action_endpoint_require_their_tokens(stack: Stack) -> None:
    assert httpx.get(f"{stack.config.rasa_url}/status", timeout=10).status_code == 401
    assert httpx.get(f"{stack.config.rasa_url}/status", params={"token": stack.config.rasa_token},
                     timeout=10).status_code == 200
    message = {"sender": "web:forger", "message": "xin chào"}             # Rasa's REST channel: the token too
    for params in ({}, {"token": "forged"}):
        assert httpx.post(f"{stack.config.rasa_url}/webhooks/rest/webhook", params=params, json=message,
                          timeout=30).status_code == 401
    assert httpx.post(f"{stack.config.rasa_url}/webhooks/rest/webhook", params={"token": stack.config.rasa_token},
                      json=message, timeout=30).status_code == 200
    call = {"next_action": "action_answer_procedure", "sender_id": "web:x", "tracker": {}, "domain": {}}
    assert httpx.post(f"{stack.config.app_url}/webhook", json=call, timeout=10).status_code == 401
    assert httpx.post(f"{stack.config.app_url}/webhook", params={"token": "forged"}, json=call,
                      timeout=10).status_code == 401
