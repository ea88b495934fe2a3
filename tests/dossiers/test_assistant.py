"""Dossier status in the conversation: what a code alone reveals, verification, lock-outs, expiry, masking,
subscriptions. Against SQLite and PostgreSQL (the counters live in the store)."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from dossiers.access_store import WRONG, DossierAccessStore
from dossiers.assistant import AccessPolicy, DossierAssistant, Outcome, Step
from dossiers.replies import NO_MATCH
from dossiers.store import DossierStore
from replies.text import reply_text
from storage.database import Database
from storage.tables import DossierAccess
from tests.dossiers.fixtures import CODE, NOW, Clock, dossier_data

run = asyncio.run
A, B, C = "web:citizen-a", "zalo:citizen-b", "telegram:citizen-c"
ADDRESS, OTHER_ADDRESS = "address-key-1", "address-key-2"


def status_text(assistant: DossierAssistant, conversation: str, code: str = CODE) -> str:
    return reply_text(run(assistant.status(conversation, code)))


def test_a_code_alone_says_found_and_nothing_more(assistant: DossierAssistant) -> None:
    step = run(assistant.look_up(A, CODE))
    assert step.outcome is Outcome.FOUND and step.reply is None
    text = status_text(assistant, A)
    assert "xác nhận 4 số cuối" in text
    assert "Nguyễn" not in text and "khai sinh" not in text and "Thẩm định" not in text


def test_a_code_alone_gets_the_same_answer_whether_or_not_it_exists(assistant: DossierAssistant) -> None:
    known, unknown = run(assistant.look_up(A, CODE)), run(assistant.look_up(B, "H45.22-231015-9999"))
    assert known == unknown == Step(Outcome.FOUND)


def test_a_wrong_answer_is_one_neutral_reply_whether_the_code_or_the_digits_are_wrong(
        assistant: DossierAssistant) -> None:
    wrong_digits = run(assistant.verify(A, CODE, "0000"))
    unknown_code = run(assistant.verify(B, "H45.22-231015-9999", "5678"))
    assert wrong_digits == unknown_code
    assert wrong_digits.outcome is Outcome.WRONG and reply_text(wrong_digits.reply).startswith(NO_MATCH)


def test_wrong_answers_from_one_address_stop_its_lookups(assistant: DossierAssistant, clock: Clock) -> None:
    limit = assistant.policy.max_wrong_per_address
    for n in range(limit):                         # a script opening a fresh conversation for every code
        run(assistant.verify(f"web:guesser-{n}", f"H45.22-231015-{n:04d}", "1234", ADDRESS))
    refused = run(assistant.look_up("web:guesser-new", CODE, ADDRESS))
    assert refused.outcome is Outcome.TOO_MANY_LOOKUPS and "thử lại sau" in reply_text(refused.reply)
    assert run(assistant.verify("web:guesser-new", CODE, "5678", ADDRESS)).outcome is Outcome.TOO_MANY_LOOKUPS
    assert run(assistant.look_up(A, CODE, OTHER_ADDRESS)).outcome is Outcome.FOUND   # another address is not
    clock.advance(minutes=61)
    assert run(assistant.look_up("web:guesser-new", CODE, ADDRESS)).outcome is Outcome.FOUND


def test_too_many_wrong_answers_across_all_codes_pause_every_lookup(store: DossierStore, database: Database,
                                                                   clock: Clock) -> None:
    policy = AccessPolicy(max_wrong_per_minute=5)
    assistant = DossierAssistant(store, DossierAccessStore(database), lambda _: None, policy, clock=clock)
    for n in range(5):                             # five conversations, five addresses, five codes
        run(assistant.verify(f"web:g{n}", f"H45.22-231015-{n:04d}", "1234", f"address-{n}"))
    assert run(assistant.paused_until()) == clock.now + policy.pause
    paused = run(assistant.look_up(A, CODE, OTHER_ADDRESS))
    assert paused.outcome is Outcome.PAUSED and "tạm dừng" in reply_text(paused.reply)
    assert run(assistant.verify(A, CODE, "5678")).outcome is Outcome.PAUSED        # even the right digits wait
    clock.advance(minutes=16)
    assert run(assistant.paused_until()) is None
    assert run(assistant.verify(A, CODE, "5678")).outcome is Outcome.VERIFIED


def test_wrong_answers_sent_in_parallel_are_checked_and_counted_one_at_a_time(assistant: DossierAssistant,
                                                                           database: Database) -> None:
    async def flood() -> list[Step]:
        return await asyncio.gather(*(assistant.verify(f"web:parallel-{n}", CODE, f"{n:04d}") for n in range(8)))

    outcomes = [step.outcome for step in run(flood())]
    assert sorted(outcomes, key=str) == sorted([Outcome.WRONG] * 2 + [Outcome.LOCKED] * 6, key=str)
    wrong_rows = database.call(lambda s: s.scalar(select(func.count()).select_from(DossierAccess).where(
        DossierAccess.kind == WRONG, DossierAccess.code == CODE)))
    assert wrong_rows == assistant.policy.max_wrong_answers          # only three answers were ever checked
    assert run(assistant.verify(C, CODE, "5678")).outcome is Outcome.LOCKED


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
