"""Tests for bot.components.vi_tokenizer.VietnameseTokenizer.

Run with:  .venv-rasa/bin/python -m pytest tests/bot
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import List

import pytest

from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.vi_tokenizer import VietnameseSegmenter, VietnameseTokenizer

ROOT = Path(__file__).resolve().parents[2]


def make_tokenizer(**overrides) -> VietnameseTokenizer:
    config = {**VietnameseTokenizer.get_default_config(), **overrides}
    return VietnameseTokenizer(config)


@pytest.fixture(scope="module")
def tokenizer() -> VietnameseTokenizer:
    return make_tokenizer()


def tokenize(tokenizer: VietnameseTokenizer, text: str):
    message = Message(data={TEXT: text})
    tokens = tokenizer.tokenize(message, TEXT)
    return message, tokens


def assert_well_formed(text: str, tokens: List[Token]) -> None:
    """Every token is the exact substring at its offsets, tokens are ordered and
    non-overlapping, and every non-space character is covered by a token."""
    assert tokens, f"no tokens for {text!r}"
    previous_end = 0
    covered = set()
    for token in tokens:
        assert 0 <= token.start <= token.end <= len(text), (text, token)
        assert text[token.start:token.end] == token.text, (text, token)
        assert token.start >= previous_end, f"overlapping tokens in {text!r}: {tokens}"
        previous_end = token.end
        covered.update(range(token.start, token.end))
        if token.text.strip():
            assert token.text == token.text.strip(), f"token with outer spaces: {token!r}"
    missing = [i for i, ch in enumerate(text) if not ch.isspace() and i not in covered]
    assert not missing, f"characters dropped from {text!r}: {[text[i] for i in missing]}"


TRICKY_INPUTS = [
    "Đăng ký khai sinh cần giấy tờ gì?",
    "dang ky ket hon can giay to gi",
    "DANG KY KET HON CAN GIAY TO GI",
    "ĐĂNG KÝ KHAI SINH",
    "hoà giải thành hòa bình, thuỷ thủ uỷ ban, khoẻ mạnh",  # tone placement underthesea may normalise
    "Hồ sơ H45.22-231015-0012 của tôi tới đâu rồi",
    "mã hồ sơ: 000.00.15.H29-240101-0001.",
    "thủ tục 1.001193 cần giấy tờ gì",
    "lệ phí  cccd\nbao nhiêu 😀😀",
    "lệ phí\tcccd   bao   nhiêu",
    "\n\nkhai\nsinh\n",
    '"sổ đỏ" là gì...',
    "“sổ hồng” và ‘sổ đỏ’ – khác nhau không?",
    "Tôi muốn làm GPLX ở TP.HCM",
    "đkkd, mst, bhxh, bhyt, cccd, gplx???",
    "phí 50.000đ hay 100,000 VND (khoảng 1/2 triệu)",
    "gửi email a.b@gmail.com hoặc xem https://dichvucong.gov.vn/p/home.html.",
    '/ask_procedure{"procedure_code":"1.001193","aspect":"fee"}',
    "Nghị định 123/2015/NĐ-CP ngày 15/11/2015",
    "xe máy 59-X1 123.45 biển số 43H-0530",
    "ðăng ký khai sinh",  # underthesea rewrites ð -> đ
    "C'est l'été H'Mông N’Thôn",
    "a–b — c … x",
    "👍",
    "🙏🏻 cảm ơn em 👨‍👩‍👧",
    "ok",
    "k",
    "?!",
    "123456",
    "  khai sinh  ",
    "xin\u00a0chào\u200bem",
    "Cho tôi hỏi: làm CCCD (gắn chip) cho con 6 tuổi ở đâu; mất bao lâu?",
    "lam lai cccd bi mat",
    "phi lam cccd bao nhieu",
]


@pytest.mark.parametrize("text", TRICKY_INPUTS)
def test_tokens_are_substrings_at_their_offsets(tokenizer, text):
    message, tokens = tokenize(tokenizer, text)
    assert_well_formed(message.get(TEXT), tokens)


@pytest.mark.parametrize("text", TRICKY_INPUTS)
def test_nfd_input_gives_nfc_tokens(tokenizer, text):
    nfd = unicodedata.normalize("NFD", text)
    message, tokens = tokenize(tokenizer, nfd)
    nfc = unicodedata.normalize("NFC", text)
    assert message.get(TEXT) == nfc  # the message text is normalised in place
    for token in tokens:
        assert unicodedata.is_normalized("NFC", token.text), token
    assert_well_formed(nfc, tokens)
    # Same tokens as for the NFC input.
    _, nfc_tokens = tokenize(tokenizer, nfc)
    assert [(t.text, t.start, t.end, t.lemma) for t in tokens] == [
        (t.text, t.start, t.end, t.lemma) for t in nfc_tokens
    ]


def test_nfd_example_explicitly(tokenizer):
    nfd = unicodedata.normalize("NFD", "Đăng ký kết hôn")
    assert nfd != "Đăng ký kết hôn"
    message, tokens = tokenize(tokenizer, nfd)
    assert [t.text for t in tokens] == ["Đăng ký", "kết hôn"]
    assert message.get(TEXT) == "Đăng ký kết hôn"


def test_multi_syllable_words_are_joined(tokenizer):
    _, tokens = tokenize(tokenizer, "Đăng ký khai sinh cần giấy tờ gì?")
    assert [t.lemma for t in tokens] == ["Đăng_ký", "khai_sinh", "cần", "giấy_tờ", "gì", "?"]
    # Token text keeps the original span (with its space) so offsets stay valid.
    khai_sinh = tokens[1]
    assert (khai_sinh.text, khai_sinh.start, khai_sinh.end) == ("khai sinh", 8, 17)


def test_joined_lemma_keeps_original_characters(tokenizer):
    _, tokens = tokenize(tokenizer, "giấy   tờ")
    assert len(tokens) == 1
    assert tokens[0].text == "giấy   tờ"
    assert tokens[0].lemma == "giấy_tờ"


def test_no_joining_across_newlines_or_punctuation(tokenizer):
    _, tokens = tokenize(tokenizer, "khai\nsinh")
    assert [t.text for t in tokens] == ["khai", "sinh"]
    _, tokens = tokenize(tokenizer, "a — c")
    assert [t.text for t in tokens] == ["a", "—", "c"]


@pytest.mark.parametrize(
    "text, code",
    [
        ("Hồ sơ H45.22-231015-0012 của tôi tới đâu rồi", "H45.22-231015-0012"),
        ("mã hồ sơ: 000.00.15.H29-240101-0001.", "000.00.15.H29-240101-0001"),
        ("000.00.15.H29-240101-0001", "000.00.15.H29-240101-0001"),
        ("thủ tục 1.001193 cần giấy tờ gì", "1.001193"),
        ("[1.001193]", "1.001193"),
        ("số hồ sơ DVC-2024-0012345 nhé", "DVC-2024-0012345"),
        ("ma ho so la g01.123-240305-0007", "g01.123-240305-0007"),
        ('/ask_procedure{"procedure_code":"1.001193"}', "1.001193"),
    ],
)
def test_codes_are_kept_whole(tokenizer, text, code):
    message, tokens = tokenize(tokenizer, text)
    assert_well_formed(message.get(TEXT), tokens)
    assert code in [t.text for t in tokens], [t.text for t in tokens]


def test_empty_and_blank_text(tokenizer):
    for text in ["", "   ", "\n"]:
        message, tokens = tokenize(tokenizer, text)
        assert len(tokens) == 1
        assert tokens[0].text == text and tokens[0].start == 0 and tokens[0].end == len(text)


def test_emoji_and_punctuation_are_kept_as_substrings(tokenizer):
    _, tokens = tokenize(tokenizer, "cảm ơn 👍!")
    texts = [t.text for t in tokens]
    assert "👍" in texts and "!" in texts


# --- fallback when the segmenter changes the text ---------------------------


class _FakeSegmenter:
    """Returns a fixed (possibly altered) segmentation, like a misbehaving underthesea."""

    def __init__(self, words: List[str]):
        self.words = words

    def __call__(self, text: str) -> List[str]:
        return list(self.words)


def _spans(words: List[str], text: str):
    seg = VietnameseSegmenter(segment=_FakeSegmenter(words))
    spans = seg.spans(text)
    tokens = [Token(text[s:e], s, e, lemma=lemma) for s, e, lemma in spans]
    assert_well_formed(text, tokens)
    return spans


def test_fallback_when_tone_placement_is_normalised():
    text = "hoà giải thành"
    # underthesea-like normaliser moved the tone mark: "hoà" -> "hòa"
    spans = _spans(["hòa giải", "thành"], text)
    assert [(text[s:e], lemma) for s, e, lemma in spans] == [
        ("hoà giải", "hoà_giải"),
        ("thành", "thành"),
    ]


def test_fallback_when_quotes_and_characters_are_rewritten():
    text = "“sổ đỏ” ðã có"
    spans = _spans(['"', "sổ đỏ", '"', "đã", "có"], text)
    assert [text[s:e] for s, e, _ in spans] == ["“", "sổ đỏ", "”", "ðã", "có"]


def test_fallback_when_segmenter_returns_garbage():
    text = "lệ phí cccd bao nhiêu"
    # Words that do not exist in the text at all, then a resync on "bao".
    spans = _spans(["le_phi_xyz", "???", "bao nhiêu"], text)
    assert [text[s:e] for s, e, _ in spans] == ["lệ", "phí", "cccd", "bao nhiêu"]


def test_fallback_when_segmenter_drops_text():
    text = "khai sinh cho con"
    spans = _spans(["khai sinh"], text)  # "cho con" lost by the segmenter
    assert [text[s:e] for s, e, _ in spans] == ["khai sinh", "cho", "con"]


def test_fallback_when_segmenter_raises():
    def boom(_text):
        raise RuntimeError("segmenter crashed")

    text = "khai sinh ở đâu?"
    seg = VietnameseSegmenter(segment=boom)
    spans = seg.spans(text)
    assert [text[s:e] for s, e, _ in spans] == ["khai", "sinh", "ở", "đâu", "?"]


# --- standard tokenizer options ----------------------------------------------


def test_intent_tokenization_flag_is_respected():
    message = Message(data={TEXT: "chào em", INTENT: "ask_procedure"})
    make_tokenizer(intent_tokenization_flag=True).process_training_data(
        TrainingData([message])
    )
    assert [t.text for t in message.get("intent_tokens")] == ["ask", "procedure"]

    message = Message(data={TEXT: "chào em", INTENT: "ask_procedure"})
    make_tokenizer().process_training_data(TrainingData([message]))
    assert [t.text for t in message.get("intent_tokens")] == ["ask_procedure"]


def test_token_pattern_is_respected():
    tok = make_tokenizer(token_pattern=r"\w+")
    _, tokens = tokenize(tok, "giấy tờ")
    assert [t.text for t in tokens] == ["giấy", "tờ"]


def test_process_sets_text_tokens():
    tok = make_tokenizer()
    message = Message(data={TEXT: "làm hộ chiếu ở đâu"})
    tok.process([message])
    assert [t.lemma for t in message.get("text_tokens")] == ["làm", "hộ_chiếu", "ở", "đâu"]


def test_component_is_registered_with_the_default_recipe():
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    registered = DefaultV1Recipe._from_registry(
        "bot.components.vi_tokenizer.VietnameseTokenizer"
    )
    assert registered.clazz is VietnameseTokenizer
    assert DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER in registered.types


# --- the training data must be tokenizer-friendly -----------------------------


def _load_nlu(path: Path) -> TrainingData:
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(path))


@pytest.fixture(scope="module")
def training_data() -> TrainingData:
    return _load_nlu(ROOT / "nlu_data")


@pytest.fixture(scope="module")
def test_data() -> TrainingData:
    return _load_nlu(ROOT / "tests" / "nlu" / "test_nlu.yml")


def _entity_alignment_errors(tokenizer, data: TrainingData):
    errors = []
    for example in data.training_examples:
        text = example.get(TEXT)
        if not text:
            continue
        tokens = tokenizer.tokenize(example, TEXT)
        starts = {t.start for t in tokens}
        ends = {t.end for t in tokens}
        for entity in example.get("entities") or []:
            if entity["start"] not in starts or entity["end"] not in ends:
                errors.append((text, entity))
    return errors


def test_training_and_test_data_are_nfc(training_data, test_data):
    bad = [
        ex.get(TEXT)
        for ex in training_data.training_examples + test_data.training_examples
        if ex.get(TEXT) and not unicodedata.is_normalized("NFC", ex.get(TEXT))
    ]
    assert not bad


def test_entity_annotations_align_with_tokens(tokenizer, training_data, test_data):
    assert _entity_alignment_errors(tokenizer, training_data) == []
    assert _entity_alignment_errors(tokenizer, test_data) == []


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    folded = "".join(c for c in decomposed if unicodedata.category(c) != "Mn").replace("đ", "d")
    return re.sub(r"\W+", " ", folded).strip()


def test_held_out_examples_are_not_in_training_data(training_data, test_data):
    train = {_key(ex.get(TEXT)) for ex in training_data.training_examples if ex.get(TEXT)}
    leaked = [ex.get(TEXT) for ex in test_data.training_examples if _key(ex.get(TEXT)) in train]
    assert leaked == []
