"""Search building blocks (BM25, aliases, variants, dense index) and the engine on the real catalogue."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import unicodedata

import numpy as np
import pytest

from knowledge_base.catalogue.models import Procedure
from knowledge_base.search.aliases import AliasLexicon, default_lexicon, syllable_matches, tokenize
from knowledge_base.search import dense
from knowledge_base.search.dense import DenseIndex, passage_text
from knowledge_base.search.engine import SearchEngine
from knowledge_base.search.lexical import BM25Index, WeightedField
from knowledge_base.search.variants import (
    QueryCues, VariantIndex, age_range, name_operations, query_age, query_operations, variant_info,
)
from settings import SETTINGS


# ---------------------------------------------------------------------- BM25
def _docs(*names: str) -> list[list[WeightedField]]:
    return [[WeightedField(n.split(), 1.0)] for n in names]


def test_bm25_prefers_matching_and_shorter_documents() -> None:
    index = BM25Index.build(_docs("dang ky khai sinh", "dang ky khai sinh luu dong co yeu to", "dang ky ket hon"))
    scores = index.scores({"khai": 1.0, "sinh": 1.0, "khai_sinh": 1.0})
    assert scores[0] > scores[1] > scores[2] == 0


def test_bm25_unknown_terms_score_zero_and_count_in_coverage() -> None:
    index = BM25Index.build(_docs("cap lai the can cuoc", "cap ho chieu"))
    assert not index.scores({"pho": 1.0}).any()
    cov = index.coverage({"can": 1.0, "cuoc": 1.0, "pho": 1.0}, [0, 1])
    assert 0 < cov[0] < 1 and cov[1] == 0


# ---------------------------------------------------------------------- aliases
def test_syllable_match_rule() -> None:
    assert syllable_matches("so", "sổ")            # typed without accents: folded match
    assert syllable_matches("sổ", "sổ")
    assert not syllable_matches("sơ", "sổ")        # typed with other accents: no match


def test_chat_normalisation_and_alias_expansion() -> None:
    lex = default_lexicon()
    tokens = lex.normalize_chat(tokenize("lm lai cccd mat bn tien a/c"))
    assert tokens[:2] == ["làm", "lai"] and "căn" in tokens and "bao" in tokens and tokens[-2:] == ["anh", "chị"]
    assert lex.expansions(tokenize("mat so do")) == ["cấp lại giấy chứng nhận do bị mất"]   # losing a land title
    assert any("chuyển nhượng quyền sử dụng đất" in e for e in lex.expansions(tokenize("sang ten so do")))
    assert lex.expansions(tokenize("sơ đồ mặt bằng")) == []
    assert "phiếu lý lịch tư pháp" in lex.expansions(tokenize("xin giấy không tiền án tiền sự"))
    assert lex.normalize_chat(tokenize("vk ck e chx đkí kết hôn")) == \
        "vợ chồng em chưa đăng ký kết hôn".split()


def test_dk_means_duoc_before_a_particle() -> None:
    lex = default_lexicon()
    assert lex.normalize_chat(tokenize("đk kết hôn")) == ["đăng", "ký", "kết", "hôn"]
    assert lex.normalize_chat(tokenize("làm online đk ko")) == ["làm", "online", "được", "không"]


def test_lexicon_file_is_well_formed() -> None:
    lex = AliasLexicon.load()
    kinds = {e.kind for e in lex.entries}
    assert kinds == {"chat", "alias"}
    assert len(lex.entries) > 300
    assert all(e.term and e.replacement for e in lex.entries)
    terms = [(e.kind, e.term) for e in lex.entries]
    assert len(terms) == len(set(terms)), "a term listed twice: only the first entry would ever match"
    # aliases are matched after chat abbreviations are expanded: a term holding one ("pccc") never matches
    assert [e.term for e in lex.entries if e.kind == "alias" and lex.normalize_chat(list(e.term)) != list(e.term)] == []


# ---------------------------------------------------------------------- variants
def _proc(code: str, name: str, levels: list[str], field: str = "Cấp, quản lý căn cước") -> Procedure:
    return Procedure(code=code, name=name, field=field, levels=levels, source_group="bo-cong-an", url="")


VARIANTS = [
    _proc("A", "Cấp lại thẻ căn cước (thực hiện tại cấp trung ương)", ["Cấp bộ"]),
    _proc("B", "Cấp lại thẻ căn cước (thực hiện tại cấp tỉnh)", ["Cấp tỉnh"]),
    _proc("C", "Cấp lại thẻ căn cước", ["Cấp xã"]),
    _proc("D", "Cấp đổi thẻ căn cước", ["Cấp xã"]),
    _proc("E", "Thủ tục đăng ký khai sinh có yếu tố nước ngoài", ["Cấp xã"], "Hộ tịch"),
    _proc("F", "Thủ tục đăng ký khai sinh", ["Cấp xã"], "Hộ tịch"),
]


def test_variant_groups_ignore_level_foreign_and_action() -> None:
    info = {p.code: variant_info(p) for p in VARIANTS}
    assert info["A"].group == info["B"].group == info["C"].group == info["D"].group
    assert (info["A"].level, info["B"].level, info["C"].level) == (2, 1, 0)
    assert info["C"].action == "again" and info["D"].action == "exchange"
    assert info["E"].group == info["F"].group and info["E"].foreign and not info["F"].foreign


def test_prefer_picks_citizen_facing_level_unless_asked() -> None:
    index = VariantIndex(VARIANTS)
    ranked = [("A", 1.0), ("B", 0.99), ("C", 0.98)]
    assert index.prefer(ranked, QueryCues.from_text("làm lại thẻ căn cước"))[0][0] == "C"
    assert index.prefer(ranked, QueryCues.from_text("làm lại thẻ căn cước ở tỉnh"))[0][0] == "B"
    ranked = [("E", 1.0), ("F", 0.97)]
    assert index.prefer(ranked, QueryCues.from_text("đăng ký khai sinh cho con"))[0][0] == "F"
    assert index.prefer(ranked, QueryCues.from_text("khai sinh cho con lai nước ngoài"))[0][0] == "E"
    # far apart: no reordering
    assert index.prefer([("A", 1.0), ("C", 0.5)], QueryCues.from_text("căn cước"))[0][0] == "A"


def test_operations() -> None:
    assert name_operations("Cấp lại thẻ căn cước") == {"again"}
    assert name_operations("Cấp, cấp lại Giấy phép khai thác thủy sản") == frozenset()
    assert name_operations("Xóa đăng ký thường trú") == {"delete"}
    assert "again" in query_operations("mất căn cước làm lại")
    assert query_operations("làm thẻ căn cước lần đầu") == frozenset()
    # diacritics decide: "xây dựng" is not "dừng", "đối với" is not "đổi"
    assert query_operations("xin giấy phép xây dựng nhà ở") == frozenset()
    assert name_operations("Cấp giấy phép xây dựng mới đối với công trình cấp III") == frozenset()
    assert name_operations("Cấp giấy phép xây dựng sửa chữa, cải tạo đối với công trình") == {"repair"}
    assert query_operations("công ty muốn tạm dừng hoạt động") == {"stop"}


def test_left_behind_is_not_again(engine: SearchEngine) -> None:
    a = engine.analyze("xin cấp sổ đỏ lần đầu cho đất ông bà để lại")
    assert QueryCues.from_text(a.cue_text).action is None and "again" not in query_operations(a.cue_text)
    assert QueryCues.from_text(engine.analyze("làm lại sổ đỏ bị rách").cue_text).action == "again"


# ---------------------------------------------------------------------- dense index
class HashEncoder:
    """Deterministic bag-of-syllables vectors: enough to exercise the dense code paths."""
    dim = 64

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in text.lower().split():
            v[int(hashlib.md5(tok.encode()).hexdigest(), 16) % self.dim] += 1.0
        return v / (np.linalg.norm(v) or 1.0)

    def encode_queries(self, texts):
        return np.stack([self._vec(t) for t in texts])

    def encode_passages(self, texts, batch_size=64, show_progress=False):
        self.passage_calls = getattr(self, "passage_calls", 0) + 1
        return np.stack([self._vec(t) for t in texts])


def test_dense_index_is_cached_by_content(tmp_path) -> None:
    enc = HashEncoder()
    passages = [passage_text(p) for p in VARIANTS]
    index, took = DenseIndex.build_or_load(passages, enc, tmp_path, "fake-model")
    assert index.size == len(VARIANTS) and enc.passage_calls == 1
    again, took2 = DenseIndex.build_or_load(passages, enc, tmp_path, "fake-model")
    assert enc.passage_calls == 1 and took2 == 0.0
    scores, ids = again.search(enc.encode_queries([passages[5]])[0], 3)
    assert ids[0] == 5 and scores[0] == pytest.approx(1.0, abs=1e-5)
    DenseIndex.build_or_load(passages[:-1], enc, tmp_path, "fake-model")
    assert enc.passage_calls == 2


def test_cached_vectors_follow_the_converted_model_files(tmp_path, monkeypatch) -> None:
    """Vectors embedded by one model are never reused after the model changed: new weights (of the same size),
    another config or tokenizer, an added file."""
    monkeypatch.setattr(dense, "_WHOLE_FILE", 4096)     # the weights below are sampled, like the real ~450 MiB
    monkeypatch.setattr(dense, "_SAMPLE", 512)
    model = tmp_path / "e5-small"
    (model / "1_Pooling").mkdir(parents=True)
    (model / "config.json").write_text('{"hidden_size": 384}')
    (model / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    rng = np.random.default_rng(0)
    (model / "model.safetensors").write_bytes(rng.standard_normal(8192).astype(np.float32).tobytes())
    passages = ["Đăng ký khai sinh", "Cấp lại thẻ căn cước"]
    keys = [dense.cache_key(passages, model)]
    assert dense.cache_key(passages, model) == keys[0]
    (model / "model.safetensors").write_bytes(rng.standard_normal(8192).astype(np.float32).tobytes())
    keys.append(dense.cache_key(passages, model))
    (model / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    keys.append(dense.cache_key(passages, model))
    (model / "tokenizer.json").write_text("{}")
    keys.append(dense.cache_key(passages, model))
    assert len(set(keys)) == len(keys), keys
    assert dense.cache_key(passages[:1], model) != keys[-1]


# ---------------------------------------------------------------------- engine on the real catalogue
@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    from knowledge_base.service import load_procedures

    settings = dataclasses.replace(SETTINGS, cache_dir=tmp_path_factory.getbasetemp() / "kb-cache", use_dense=False)
    return SearchEngine.build(load_procedures(settings), settings.index_dir)


@pytest.mark.parametrize("query, expected", [
    ("đăng ký khai sinh", {"1.001193"}),
    ("dang ky ket hon", {"1.000894"}),
    ("lam lai the can cuoc bi mat", {"1.014064"}),
    ("xin lltp ở đâu", {"3.000333"}),
    ("thủ tục tách hộ", {"1.010038"}),
    ("đổi bằng lái xe hết hạn", {"3.000347"}),
    ("rút bhxh 1 lần", {"1.001613"}),
])
def test_everyday_queries_find_the_procedure(engine: SearchEngine, query: str, expected: set[str]) -> None:
    result = engine.search(query, limit=5)
    assert result.hits and result.hits[0].code in expected, [(h.code, h.name) for h in result.hits]
    assert result.confident


def test_result_shape_and_latency(engine: SearchEngine) -> None:
    result = engine.search("làm hộ chiếu mất bao lâu", limit=3)
    assert len(result.hits) == 3
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert "hộ chiếu" in result.query and result.took_ms < 1000


@pytest.mark.parametrize("query", ["xin chào", "cách nấu phở bò ngon", "mất bao lâu"])
def test_out_of_scope_or_empty_is_not_confident(engine: SearchEngine, query: str) -> None:
    assert not engine.search(query).confident


def test_field_and_level_filters(engine: SearchEngine) -> None:
    hits = engine.search("cấp lại", limit=10, field="Hộ tịch").hits
    assert hits and all(h.field == "Hộ tịch" for h in hits)
    hits = engine.search("cấp hộ chiếu phổ thông", limit=5, level="tỉnh").hits
    assert hits and all("Cấp tỉnh" in h.levels for h in hits)


def test_analysis_restores_and_expands(engine: SearchEngine) -> None:
    a = engine.analyze("lam so do lan dau mat bao lau")
    assert a.aspect.value == "duration"
    assert "sổ" in a.content and "đỏ" in a.content
    assert any("giấy chứng nhận quyền sử dụng đất" in e for e in a.expansions)


def test_name_head_and_qualifier(engine: SearchEngine) -> None:
    head, qualifier = engine._name_parts("Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV "
                                         "(Công trình không theo tuyến/Theo tuyến trong đô thị) và nhà ở riêng lẻ")
    assert head == "cấp giấy phép xây dựng mới".split()
    assert qualifier[:2] == ["đối", "với"] and "tuyến" in qualifier and "riêng" in qualifier
    assert engine._name_parts("Thủ tục đăng ký khai sinh") == (["đăng", "ký", "khai", "sinh"], [])


@pytest.mark.parametrize("query, expected, rival", [
    # the general procedure for citizens, not the one for organisations or for railway works,
    # although their names are shorter (phrasings not in the dev set)
    ("cấp sổ đỏ lần đầu cho hộ gia đình", "1.013978", "1.012753"),
    ("giấy phép xây dựng nhà ở cho gia đình", "1.013225", "1.005134"),
])
def test_citizen_facing_general_procedure_wins(engine: SearchEngine, query: str, expected: str, rival: str) -> None:
    codes = [h.code for h in engine.search(query, limit=5).hits]
    assert expected in codes and (rival not in codes or codes.index(expected) < codes.index(rival)), codes


@pytest.mark.parametrize("text, action", [
    ("bà nội em mới mất, làm giấy khai tử cần gì", None),     # died
    ("mẹ tôi mất năm ngoái, giờ làm khai tử", None),
    ("con tôi mất giấy khai sinh", "again"),                   # lost
    ("mẹ tôi làm mất căn cước", "again"),
])
def test_died_is_not_lost(engine: SearchEngine, text: str, action: str | None) -> None:
    assert QueryCues.from_text(engine.analyze(text).cue_text).action == action


def test_age_in_the_question_picks_the_age_limited_variant(engine: SearchEngine) -> None:
    assert age_range("Cấp thẻ căn cước cho người dưới 14 tuổi") == (0, 13)
    assert age_range("Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên") == (14, 200)
    assert query_age("con tôi 10 tuổi") == 10 and query_age("làm cho em bé") == 3 and query_age("làm căn cước") is None
    young = engine.search("xin thẻ căn cước cho con 10 tuổi", limit=3).hits[0]
    adult = engine.search("xin thẻ căn cước cho người 30 tuổi", limit=3).hits[0]
    assert "dưới 14 tuổi" in young.name and "từ đủ 14 tuổi" in adult.name


def test_names_listing_citizens_are_not_foreigners_only(engine: SearchEngine) -> None:
    foreign = {c: engine._foreign[engine.position[c]] for c in ("2.000806", "1.013978", "3.000333", "1.003460")}
    assert foreign == {
        "2.000806": True,    # Đăng ký kết hôn có yếu tố nước ngoài
        "1.013978": False,   # ... lần đầu đối với hộ gia đình, cá nhân, ..., người gốc Việt Nam định cư ở nước ngoài
        "3.000333": False,   # Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài ...
        "1.003460": True,    # Cấp thẻ tạm trú cho người nước ngoài ...
    }


def test_nobody_young_in_the_question_means_an_adult(engine: SearchEngine) -> None:
    assert QueryCues.from_text("làm thẻ căn cước lần đầu").age == 30
    assert QueryCues.from_text("làm thẻ căn cước cho con").age is None
    assert QueryCues.from_text("làm căn cước cho bé").age_stated
    hit = engine.search("làm thẻ căn cước lần đầu có mất tiền không", limit=3).hits[0]
    assert "từ đủ 14 tuổi" in hit.name


def test_how_long_it_takes_is_not_a_loss(engine: SearchEngine) -> None:
    a = engine.analyze("sang tên sổ hồng sau khi mua nhà mất bao nhiêu ngày")
    assert a.aspect.value == "duration" and "mất" not in a.content
    assert "again" not in QueryCues.from_text(a.cue_text).operations


# ---------------------------------------------------------------------- example questions
def test_example_lines_are_checked() -> None:
    from knowledge_base.search.examples import parse_examples

    lines = ['{"codes": ["1.001193", "9.999999"], "question": "Vo em moi sinh be"}',
             'not json', '{"codes": ["9.999999"], "question": "mã không có"}', '{"question": "thiếu mã"}',
             json.dumps({"codes": ["1.000894"], "question": unicodedata.normalize("NFD", "  Kết hôn cần gì  ")})]
    examples = parse_examples(lines, known_codes={"1.001193", "1.000894"})
    assert [(e.codes, e.question) for e in examples] == [(("1.001193",), "Vo em moi sinh be"),
                                                         (("1.000894",), "Kết hôn cần gì")]


def test_example_similarity_is_the_best_example_per_procedure() -> None:
    from knowledge_base.search.examples import ExampleIndex

    vectors = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 0, 1]], dtype=np.float32)
    index = ExampleIndex(vectors, [[0], [0, 2], [1]], n_docs=4)
    sims = index.similarity(np.array([0.6, 0.8, 0.0]))
    assert sims.tolist() == pytest.approx([1.0, 0.0, 1.0, 0.0])      # doc 0: best of 0.6 and 1.0
    assert index.similarity(np.array([0.0, 0.0, -1.0]))[1] == 0       # opposite: no negative vote


def test_example_questions_teach_everyday_words(engine: SearchEngine) -> None:
    """A procedure's example questions are searched like its text: words the catalogue never uses
    ("bị giật túi") find it when an example says them, and only then."""
    from knowledge_base.search.examples import Example

    query = "bị giật túi ở chợ thì báo đâu"
    target = "1.001193"                                   # any procedure the query's words never reach
    assert target not in [h.code for h in engine.search(query, limit=10).hits]
    taught = SearchEngine(engine.procedures, engine.restorer, engine.lexicon, config=engine.config,
                          examples=engine.examples + [Example((target,), "Em bị giật túi ngoài chợ, giờ phải làm gì ạ?")])
    assert taught.search(query, limit=1).hits[0].code == target
