"""The procedure in focus (stay / narrow / switch / ask) and yes/no verdicts from the record (present, absent,
undecided), against the real catalogue and search."""
from __future__ import annotations

import pytest

from knowledge_base.answers.details import NO, UNDECIDED, YES
from knowledge_base.focus import Move
from knowledge_base.search.details import DetailKind, read_detail
from knowledge_base.search.engine import Scored
from knowledge_base.service import KnowledgeBase
from settings import SETTINGS

LOST_CARD, TEMPORARY, MARRIAGE, BIRTH = "1.014064", "1.004194", "1.000894", "1.001193"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load(SETTINGS)


def name(kb: KnowledgeBase, code: str) -> str:
    return kb.get(code).name.lower()


@pytest.mark.parametrize("focus, text", [
    (LOST_CARD, "nộp online được không"), (LOST_CARD, "nop online dc ko"), (LOST_CARD, "mất bao lâu"),
    (TEMPORARY, "người khác đi làm thay được không"), (TEMPORARY, "thế còn lệ phí"),
    (BIRTH, "có cần bản sao giấy khai sinh không"), (MARRIAGE, "có phải đến trực tiếp không")])
def test_aspect_yes_no_channel_and_generic_words_stay_on_the_focus(kb, focus: str, text: str) -> None:
    reply = kb.respond(text, context_code=focus)
    assert (reply.kind, reply.procedure_codes, reply.focus) == ("answer", [focus], "stay")


def test_a_named_procedure_moves_the_focus(kb) -> None:
    reply = kb.respond("đăng ký thường trú", context_code=TEMPORARY)
    assert reply.focus == "switch" and name(kb, reply.procedure_codes[0]) == "đăng ký thường trú"
    assert kb.respond("đăng ký khai sinh cho con cần gì", context_code=LOST_CARD).procedure_codes == [BIRTH]


def test_a_family_name_leaves_the_focus_for_a_clarifying_question(kb) -> None:
    reply = kb.respond("chứng thực", context_code=BIRTH)
    assert reply.kind == "clarify" and all("chứng thực" in name(kb, c) for c in reply.procedure_codes)


@pytest.mark.parametrize("focus, text, wanted, unwanted", [
    (MARRIAGE, "à mà em đăng ký lại chứ không phải lần đầu", "đăng ký lại kết hôn", "nước ngoài"),
    (MARRIAGE, "vợ em là người nước ngoài thì sao", "kết hôn có yếu tố nước ngoài", "lại"),
    (LOST_CARD, "cấp đổi", "cấp đổi thẻ căn cước", "lại"),
    (TEMPORARY, "gia hạn tạm trú thì sao", "gia hạn tạm trú", "thường trú")])
def test_a_situation_narrows_to_the_variant_it_describes(kb, focus, text, wanted, unwanted) -> None:
    reply = kb.respond(text, context_code=focus)
    got = name(kb, reply.procedure_codes[0])
    assert reply.focus == "narrow" and wanted in got and unwanted not in got


def test_unsure_between_the_focus_and_another_procedure_asks_with_both(kb) -> None:
    """A message whose words the focus's record lacks, partly naming another procedure that explains it only a
    little better: one line, both as choices."""
    text = "máy cày"
    analysis = kb.engine.analyze(text)
    other = next(p.code for p in kb.procedures if "máy" in p.name.lower() and p.code != TEMPORARY)
    ranked = [Scored(code=other, score=1.0, lexical=1.0, dense=0.99, coverage=0.1, name_coverage=0.35)]
    decision = kb.focus.decide(kb.get(TEMPORARY), text, analysis, None, ranked)
    assert decision.move is Move.ASK and decision.code == other


@pytest.mark.parametrize("text, kind", [
    ("có cần ảnh thẻ không", DetailKind.DOCUMENT), ("nộp online được không", DetailKind.ONLINE),
    ("gửi qua bưu điện được ko", DetailKind.POST), ("có mất phí không", DetailKind.FEE),
    ("có phải đến trực tiếp không", DetailKind.IN_PERSON), ("nhờ người nhà nộp hộ được không", DetailKind.PROXY),
    ("có cần nộp bản sao căn cước không", DetailKind.DOCUMENT)])
def test_yes_no_details_are_read(kb, text: str, kind: DetailKind) -> None:
    detail = read_detail(kb.engine.analyze(text))
    assert detail is not None and detail.kind is kind


@pytest.mark.parametrize("text", ["phí bao nhiêu", "nộp ở đâu", "cần giấy tờ gì", "không phải lần đầu, đăng ký lại"])
def test_wh_questions_and_statements_are_not_yes_no(kb, text: str) -> None:
    assert read_detail(kb.engine.analyze(text)) is None


def first_line(reply) -> str:
    return reply.content.blocks[0].text


def test_a_listed_paper_is_yes_with_the_line_that_lists_it(kb) -> None:
    reply = kb.respond("có cần giấy chứng sinh không", context_code=BIRTH)
    listed = next(d.name for d in kb.get(BIRTH).documents if d.name.startswith("Giấy chứng sinh"))
    assert reply.verdict == YES and first_line(reply).startswith("Dạ có") and listed[:60] in reply.text


def test_a_paper_not_listed_is_no_in_the_records_words_never_not_needed(kb) -> None:
    reply = kb.respond("có cần ảnh thẻ không", context_code=LOST_CARD)
    assert reply.verdict == NO and "không có trong thành phần hồ sơ" in first_line(reply)
    assert "không cần" not in reply.text


def test_what_the_record_does_not_decide_is_said_so(kb) -> None:
    reply = kb.respond("người khác đi làm thay được không", context_code=TEMPORARY)
    assert reply.verdict == UNDECIDED and "không nêu" in first_line(reply)


def test_online_and_fee_verdicts_follow_the_channel_rows(kb) -> None:
    proc = kb.get(LOST_CARD)
    online = kb.respond("làm online được không", context_code=LOST_CARD)
    assert online.verdict == (YES if any(r.channel == "Trực tuyến" for r in proc.channels) else NO)
    fee = kb.respond("có mất phí không", context_code=LOST_CARD)
    assert fee.verdict == YES and all(r.fee in fee.text for r in proc.channels if r.fee)
    free = kb.respond("có miễn phí không", context_code=LOST_CARD)
    assert free.verdict == NO


def test_the_household_book_is_no_longer_a_paper(kb) -> None:
    reply = kb.respond("có phải mang sổ hộ khẩu không", context_code=TEMPORARY)
    assert reply.verdict == NO and "01/01/2023" in first_line(reply)


def test_a_first_question_with_a_detail_gets_the_verdict_too(kb) -> None:
    reply = kb.respond("làm lại căn cước bị mất có nộp online được không")
    assert reply.procedure_codes[0] == LOST_CARD and reply.verdict in (YES, NO)
