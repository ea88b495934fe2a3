"""Diacritic restoration: n-gram model, Viterbi decoding, typo fallbacks, persistence."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.search.diacritics import Restorer, everyday_phrases, needs_restoration

CORPUS = [
    "Cấp lại thẻ căn cước",
    "Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên",
    "Đăng ký kết hôn",
    "Đăng ký khai sinh",
    "Đăng ký tạm trú",
    "Cấp hộ chiếu phổ thông ở trong nước",
    "Chứng thực di chúc",
    "Ủy ban nhân dân cấp xã",
    "Cấp giấy phép xây dựng nhà ở riêng lẻ",
    "Đầu tư xây dựng công trình, đầu tư ra nước ngoài",
] * 3 + everyday_phrases() * 5


@pytest.fixture(scope="module")
def restorer() -> Restorer:
    return Restorer.train(CORPUS)


@pytest.mark.parametrize("plain, expected", [
    ("lam lai the can cuoc", "làm lại thẻ căn cước"),
    ("dang ky ket hon o dau", "đăng ký kết hôn ở đâu"),
    ("lam ho chieu mat bao lau", "làm hộ chiếu mất bao lâu"),
    ("dang ky tam tru", "đăng ký tạm trú"),
    ("cap giay phep xay dung nha o", "cấp giấy phép xây dựng nhà ở"),
])
def test_restores_common_questions(restorer: Restorer, plain: str, expected: str) -> None:
    assert restorer.restore(plain) == expected


def test_accented_syllables_are_kept(restorer: Restorer) -> None:
    assert restorer.restore_tokens(["đăng", "ky", "kết", "hon"]) == ["đăng", "ký", "kết", "hôn"]


def test_unknown_tokens_pass_through(restorer: Restorer) -> None:
    assert restorer.restore_tokens(["cccd", "123"]) == ["cccd", "123"]


def test_keep_plain_keeps_real_unaccented_syllables(restorer: Restorer) -> None:
    # typed with diacritics: "di" in "di chúc" is a real syllable and must not become "đi"
    assert restorer.restore_tokens(["chứng", "thực", "di", "chúc"], keep_plain=True)[2] == "di"


def test_telex_leftover_and_one_letter_typo(restorer: Restorer) -> None:
    assert restorer.restore_tokens(["lamf", "thẻ"])[0] == "làm"
    assert restorer.restore_tokens(["đăng", "ký", "khai", "sih"])[3] == "sinh"


def test_misplaced_accent_is_reconsidered(restorer: Restorer) -> None:
    # "mât" is no syllable of the corpus: decided by context like an unaccented one
    assert restorer.restore_tokens(["mât", "bao", "lâu"])[0] == "mất"


def test_save_and_load_round_trip(restorer: Restorer, tmp_path) -> None:
    path = tmp_path / "r.pkl"
    restorer.save(path)
    again = Restorer.load(path)
    assert again.restore("dang ky khai sinh") == restorer.restore("dang ky khai sinh")


def test_needs_restoration() -> None:
    assert needs_restoration(["lam", "the", "can", "cuoc"])
    assert not needs_restoration(["làm", "thẻ", "căn", "cước"])
    assert not needs_restoration(["123"])


def test_forgotten_tone_keeps_the_typed_vowel_marks() -> None:
    # "quên" (forget) and "quen" (acquainted) differ by a vowel mark, not a tone: typing "quên"
    # must never come back as "quen", even when only "quen" is known; "mât" may become "mất".
    restorer = Restorer.train(["tôi quen anh ấy", "mất bao lâu", "mất giấy tờ"] * 3)
    assert restorer.restore_tokens(["quên", "mang", "thẻ"], keep_plain=True)[0] == "quên"
    assert restorer.restore_tokens(["mât", "bao", "lâu"], keep_plain=True)[0] == "mất"


def test_everyday_phrases_are_the_knowledge_bases_own_accented_lines(tmp_path) -> None:
    path = tmp_path / "phrases.txt"
    path.write_text("# comment\n\n  con trai tôi cần căn cước gì \nTho\u0301c\n", encoding="utf-8")
    assert everyday_phrases(path) == ["con trai tôi cần căn cước gì", "Thóc"]      # NFC, trimmed
    phrases = everyday_phrases()
    assert len(phrases) >= 700 and "cho em hỏi thủ tục làm căn cước cần những giấy tờ gì ạ" in phrases
    assert "sửa nhà có cần xin phép xây dựng không" in phrases


def test_the_knowledge_base_reads_nothing_of_the_bots_data() -> None:
    import knowledge_base

    package = Path(knowledge_base.__file__).parent
    readers = [p for p in package.rglob("*.py") if "nlu_data" in p.read_text(encoding="utf-8")]
    assert not readers


def test_dictionary_words_are_not_typos() -> None:
    # "rau" and "trai" never occur in this corpus; they are still Vietnamese words, not typos of
    # "đầu" / "trái" (underthesea's word list says so), while "sih" is a typo of "sinh".
    from knowledge_base.search.diacritics import dictionary_syllables

    assert {"rau", "trai", "sông"} <= dictionary_syllables()
    restorer = Restorer.train(["trồng cây đầu năm", "đăng ký khai sinh cho con", "bên trái"] * 3)
    assert restorer.restore_tokens(["trồng", "rau"], keep_plain=True) == ["trồng", "rau"]
    assert restorer.restore_tokens(["con", "trai", "tôi"], keep_plain=True)[1] == "trai"
    assert restorer.restore_tokens(["khai", "sih"]) == ["khai", "sinh"]
