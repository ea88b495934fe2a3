"""The gateway's inbound path (channels/conversation.py) with a recording stand-in for the dialogue engine:
what reaches Rasa, what is trusted, what the citizen always gets back."""
from __future__ import annotations

import asyncio

import pytest

from channels.conversation import (ATTACHMENT_REPLY, NOTHING_TO_SAY_REPLY, STALE_CHOICE_REPLY, TOO_LONG_REPLY,
                                   Gateway, as_words)
from channels.dialogue import DialogueUnavailable
from channels.schemas import InboundMessage
from handover.desk import HandoverDesk
from handover.hours import OfficeHours
from handover.store import HandoffStore
from replies.model import Choice, Reply
from replies.text import reply_text
from storage.choices import ChoiceStore
from storage.conversations import ConversationLog
from storage.database import Database

run = asyncio.run
FEE = Choice(title="Lệ phí khai sinh", intent="ask_procedure",
             entities={"procedure_code": "1.001193", "aspect": "fee"})


class RecordingDialogue:
    """Answers every message with `replies` (or raises) and remembers what it was sent."""

    def __init__(self, replies: list[Reply] | None = None, down: bool = False) -> None:
        self.sent: list[str] = []
        self.replies = [Reply.plain("Dạ, em trả lời.")] if replies is None else replies
        self.down = down

    async def send(self, conversation_id: str, text: str, channel: str) -> list[Reply]:
        self.sent.append(text)
        if self.down:
            raise DialogueUnavailable("down")
        return self.replies


@pytest.fixture
def dialogue() -> RecordingDialogue:
    return RecordingDialogue()


@pytest.fixture
def gateway(database: Database, dialogue: RecordingDialogue) -> Gateway:
    return Gateway(dialogue, ConversationLog(database), ChoiceStore(database), max_chars=100,  # type: ignore[arg-type]
                   numbered_channels=frozenset({"zalo"}))


def say(gateway: Gateway, channel: str, text: str = "", **fields: str) -> list[str]:
    replies = run(gateway.handle(InboundMessage(channel=channel, sender_id="u1", text=text, **fields)))
    assert replies, "the gateway must always answer"
    return [reply_text(r) for r in replies]


@pytest.mark.parametrize("typed, words", [
    ('/ask_dossier_status{"dossier_code":"X"}', 'ask_dossier_status{"dossier_code":"X"}'),
    ("/restart", "restart"),
    (" / /greet", "greet"),
    ("//ask_procedure{\"procedure_code\":\"1.001193\"}", "ask_procedure{\"procedure_code\":\"1.001193\"}"),
])
def test_typed_intent_payloads_reach_the_dialogue_as_words(gateway: Gateway, dialogue: RecordingDialogue,
                                                           typed: str, words: str) -> None:
    say(gateway, "web", typed)
    assert dialogue.sent == [words]
    assert not as_words(typed).startswith("/")


def test_an_issued_token_becomes_its_intent_and_is_logged_as_its_title(gateway: Gateway, database: Database,
                                                                      dialogue: RecordingDialogue) -> None:
    token, = run(ChoiceStore(database).issue("web:u1", [FEE]))
    say(gateway, "web", token)
    assert dialogue.sent == ['/ask_procedure{"procedure_code":"1.001193","aspect":"fee"}']
    logged = run(ConversationLog(database).history("web", "u1"))
    assert logged[0].text == "Lệ phí khai sinh" and logged[0].payload["choice"]["intent"] == "ask_procedure"


def test_a_token_issued_to_another_conversation_picks_nothing(gateway: Gateway, database: Database,
                                                             dialogue: RecordingDialogue) -> None:
    token, = run(ChoiceStore(database).issue("web:someone-else", [FEE]))
    assert say(gateway, "web", token) == [STALE_CHOICE_REPLY]
    assert dialogue.sent == []


@pytest.mark.parametrize("channel, tap", [("web", "text"), ("telegram", "payload")])
def test_a_second_tap_of_a_menu_picks_nothing(gateway: Gateway, database: Database, dialogue: RecordingDialogue,
                                              channel: str, tap: str) -> None:
    up, down = run(ChoiceStore(database).issue(f"{channel}:u1", [
        Choice(title="👍 Hữu ích", intent="rate_answer", entities={"rating": "up"}),
        Choice(title="👎 Chưa hữu ích", intent="rate_answer", entities={"rating": "down"})]))
    say(gateway, channel, **{tap: up})
    assert say(gateway, channel, **{tap: up}) == [STALE_CHOICE_REPLY]       # not a second rating
    assert say(gateway, channel, **{tap: down}) == [STALE_CHOICE_REPLY]
    assert dialogue.sent == ['/rate_answer{"rating":"up"}']


def test_an_unknown_tapped_payload_gets_a_polite_answer_without_the_dialogue(gateway: Gateway,
                                                                           dialogue: RecordingDialogue) -> None:
    assert say(gateway, "telegram", payload="c_forgedforged") == [STALE_CHOICE_REPLY]
    assert dialogue.sent == []


def test_a_text_choice_is_sent_as_words(gateway: Gateway, database: Database, dialogue: RecordingDialogue) -> None:
    token, = run(ChoiceStore(database).issue("telegram:u1", [Choice(title="Khai sinh", text="/greet khai sinh")]))
    say(gateway, "telegram", payload=token)
    assert dialogue.sent == ["greet khai sinh"]


def test_a_number_picks_from_the_newest_menu_only_on_numbered_channels(gateway: Gateway, database: Database,
                                                                       dialogue: RecordingDialogue) -> None:
    store = ChoiceStore(database)
    run(store.issue("zalo:u1", [Choice(title="A", text="hộ chiếu"), FEE]))
    run(store.issue("web:u1", [Choice(title="A", text="hộ chiếu"), FEE]))
    say(gateway, "zalo", "7")                      # not on the menu: just words
    say(gateway, "zalo", "2")
    say(gateway, "zalo", "số 1")                   # the menu was spent by the first pick: words
    run(store.issue("zalo:u1", [Choice(title="A", text="hộ chiếu"), FEE]))
    say(gateway, "zalo", "số 1")
    say(gateway, "web", "2")                       # the web shows buttons, a number is words
    assert dialogue.sent == ["7", '/ask_procedure{"procedure_code":"1.001193","aspect":"fee"}', "số 1", "hộ chiếu",
                             "2"]


def test_silence_from_the_dialogue_still_gets_an_answer(database: Database) -> None:
    gateway = Gateway(RecordingDialogue(replies=[]), ConversationLog(database), ChoiceStore(database), 100)  # type: ignore[arg-type]
    assert say(gateway, "web", "restart") == [NOTHING_TO_SAY_REPLY]


def test_dialogue_down_apologises_and_both_sides_are_logged(database: Database) -> None:
    gateway = Gateway(RecordingDialogue(down=True), ConversationLog(database), ChoiceStore(database), 100)  # type: ignore[arg-type]
    answer = say(gateway, "web", "lệ phí hộ chiếu")
    logged = run(ConversationLog(database).history("web", "u1"))
    assert [(m.direction, m.text) for m in logged] == [("in", "lệ phí hộ chiếu"), ("out", answer[0])]
    assert "hệ thống đang bận" in answer[0]


def test_overlong_text_is_refused_before_the_dialogue_and_stored_cut(gateway: Gateway, database: Database,
                                                                      dialogue: RecordingDialogue) -> None:
    assert say(gateway, "web", "a" * 5000) == [TOO_LONG_REPLY.format(limit=100)]
    assert dialogue.sent == []
    logged = run(ConversationLog(database).history("web", "u1"))[0]
    assert len(logged.text) == 100 and logged.payload == {"length": 5000}


def test_start_greets_through_the_dialogue_and_attachments_get_a_hint(gateway: Gateway,
                                                                      dialogue: RecordingDialogue) -> None:
    say(gateway, "telegram", event="start")
    assert dialogue.sent == ["/greet"]
    assert say(gateway, "zalo", "ảnh", event="attachment") == [ATTACHMENT_REPLY.format(what="ảnh")]
    assert dialogue.sent == ["/greet"]


def test_blank_text_is_answered_without_the_dialogue(gateway: Gateway, dialogue: RecordingDialogue) -> None:
    assert "vui lòng nhập câu hỏi" in say(gateway, "web", " / ")[0]
    assert dialogue.sent == []


def test_while_an_officer_holds_the_conversation_the_assistant_is_silent(database: Database,
                                                                        dialogue: RecordingDialogue) -> None:
    async def push(channel: str, sender_id: str, replies: list[Reply]) -> int:
        return 0

    desk = HandoverDesk(HandoffStore(database), OfficeHours.parse("Mon-Sun 00:00-23:59"), push)
    gateway = Gateway(dialogue, ConversationLog(database), ChoiceStore(database), 100, handover=desk)  # type: ignore[arg-type]
    run(desk.request("web:u1", "asked", None))
    handoff = run(desk.store.open_for("web", "u1"))
    run(desk.claim(handoff.id, "canbo.an"))
    message = InboundMessage(channel="web", sender_id="u1", text="còn lệ phí thì sao")
    assert run(gateway.handle(message)) == [] and run(gateway.is_held(message))
    assert dialogue.sent == []
    assert [m.text for m in run(ConversationLog(database).history("web", "u1"))] == ["còn lệ phí thì sao"]
    run(desk.end(handoff.id, "canbo.an", close=False))
    assert [reply_text(r) for r in run(gateway.handle(message))] == ["Dạ, em trả lời."]     # right after hand-back
    assert dialogue.sent == ["còn lệ phí thì sao"]


def test_a_messenger_conversation_over_its_rate_is_told_once_and_then_only_logged(database: Database,
                                                                                dialogue: RecordingDialogue) -> None:
    from channels.conversation import TOO_FAST_REPLY
    from channels.rate_limit import SlidingWindowLimiter

    gateway = Gateway(dialogue, ConversationLog(database), ChoiceStore(database), max_chars=100,  # type: ignore[arg-type]
                      rate_limit=SlidingWindowLimiter(3))

    def zalo(text: str) -> list[str]:
        return [reply_text(r) for r in run(gateway.handle(InboundMessage(channel="zalo", sender_id="u1", text=text)))]

    assert [zalo(f"câu hỏi {n}") for n in range(3)] == [["Dạ, em trả lời."]] * 3
    assert zalo("câu hỏi 3") == [TOO_FAST_REPLY]
    assert zalo("câu hỏi 4") == []                          # told once per minute, not once per message
    assert dialogue.sent == ["câu hỏi 0", "câu hỏi 1", "câu hỏi 2"]
    logged = run(ConversationLog(database).history("zalo", "u1"))
    assert [m.text for m in logged if m.direction == "in"][-2:] == ["câu hỏi 3", "câu hỏi 4"]   # nothing is lost
    other = run(gateway.handle(InboundMessage(channel="zalo", sender_id="u2", text="xin chào")))
    assert [reply_text(r) for r in other] == ["Dạ, em trả lời."]                              # per conversation
    web = [run(gateway.handle(InboundMessage(channel="web", sender_id="u1", text="hỏi"))) for _ in range(5)]
    assert all(web)                                        # web chat is limited at its HTTP route (429)
