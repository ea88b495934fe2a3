"""The handover desk against SQLite and PostgreSQL: the queue, one officer per conversation, hand-back, office
hours, a phone number left while waiting; nothing stuck: a gone officer's claim back to the queue (or to the
assistant after hours), an administrator's takeover, a claim that wins over a Rasa turn in flight."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from channels.conversation import Gateway
from channels.schemas import InboundMessage
from handover.desk import (AFTER_HOURS_TEXT, CLAIMED_TEXT, CLOSED_TEXT, OFFICER_PREFIX, RELEASED_TEXT, REQUEUED_TEXT,
                           HandoverConflict, HandoverDesk)
from handover.hours import OfficeHours
from handover.store import HandoffStore
from replies.model import Reply
from replies.text import reply_text
from storage.choices import ChoiceStore
from storage.conversations import ConversationLog
from storage.database import Database

run = asyncio.run
OPEN_AT = datetime(2026, 12, 3, 3, 0, tzinfo=timezone.utc)          # Thursday 10:00 in Vietnam
CLOSED_AT = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)       # Saturday 19:00
HOURS = OfficeHours.parse("Mon-Fri 07:30-11:30,13:30-17:00", "2026-12-07")


class Pushes:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def __call__(self, channel: str, sender_id: str, replies: list[Reply]) -> int:
        self.sent += [(channel, sender_id, reply_text(r)) for r in replies]
        return 0


@pytest.fixture
def pushes() -> Pushes:
    return Pushes()


def desk_at(database: Database, pushes: Pushes, moment: datetime) -> HandoverDesk:
    return HandoverDesk(HandoffStore(database), HOURS, pushes, clock=lambda: moment)


def text(reply: Reply) -> str:
    return reply_text(reply)


def test_requests_queue_up_and_a_repeat_keeps_its_place(database: Database, pushes: Pushes) -> None:
    desk = desk_at(database, pushes, OPEN_AT)
    run(desk.seen("canbo.an"))
    first = text(run(desk.request("web:a", "asked", "Dạ, em chưa tìm thấy…")))
    second = text(run(desk.request("zalo:b", "offered", None)))
    assert "vị trí số 1" in first and "cán bộ sẽ trả lời ngay" in first
    assert "vị trí số 2" in second
    assert "đã ở trong hàng chờ (vị trí số 1)" in text(run(desk.request("web:a", "asked", None)))
    queue = run(desk.store.queue())
    assert [(h.channel, h.sender_id, h.status) for h in queue] == [("web", "a", "waiting"), ("zalo", "b", "waiting")]
    assert queue[0].last_answer == "Dạ, em chưa tìm thấy…"


def test_outside_office_hours_the_citizen_is_told_when_and_may_leave_a_phone(database: Database,
                                                                           pushes: Pushes) -> None:
    desk = desk_at(database, pushes, CLOSED_AT)
    answer = text(run(desk.request("telegram:7", "asked", None)))
    assert "ngoài giờ làm việc" in answer and "từ 07:30 thứ Ba 08/12" in answer            # Monday is a holiday
    assert "để lại số điện thoại" in answer
    noted = run(desk.note_contact("telegram", "7", "số của tôi là 0912 345 678 nhé"))
    assert noted is not None and run(desk.store.open_for("telegram", "7")).contact_phone == "0912345678"
    assert run(desk.note_contact("telegram", "8", "0912345678")) is None                   # not waiting


def test_in_office_hours_with_nobody_online_says_so(database: Database, pushes: Pushes) -> None:
    answer = text(run(desk_at(database, pushes, OPEN_AT).request("web:c", "asked", None)))
    assert "chưa có cán bộ trực tuyến" in answer


def test_one_officer_wins_the_claim_and_the_second_is_told_who(database: Database, pushes: Pushes) -> None:
    desk = desk_at(database, pushes, OPEN_AT)
    run(desk.request("web:a", "asked", None))
    handoff = run(desk.store.open_for("web", "a"))
    assert run(desk.claim(handoff.id, "canbo.an")).claimed_by == "canbo.an"
    with pytest.raises(HandoverConflict, match="canbo.an đang hỗ trợ"):
        run(desk.claim(handoff.id, "canbo.binh"))
    assert pushes.sent == [("web", "a", CLAIMED_TEXT)]
    assert run(desk.held("web", "a"))
    with pytest.raises(HandoverConflict):
        run(desk.say(handoff.id, "canbo.binh", "Chào anh"))
    run(desk.say(handoff.id, "canbo.an", "Chào anh, tôi là cán bộ một cửa."))
    assert pushes.sent[-1] == ("web", "a", OFFICER_PREFIX + "Chào anh, tôi là cán bộ một cửa.")


def test_hand_back_ends_the_silence_and_a_second_handover_works(database: Database, pushes: Pushes) -> None:
    desk = desk_at(database, pushes, OPEN_AT)
    for round_ in range(2):
        run(desk.request("web:a", "asked", None))
        handoff = run(desk.store.open_for("web", "a"))
        run(desk.claim(handoff.id, "canbo.an"))
        ended = run(desk.end(handoff.id, "canbo.an", close=bool(round_)))
        assert ended.status == ("closed" if round_ else "released") and not run(desk.held("web", "a"))
    assert [t for _, _, t in pushes.sent if t != CLAIMED_TEXT] == [RELEASED_TEXT, CLOSED_TEXT]
    with pytest.raises(HandoverConflict):
        run(desk.end(handoff.id, "canbo.an", close=True))                                   # already ended


def test_a_refused_action_says_why_in_the_words_of_that_action(database: Database, pushes: Pushes) -> None:
    desk = desk_at(database, pushes, OPEN_AT)
    run(desk.request("web:r", "asked", None))
    handoff = run(desk.store.open_for("web", "r"))
    with pytest.raises(HandoverConflict, match="cần nhận hỗ trợ trước khi trả lời"):
        run(desk.say(handoff.id, "canbo.an", "Chào anh"))
    run(desk.claim(handoff.id, "canbo.an"))
    with pytest.raises(HandoverConflict, match="canbo.an đang hỗ trợ .* không thể kết thúc"):
        run(desk.end(handoff.id, "canbo.binh", close=True))
    run(desk.end(handoff.id, "canbo.an", close=False))
    with pytest.raises(HandoverConflict, match="đã được trả lại cho trợ lý ảo; không thể trả lời nữa"):
        run(desk.say(handoff.id, "canbo.an", "Còn gì nữa không ạ"))
    with pytest.raises(HandoverConflict, match="đã được trả lại cho trợ lý ảo; không thể trả lại cho trợ lý ảo nữa"):
        run(desk.end(handoff.id, "canbo.an", close=False))

def test_office_hours_read_days_spans_and_holidays() -> None:
    hours = OfficeHours.parse("Mon-Fri 07:30-11:30,13:30-17:00; Sat 07:30-11:30", "2026-12-03")
    assert hours.describe() == "thứ Hai–thứ Sáu 07:30–11:30, 13:30–17:00; thứ Bảy 07:30–11:30"
    assert not hours.is_open(OPEN_AT)                                                      # a holiday
    assert hours.is_open(OPEN_AT + timedelta(days=1))
    assert not hours.is_open(OPEN_AT + timedelta(days=1, hours=2))                         # 12:00, lunch
    with pytest.raises(ValueError):
        OfficeHours.parse("weekdays nine to five")


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.now = moment

    def __call__(self) -> datetime:
        return self.now


def claimed_by_an(database: Database, pushes: Pushes, clock: Clock, conversation: str = "zalo:z") -> tuple[HandoverDesk, int]:
    desk = HandoverDesk(HandoffStore(database), HOURS, pushes, clock=clock, idle=timedelta(minutes=15))
    run(desk.seen("canbo.an"))
    run(desk.request(conversation, "asked", None))
    handoff = run(desk.store.open_for(*conversation.split(":")))
    run(desk.claim(handoff.id, "canbo.an"))
    return desk, handoff.id


def test_a_claim_whose_officer_has_gone_returns_to_the_queue(database: Database, pushes: Pushes) -> None:
    clock = Clock(OPEN_AT)
    desk, handoff_id = claimed_by_an(database, pushes, clock)
    clock.now += timedelta(minutes=10)
    run(desk.say(handoff_id, "canbo.an", "Anh chờ em kiểm tra nhé."))
    clock.now += timedelta(minutes=14)                        # replied 14 min ago, console seen 24 min ago
    assert run(desk.sweep()) == 0 and run(desk.held("zalo", "z"))
    run(desk.seen("canbo.an"))
    clock.now += timedelta(minutes=14)                        # the console is still open: still there
    assert run(desk.sweep()) == 0
    clock.now += timedelta(minutes=2)                         # 16 min with nothing at all: gone
    assert run(desk.sweep()) == 1 and run(desk.sweep()) == 0
    back = run(desk.store.get(handoff_id))
    assert (back.status, back.claimed_by) == ("waiting", None) and not run(desk.held("zalo", "z"))
    assert run(desk.store.position(handoff_id)) == 1
    assert pushes.sent[-1] == ("zalo", "z", REQUEUED_TEXT)
    assert run(desk.claim(handoff_id, "canbo.binh")).claimed_by == "canbo.binh"        # another officer takes it


def test_after_the_office_closes_a_gone_officers_claim_goes_back_to_the_assistant(database: Database,
                                                                                 pushes: Pushes) -> None:
    clock = Clock(OPEN_AT.replace(hour=9, minute=50))         # Thursday 16:50 in Vietnam
    desk, handoff_id = claimed_by_an(database, pushes, clock)
    clock.now += timedelta(minutes=30)                        # 17:20: closed, and nobody for 30 minutes
    assert run(desk.sweep()) == 1
    back = run(desk.store.get(handoff_id))
    assert back.status == "released" and back.ended_at == clock.now and not run(desk.held("zalo", "z"))
    assert pushes.sent[-1] == ("zalo", "z", AFTER_HOURS_TEXT.format(hours=HOURS.describe()))


def test_an_administrator_takes_over_or_reassigns_a_claim(database: Database, pushes: Pushes) -> None:
    clock = Clock(OPEN_AT)
    desk, handoff_id = claimed_by_an(database, pushes, clock)
    assert run(desk.reassign(handoff_id, "quantri")).claimed_by == "quantri"
    with pytest.raises(HandoverConflict):
        run(desk.say(handoff_id, "canbo.an", "Chào anh"))
    run(desk.say(handoff_id, "quantri", "Tôi tiếp nhận thay."))
    assert run(desk.reassign(handoff_id, "canbo.binh")).claimed_by == "canbo.binh"
    sent = len(pushes.sent)
    run(desk.request("web:w", "asked", None))
    waiting = run(desk.store.open_for("web", "w"))
    assert run(desk.reassign(waiting.id, "canbo.binh")).status == "claimed"
    assert pushes.sent[sent:] == [("web", "w", CLAIMED_TEXT)]
    run(desk.end(handoff_id, "canbo.binh", close=True))
    with pytest.raises(HandoverConflict, match="đã kết thúc"):
        run(desk.reassign(handoff_id, "quantri"))


class ThinkingDialogue:
    """A Rasa turn that takes a while: it answers once `answer` is set."""

    def __init__(self) -> None:
        self.thinking = asyncio.Event()
        self.answer = asyncio.Event()

    async def send(self, conversation_id: str, text: str, channel: str) -> list[Reply]:
        self.thinking.set()
        await self.answer.wait()
        return [Reply.plain("Dạ, em trả lời muộn.")]


def test_a_claim_landing_during_a_rasa_turn_wins_and_the_late_reply_is_not_delivered(database: Database,
                                                                                      pushes: Pushes) -> None:
    desk = desk_at(database, pushes, OPEN_AT)

    async def scenario(claim: bool) -> list[Reply]:
        dialogue = ThinkingDialogue()
        gateway = Gateway(dialogue, ConversationLog(database), ChoiceStore(database), 1000,  # type: ignore[arg-type]
                          handover=desk)
        sender = f"claim-{claim}"
        await desk.request(f"telegram:{sender}", "asked", None)
        turn = asyncio.create_task(gateway.handle(InboundMessage(channel="telegram", sender_id=sender,
                                                                 text="thủ tục khai sinh cần gì")))
        await dialogue.thinking.wait()
        if claim:
            handoff = await desk.store.open_for("telegram", sender)
            await desk.claim(handoff.id, "canbo.an")
        dialogue.answer.set()
        return await turn

    assert [text(r) for r in run(scenario(claim=False))] == ["Dạ, em trả lời muộn."]
    assert run(scenario(claim=True)) == []
    logged = run(ConversationLog(database).history("telegram", "claim-True", limit=10))
    assert [(m.direction, m.text) for m in logged] == [("in", "thủ tục khai sinh cần gì")]
