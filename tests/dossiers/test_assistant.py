"""Dossier status in the conversation: what a code alone reveals, verification, lock-outs, expiry, masking,
subscriptions. Against SQLite and PostgreSQL (the counters live in the store)."""
from __future__ import annotations

import asyncio

from dossiers.access_store import DossierAccessStore
from dossiers.assistant import DossierAssistant, Outcome
from dossiers.store import DossierStore
from replies.text import reply_text
from storage.database import Database
from tests.dossiers.fixtures import CODE, NOW, Clock, dossier_data

run = asyncio.run
A, B, C = "web:citizen-a", "zalo:citizen-b", "telegram:citizen-c"


def status_text(assistant: DossierAssistant, conversation: str, code: str = CODE) -> str:
    return reply_text(run(assistant.status(conversation, code)))


def test_a_code_alone_says_found_and_nothing_more(assistant: DossierAssistant) -> None:
    step = run(assistant.look_up(A, CODE))
    assert step.outcome is Outcome.FOUND and step.reply is None
    text = status_text(assistant, A)
    assert "xác nhận 4 số cuối" in text
    assert "Nguyễn" not in text and "khai sinh" not in text and "Thẩm định" not in text


def test_an_unknown_code_is_not_found(assistant: DossierAssistant) -> None:
    step = run(assistant.look_up(A, "H45.22-231015-9999"))
    assert step.outcome is Outcome.NOT_FOUND and "H45.22-231015-9999" in reply_text(step.reply)


def test_the_right_digits_show_the_status_with_the_name_masked_and_no_phone(assistant: DossierAssistant) -> None:
    assert run(assistant.verify(A, CODE, "5678")).outcome is Outcome.VERIFIED
    text = status_text(assistant, A)
    assert "Hồ sơ H45.22-231015-0012" in text and "Thủ tục đăng ký khai sinh" in text
    assert "Nguyễn V. T." in text and "Nguyễn Văn Tám" not in text
    assert "0912" not in text and "345" not in text and "5678" not in text
    assert "Thẩm định hồ sơ — Phòng Tư pháp" in text and "Hẹn trả kết quả: 05/12/2026" in text


def test_verification_is_bound_to_the_conversation_and_the_code(assistant: DossierAssistant,
                                                                store: DossierStore) -> None:
    run(assistant.verify(A, CODE, "5678"))
    assert "xác nhận 4 số cuối" in status_text(assistant, B)
    run(store.save("H45.22-231015-0013", dossier_data(phone="0900000001"), NOW))
    assert "xác nhận 4 số cuối" in status_text(assistant, A, "H45.22-231015-0013")


def test_verification_expires(assistant: DossierAssistant, clock: Clock) -> None:
    run(assistant.verify(A, CODE, "5678"))
    assert run(assistant.look_up(A, CODE)).outcome is Outcome.VERIFIED
    clock.advance(minutes=16)
    assert "xác nhận 4 số cuối" in status_text(assistant, A)
    assert run(assistant.look_up(A, CODE)).outcome is Outcome.FOUND


def test_three_wrong_answers_lock_the_code_for_every_conversation_for_a_while(
        assistant: DossierAssistant, clock: Clock) -> None:
    first = run(assistant.verify(A, CODE, "0000"))
    assert first.outcome is Outcome.WRONG and "còn 2 lần" in reply_text(first.reply)
    assert run(assistant.verify(A, CODE, "1111")).outcome is Outcome.WRONG
    assert run(assistant.verify(B, CODE, "2222")).outcome is Outcome.LOCKED       # a second conversation counts
    assert run(assistant.verify(C, CODE, "5678")).outcome is Outcome.LOCKED       # even the right digits wait
    assert run(assistant.look_up(C, CODE)).outcome is Outcome.LOCKED
    clock.advance(minutes=31)
    assert run(assistant.verify(C, CODE, "5678")).outcome is Outcome.VERIFIED


def test_ten_lookups_in_ten_minutes_then_a_pause(assistant: DossierAssistant, clock: Clock) -> None:
    for n in range(10):
        assert run(assistant.look_up(A, f"H45.22-231015-{n:04d}")).outcome is not Outcome.TOO_MANY_LOOKUPS
    refused = run(assistant.look_up(A, CODE))
    assert refused.outcome is Outcome.TOO_MANY_LOOKUPS and "thử lại sau" in reply_text(refused.reply)
    assert run(assistant.look_up(B, CODE)).outcome is Outcome.FOUND                # other citizens are not affected
    clock.advance(minutes=11)
    assert run(assistant.look_up(A, CODE)).outcome is Outcome.FOUND


def test_counters_and_verifications_survive_a_restart(assistant: DossierAssistant, store: DossierStore,
                                                      database: Database, clock: Clock) -> None:
    for digits in ("0000", "1111", "2222"):
        run(assistant.verify(A, CODE, digits))
    run(assistant.verify(B, CODE, "9999"))
    restarted = DossierAssistant(store, DossierAccessStore(database), lambda _: None, clock=clock)
    assert run(restarted.verify(C, CODE, "5678")).outcome is Outcome.LOCKED


def test_subscribing_needs_a_verified_conversation(assistant: DossierAssistant) -> None:
    assert "xác nhận 4 số cuối" in reply_text(run(assistant.subscribe(A, CODE)))
    run(assistant.verify(A, CODE, "5678"))
    assert "sẽ báo anh/chị" in reply_text(run(assistant.subscribe(A, CODE)))
    assert "vẫn đang theo dõi" in reply_text(run(assistant.subscribe(A, CODE)))
    assert run(assistant.last_verified(A)) == CODE
    assert "đã dừng gửi thông báo" in reply_text(run(assistant.unsubscribe(A)))
    assert "không theo dõi hồ sơ nào" in reply_text(run(assistant.unsubscribe(A)))
