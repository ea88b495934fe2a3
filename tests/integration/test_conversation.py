"""A short conversation through POST /api/chat with the real Rasa server and the real gateway."""
from __future__ import annotations

import json
import uuid

import httpx
import pytest

from scripts.stack import Stack


def chat(stack: Stack, sender: str, text: str) -> list[dict]:
    response = httpx.post(stack.config.app_url + "/api/chat", json={"sender_id": sender, "text": text}, timeout=60)
    assert response.status_code == 200, response.text
    messages = response.json()["messages"]
    assert messages, f"no reply to {text!r}"
    return messages


def payload_code(payload: str) -> str:
    """The procedure a button payload (`/ask_procedure{...}`) selects."""
    return json.loads(payload[payload.index("{"):])["procedure_code"]


@pytest.fixture
def sender() -> str:
    return "it-" + uuid.uuid4().hex[:8]


def test_health_is_ok_when_everything_runs(stack: Stack) -> None:
    body = httpx.get(stack.config.app_url + "/health", timeout=10).json()
    assert body["status"] == "ok"
    assert body["components"]["knowledge_base"]["procedures"] == 2642


def test_greeting_then_documents_then_followup_fee(stack: Stack, sender: str) -> None:
    greeting = chat(stack, sender, "xin chào")
    assert "chào" in greeting[0]["text"].lower()
    assert all(m["procedure_codes"] == [] for m in greeting)

    answer = chat(stack, sender, "đăng ký khai sinh cần giấy tờ gì")
    assert answer[0]["procedure_codes"][0] == "1.001193"
    assert "Giấy chứng sinh" in answer[0]["text"]
    assert "https://dichvucong.gov.vn/" in answer[0]["text"]

    fee = chat(stack, sender, "còn lệ phí thì sao")
    assert fee[0]["procedure_codes"] == ["1.001193"]
    assert "phí" in fee[0]["text"].lower()


def test_unaccented_question_is_understood(stack: Stack, sender: str) -> None:
    answer = chat(stack, sender, "dang ky khai sinh can giay to gi")
    assert answer[0]["procedure_codes"] == ["1.001193"]
    assert "Giấy chứng sinh" in answer[0]["text"]


def test_out_of_scope_gets_a_polite_refusal_that_says_what_it_can_do(stack: Stack, sender: str) -> None:
    reply = chat(stack, sender, "tối nay đội tuyển Việt Nam đá với ai")
    text = " ".join(m["text"] for m in reply).lower()
    assert "thủ tục" in text
    assert all(m["procedure_codes"] == [] for m in reply)


def test_clarifying_buttons_continue_the_conversation(stack: Stack, sender: str) -> None:
    # "chứng thực" alone fits many procedures (copies, signatures, wills, contracts...): the assistant asks.
    reply = chat(stack, sender, "chứng thực")
    question = next(m for m in reply if m["buttons"])
    assert len(question["buttons"]) >= 2
    assert set(question["procedure_codes"]) >= {payload_code(b["payload"]) for b in question["buttons"]}
    follow = chat(stack, sender, question["buttons"][1]["payload"])
    assert follow[0]["procedure_codes"] == [payload_code(question["buttons"][1]["payload"])]
    assert "https://dichvucong.gov.vn/" in follow[0]["text"]


def test_human_handover_and_dossier_status_are_answered_politely(stack: Stack, sender: str) -> None:
    human = chat(stack, sender, "cho tôi nói chuyện với cán bộ")
    assert "1800 1096" in human[0]["text"] or "18001096" in human[0]["text"]
    dossier = chat(stack, sender, "hồ sơ H45.22-231015-0012 của tôi tới đâu rồi")
    assert "dichvucong.gov.vn" in " ".join(m["text"] for m in dossier)
