"""Aspect detection and aspect/filler stripping, with and without diacritics, with chat abbreviations."""
from __future__ import annotations

import pytest

from knowledge_base.search.aspects import detect_aspect, strip_aspect_words, strip_tokens
from knowledge_base.types import Aspect


@pytest.mark.parametrize("text, aspect", [
    ("giay to gi", Aspect.DOCUMENTS),
    ("ho so gom nhung gi", Aspect.DOCUMENTS),
    ("làm căn cước cần giấy tờ j ạ", Aspect.DOCUMENTS),
    ("phi bn", Aspect.FEE),
    ("le phi", Aspect.FEE),
    ("làm hộ chiếu có mất tiền không", Aspect.FEE),
    ("mat bao lau", Aspect.DURATION),
    ("may ngay thi co", Aspect.DURATION),
    ("nop o dau", Aspect.WHERE),
    ("đăng ký kết hôn ở đâu", Aspect.WHERE),
    ("cac buoc", Aspect.STEPS),
    ("thủ tục đăng ký kết hôn như thế nào", Aspect.STEPS),
    ("dieu kien", Aspect.CONDITIONS),
    ("can cu phap ly", Aspect.LEGAL_BASIS),
    ("theo luật nào", Aspect.LEGAL_BASIS),
    ("nhan duoc gi", Aspect.RESULT),
    ("lam online duoc ko", Aspect.ONLINE),
    ("đăng ký tạm trú qua mạng được không", Aspect.ONLINE),
    ("ai duoc lam", Aspect.APPLICANTS),
    ("đăng ký khai sinh", Aspect.OVERVIEW),
])
def test_detect_aspect(text: str, aspect: Aspect) -> None:
    assert detect_aspect(text) == aspect


def test_fee_beats_generic_steps_wording() -> None:
    assert detect_aspect("làm thế nào và lệ phí bao nhiêu") == Aspect.FEE


@pytest.mark.parametrize("text, expected", [
    ("cho em hỏi làm căn cước cần giấy tờ gì ạ", "căn cước"),
    ("lệ phí đăng ký kết hôn là bao nhiêu", "đăng ký kết hôn"),
    ("đăng ký tạm trú mất bao lâu vậy", "đăng ký tạm trú"),
    ("mất bao lâu", ""),
])
def test_strip_aspect_words(text: str, expected: str) -> None:
    assert strip_aspect_words(text) == expected


def test_keep_vetoes_stripping_of_name_collocations() -> None:
    tokens = ["lệ", "phí", "trước", "bạ", "nhà", "đất"]
    content, removed = strip_tokens(tokens, keep=lambda toks, s, e: e < len(toks) and toks[e] == "trước")
    assert content == tokens and removed == []
    content, removed = strip_tokens(tokens)
    assert content == ["trước", "bạ", "nhà", "đất"] and removed == ["lệ", "phí"]


def test_greetings_and_filler_leave_nothing() -> None:
    assert strip_aspect_words("xin chào ạ") == ""


@pytest.mark.parametrize("text, aspects", [
    ("lam lai o dau, can giay to gi", [Aspect.WHERE, Aspect.DOCUMENTS]),
    ("lệ phí và thời gian làm hộ chiếu", [Aspect.FEE, Aspect.DURATION]),
    ("làm hộ chiếu mất bao lâu", [Aspect.DURATION]),
    ("đăng ký khai sinh", [Aspect.OVERVIEW]),
])
def test_several_aspects_in_one_question(text: str, aspects: list[Aspect]) -> None:
    from knowledge_base.search.aliases import normalize
    from knowledge_base.search.aspects import detect_aspects_tokens

    assert detect_aspects_tokens(normalize(text)) == aspects
