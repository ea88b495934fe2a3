"""Faults with the real processes: Rasa killed mid-conversation, and the gateway restarted. Each test leaves the
shared stack healthy again."""
from __future__ import annotations

import asyncio

from channels.conversation import UNAVAILABLE_REPLY
from scripts.stack import Stack
from storage.conversations import ConversationLog
from storage.database import Database
from tests.integration.test_conversation import WebChat


def test_rasa_killed_mid_conversation_the_citizen_is_told_and_the_next_message_works(stack: Stack,
                                                                                   gateway_db: Database) -> None:
    web = WebChat(stack)
    assert web.say("đăng ký khai sinh cần giấy tờ gì")[0]["procedure_codes"][0] == "1.001193"
    for name in stack.rasa_names:                             # every Rasa server: whichever serves this citizen
        stack.kill(name)
    try:
        assert [m["text"] for m in web.say("lệ phí làm hộ chiếu bao nhiêu")] == [UNAVAILABLE_REPLY]
        logged = asyncio.run(ConversationLog(gateway_db).history("web", web.sender_id))
        assert ("in", "lệ phí làm hộ chiếu bao nhiêu") in [(m.direction, m.text) for m in logged]
    finally:
        for name in stack.rasa_names:
            stack.group.respawn(name)
        stack.wait_healthy()
    assert web.say("lệ phí làm hộ chiếu bao nhiêu")[0]["procedure_codes"]


def test_after_a_gateway_restart_the_conversation_continues(stack: Stack) -> None:
    web = WebChat(stack)
    assert web.say("đăng ký khai sinh cần giấy tờ gì")[0]["procedure_codes"][0] == "1.001193"
    stack.restart("gateway")
    fee = web.say("còn lệ phí thì sao")                       # same server-issued id, context from the tracker
    assert fee[0]["procedure_codes"] == ["1.001193"] and "miễn phí" in fee[0]["text"].lower()
