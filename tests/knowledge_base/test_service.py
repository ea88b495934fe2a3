"""KnowledgeBase facade: loading, get/search/stats and the respond() dialogue contract."""
from __future__ import annotations

import dataclasses

import pytest

from knowledge_base import service
from knowledge_base.service import KnowledgeBase
from knowledge_base.types import Aspect, Reply
from replies.model import Checklist, Content, Paragraph
from replies.text import content_text
from settings import SETTINGS


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KnowledgeBase:
    settings = dataclasses.replace(SETTINGS, cache_dir=tmp_path_factory.getbasetemp() / "kb-cache", use_dense=False)
    return KnowledgeBase.load(settings)


def test_load_get_and_stats(kb: KnowledgeBase) -> None:
    stats = kb.stats()
    assert stats["procedures"] == 2642 and stats["dense_enabled"] is False
    assert stats["index_build_s"] >= 0
    proc = kb.get("1.001193")
    assert proc is not None and "khai sinh" in proc.name
    assert kb.get("9.999999") is None and kb.get("") is None


def test_search_passes_through(kb: KnowledgeBase) -> None:
    result = kb.search("đăng ký tạm trú", limit=3)
    assert len(result.hits) == 3 and result.hits[0].code == "1.004194"


def test_answer_with_aspect(kb: KnowledgeBase) -> None:
    reply = kb.respond("đăng ký tạm trú cần giấy tờ gì")
    assert isinstance(reply, Reply) and isinstance(reply.content, Content)
    assert reply.kind == "answer" and reply.procedure_codes == ["1.004194"]
    assert reply.aspect == Aspect.DOCUMENTS
    assert reply.content.title.startswith("Đăng ký tạm trú") and reply.content.source_url == kb.get("1.004194").url
    assert any(isinstance(b, Checklist) and b.items for b in reply.content.blocks)
    assert reply.text.startswith(content_text(reply.content))


def test_unaccented_and_abbreviated(kb: KnowledgeBase) -> None:
    reply = kb.respond("lam lai cccd bi mat het bn tien")
    assert reply.kind in ("answer", "clarify")
    assert "1.014064" in reply.procedure_codes and reply.aspect == Aspect.FEE


def test_follow_up_uses_context_procedure(kb: KnowledgeBase) -> None:
    reply = kb.respond("còn lệ phí thì sao", context_code="1.004194")
    assert reply.kind == "answer" and reply.procedure_codes == ["1.004194"] and reply.aspect == Aspect.FEE
    reply = kb.respond("mất bao lâu", context_code="1.004194")
    assert reply.aspect == Aspect.DURATION and reply.procedure_codes == ["1.004194"]


def test_follow_up_without_context_asks_for_the_procedure(kb: KnowledgeBase) -> None:
    reply = kb.respond("mất bao lâu")
    assert reply.kind == "no_match" and reply.content == Content(blocks=[Paragraph(text=service.ASK_PROCEDURE_TEXT)])
    assert reply.text == service.ASK_PROCEDURE_TEXT and reply.choices_prompt is None


def test_chosen_code_answers_that_procedure(kb: KnowledgeBase) -> None:
    reply = kb.respond("", chosen_code="1.000894", aspect=Aspect.WHERE)
    assert reply.kind == "answer" and reply.procedure_codes == ["1.000894"] and reply.aspect == Aspect.WHERE
    reply = kb.respond("lệ phí bao nhiêu", chosen_code="1.000894")
    assert reply.aspect == Aspect.FEE


def test_no_match_is_polite_with_an_example(kb: KnowledgeBase) -> None:
    reply = kb.respond("cách nấu phở bò ngon như ngoài hàng")
    assert reply.kind == "no_match" and reply.content.blocks == [Paragraph(text=service.NO_MATCH_TEXT)]
    assert "chưa tìm thấy" in reply.text and "Ví dụ" in reply.text
    assert reply.procedure_codes == [] and reply.choices == [] and reply.choices_prompt is None


def test_clarify_offers_at_most_four_choices(kb: KnowledgeBase) -> None:
    # a vague question matching several different procedures equally well
    # (security interests over land, ships and aircraft are different procedures)
    reply = kb.respond("đăng ký biện pháp bảo đảm")
    assert reply.kind == "clarify"
    assert 2 <= len(reply.choices) <= service.MAX_CHOICES
    assert [c.code for c in reply.choices] == reply.procedure_codes
    assert len({kb.engine.variants.group_of(c) for c in reply.procedure_codes}) == len(reply.procedure_codes)
    assert all(c.title for c in reply.choices) and reply.choices_prompt == service.CLARIFY_TEXT
    assert reply.content == Content() and reply.text == service.CLARIFY_TEXT


@pytest.mark.parametrize("text", ["chứng thực", "cấp lại", "dang ky"])
def test_a_question_naming_only_a_family_of_procedures_gets_a_question_back(kb: KnowledgeBase, text: str) -> None:
    reply = kb.respond(text)
    assert reply.kind == "clarify" and len(reply.choices) >= 2


def test_a_specific_name_is_answered_although_it_has_variants(kb: KnowledgeBase) -> None:
    # six names contain "đăng ký kết hôn" (foreign element, mobile, re-registration...): the ordinary one is meant
    reply = kb.respond("đăng ký kết hôn cần giấy tờ gì")
    assert reply.kind == "answer" and reply.procedure_codes == ["1.000894"]


def test_answer_offers_next_best_procedures_as_buttons(kb: KnowledgeBase) -> None:
    # "làm giấy khai sinh" is most likely the ordinary birth registration; late registration and
    # registration with paternity recognition are close behind and one tap away.
    reply = kb.respond("làm giấy khai sinh cho con")
    assert reply.kind == "answer" and reply.procedure_codes == ["1.001193"]
    offered = [c.code for c in reply.choices]
    assert 1 <= len(offered) <= service.MAX_ALTERNATIVES and "1.001193" not in offered
    groups = [kb.engine.variants.group_of(c) for c in reply.procedure_codes + offered]
    assert len(set(groups)) == len(groups)            # never a mere level variant of the answer
    assert all("khai sinh" in c.title.lower() for c in reply.choices)
    assert reply.choices_prompt == service.ALTERNATIVES_TEXT
    assert reply.text == content_text(reply.content) + "\n\n" + service.ALTERNATIVES_TEXT


def test_chosen_and_follow_up_answers_offer_no_alternatives(kb: KnowledgeBase) -> None:
    for reply in (kb.respond("", chosen_code="1.001193"), kb.respond("còn lệ phí thì sao", context_code="1.001193")):
        assert reply.choices == [] and reply.choices_prompt is None
        assert reply.text == content_text(reply.content)



def test_a_taught_example_leads_at_once_and_can_be_undone(kb: KnowledgeBase) -> None:
    question = "nhà tôi có đám cưới muốn mượn hội trường thôn thì xin ở đâu"
    before = kb.respond(question)
    target = "1.001193"                      # any procedure the ranking would not choose here
    assert not (before.kind == "answer" and before.procedure_codes == [target])
    kb.teach(41, question, [target])
    try:
        taught = kb.respond(question)
        assert taught.kind == "answer" and taught.procedure_codes == [target]
        rephrased = kb.respond("muốn mượn hội trường thôn để làm đám cưới thì xin ở đâu ạ")
        assert rephrased.procedure_codes[:1] == [target]                    # the same words in another order
        assert kb.search("mượn hội trường thôn làm đám cưới xin ở đâu").hits[0].code == target
        assert kb.respond("đăng ký tạm trú cần giấy tờ gì").procedure_codes == ["1.004194"]   # others untouched
    finally:
        kb.forget(41)
    assert kb.respond(question).procedure_codes == before.procedure_codes
