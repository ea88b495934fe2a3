"""A citizen's request to be forgotten, with the real Rasa tracker store: an administrator deletes the
conversation and it is gone from the gateway and from Rasa."""
from __future__ import annotations

import asyncio

import httpx

from scripts.stack import Stack
from storage.conversations import ConversationLog
from storage.database import Database
from tests.integration.test_conversation import WebChat
from tests.integration.test_handover import staff_client
from tests.integration.conftest import STAFF_ADMIN


def test_an_administrator_deletes_a_conversation_everywhere(stack: Stack, gateway_db: Database) -> None:
    web = WebChat(stack)
    web.say("đăng ký khai sinh cần giấy tờ gì")
    tracker_url = f"{stack.config.rasa_url}/conversations/web:{web.sender_id}/tracker"
    token = {"token": stack.config.rasa_token}
    assert httpx.get(tracker_url, params=token, timeout=10).json()["events"]
    admin = staff_client(stack, STAFF_ADMIN)
    deleted = admin.delete(f"/api/staff/conversations/web/{web.sender_id}").json()
    assert deleted["messages"] >= 2 and deleted["rasa_tracker_events"] > 0 and deleted["web_sessions"] == 1
    assert asyncio.run(ConversationLog(gateway_db).history("web", web.sender_id)) == []
    assert not [e for e in httpx.get(tracker_url, params=token, timeout=10).json()["events"] if e["event"] == "user"]
    again = httpx.post(f"{stack.config.app_url}/api/chat", json={"sender_id": web.sender_id, "text": "xin chào"},
                       timeout=30)
    assert again.status_code == 403                                   # the session is gone too
    assert admin.get("/api/staff/audit", params={"subject": f"web:{web.sender_id}"[:64]}).json()[0]["action"] == \
        "forget_conversation"
    admin.close()
