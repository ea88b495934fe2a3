"""Dossier status through POST /api/chat with the real Rasa server: the form asks for the code and the phone
digits, the status appears only after the right digits, and the citizen can subscribe to changes. A photo of the
slip (POST /api/chat/photo) starts the same lookup."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import yaml

from scripts.stack import Stack
from tests.fakes.server import wait_for
from tests.integration.conftest import ADMIN_TOKEN, register_dossier
from tests.integration.test_conversation import WebChat
from tools.slip_photos import slip_photo

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot" / "domain.yml").read_text(encoding="utf-8"))
NOW = datetime.now(timezone.utc)


@pytest.fixture
def dossier(stack: Stack) -> str:
    """A dossier registered through the admin API; its phone ends in 4821."""
    return register_dossier(stack, NOW)


def text_of(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def test_the_status_appears_only_after_the_right_digits(stack: Stack, dossier: str) -> None:
    web = WebChat(stack)
    typed = dossier.lower().replace("-", " – ")
    ask = text_of(web.say(f"hồ sơ {typed} của tôi tới đâu rồi"))
    assert ask == DOMAIN["responses"]["utter_ask_dossier_phone_digits"][0]["text"].replace("{dossier_code}", dossier)
    wrong = text_of(web.say("1234"))
    assert "chưa khớp" in wrong and "Phạm" not in wrong and "Thẩm định" not in wrong
    status = text_of(web.say("số cuối là 4821"))
    assert f"Hồ sơ {dossier}" in status and "Phạm M. C." in status and "Phạm Minh Châu" not in status
    assert "Hồ sơ đang chậm 1 ngày ở khâu thẩm định hồ sơ (Phòng Tư pháp)." in status
    assert "0903" not in status


def test_without_a_code_the_assistant_asks_where_to_find_it_then_continues(stack: Stack, dossier: str) -> None:
    web = WebChat(stack)
    ask = web.say("tra cứu tình trạng hồ sơ của tôi")
    assert text_of(ask) == DOMAIN["responses"]["utter_ask_dossier_code"][0]["text"]
    assert "4 số cuối" in text_of(web.say(f"mã của tôi là {dossier}"))
    assert f"Hồ sơ {dossier}" in text_of(web.say("4821"))


def test_a_procedure_question_leaves_the_form(stack: Stack) -> None:
    web = WebChat(stack)
    web.say("tra cứu hồ sơ")
    answer = web.say("đăng ký khai sinh cần giấy tờ gì")
    assert answer[0]["procedure_codes"][0] == "1.001193"


def test_subscribe_by_button_and_get_the_change_on_the_web_stream(stack: Stack, dossier: str) -> None:
    web = WebChat(stack)
    web.say(f"hồ sơ {dossier} tới đâu rồi")
    status = web.say("4821")
    button = next(b for m in status for b in m["buttons"] if b["title"] == "Báo cho tôi khi có kết quả")
    assert "sẽ báo anh/chị" in text_of(web.say(button["payload"]))
    body = httpx.put(f"{stack.config.app_url}/api/admin/dossiers/{dossier}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                     json={"procedure_code": "1.001193", "applicant_name": "Phạm Minh Châu", "phone": "0903 114 821",
                           "received_at": (NOW - timedelta(days=3)).isoformat(),
                           "due_at": (NOW + timedelta(days=2)).isoformat(), "status": "result_ready",
                           "current_office": "UBND phường Lộc Thọ", "delivery_method": "at_centre"}, timeout=30)
    assert body.json()["notifications"] == 1
    pushed = wait_for(lambda: httpx.get(f"{stack.config.app_url}/api/chat/{web.sender_id}/messages",
                                        timeout=10).json()["messages"])
    assert "vừa có cập nhật" in pushed[0]["text"] and "đã có kết quả" in pushed[0]["text"]
    assert "đã dừng gửi thông báo" in text_of(web.say("hủy theo dõi"))


def send_photo(web: WebChat, photo: bytes) -> list[dict]:
    params = {"sender_id": web.sender_id} if web.sender_id else {}
    response = httpx.post(f"{web.url}/api/chat/photo", params=params, content=photo,
                          headers={"Content-Type": "image/jpeg"}, timeout=60)
    assert response.status_code == 200, response.text
    web.sender_id = response.json()["sender_id"]
    return response.json()["messages"]


def test_a_photo_of_the_slip_starts_the_lookup_exactly_as_a_typed_code(stack: Stack, dossier: str) -> None:
    web = WebChat(stack)
    photo = slip_photo("qr", random.Random(dossier), code=dossier).jpeg
    messages = send_photo(web, photo)
    assert messages[0]["text"] == f"Dạ, em đọc được mã hồ sơ {dossier} trên ảnh phiếu hẹn."
    ask = text_of(messages[1:])
    assert ask == DOMAIN["responses"]["utter_ask_dossier_phone_digits"][0]["text"].replace("{dossier_code}", dossier)
    assert "Phạm" not in text_of(messages) and "Thẩm định" not in text_of(messages)   # nothing personal before
    status = text_of(web.say("4821"))
    assert f"Hồ sơ {dossier}" in status and "Phạm M. C." in status

