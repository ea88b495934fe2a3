"""Officers' taught examples join the labelled-example vote: their words count in the BM25 example field of the
taught procedures, live, exactly as if the index had been built with them."""
from __future__ import annotations

import numpy as np
import pytest

from knowledge_base.search.examples import load_examples
from knowledge_base.search.lexical import BM25Index, WeightedField
from knowledge_base.service import KnowledgeBase
from settings import SETTINGS


def _docs(extra: dict[int, list[str]]) -> list[list[WeightedField]]:
    names = [["khai", "sinh", "cho", "con"], ["dang", "ky", "tam", "tru"], ["cap", "lai", "can", "cuoc"],
             ["dang", "ky", "ket", "hon"], ["lam", "ho", "chieu"]]
    asked = [["giay", "khai", "sinh"], ["o", "nho"], ["mat", "can", "cuoc"], ["cuoi", "vo"], ["di", "nuoc", "ngoai"]]
    return [[WeightedField(n, 3.0), WeightedField(a + extra.get(d, []), 4.0)]
            for d, (n, a) in enumerate(zip(names, asked))]


@pytest.mark.parametrize("query", [
    {"tam": 1.0, "tru": 1.0, "tam_tru": 1.0},          # words the taught procedure already holds
    {"ky": 1.0, "dang_ky": 0.5, "hon": 1.0},
])
def test_an_overlay_scores_as_the_rebuilt_index_would(query: dict[str, float]) -> None:
    """No length normalisation (b=0) and words every document frequency already counts: the overlay is exact."""
    extra = {1: ["tam", "tru", "dang", "ky"]}
    built = BM25Index.build(_docs({}), b=0.0)
    rebuilt = BM25Index.build(_docs(extra), b=0.0)
    overlay = built.overlay({1: [extra[1]]}, 4.0)
    np.testing.assert_allclose(built.scores(query, overlay), rebuilt.scores(query), rtol=1e-5)
    assert built.scores(query, overlay)[1] > built.scores(query)[1]
    np.testing.assert_allclose(built.scores(query, overlay)[[0, 2, 3, 4]], built.scores(query)[[0, 2, 3, 4]])


def test_a_word_the_catalogue_never_used_reaches_the_taught_document() -> None:
    built = BM25Index.build(_docs({}))
    query = {"nhap": 1.0, "khau": 1.0, "nhap_khau": 1.0}
    assert not built.scores(query).any() and not built.coverage_all(query).any()
    overlay = built.overlay({1: [["nhap", "khau", "cho", "con"]]}, 4.0)
    scores, coverage = built.scores(query, overlay), built.coverage_all(query, overlay)
    assert int(np.argmax(scores)) == 1 and scores[1] > 0 and np.count_nonzero(scores) == 1
    assert coverage[1] == pytest.approx(1.0) and np.count_nonzero(coverage) == 1


# ---------------------------------------------------------------------------------------------- in the assistant
@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load(SETTINGS)


BURNED = "nhà tôi bị cháy hết giấy tờ thì xin cấp lại giấy khai sinh ở đâu"
COPY_OF_BIRTH_CERTIFICATE = "2.000635"          # Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh


def test_a_taught_example_reaches_other_wordings_through_the_vote(kb: KnowledgeBase) -> None:
    """A rewording too far from the taught question to match it outright gets there through the example vote."""
    rewordings = ["lửa thiêu hết giấy khai sinh"]
    before = [kb.search(q, limit=1).hits[0].code for q in rewordings]
    assert COPY_OF_BIRTH_CERTIFICATE not in before
    kb.teach(7, BURNED, [COPY_OF_BIRTH_CERTIFICATE])
    try:
        for q in rewordings:
            assert kb.taught.match(kb.engine.analyze(q)) is None          # not the outright match
            assert kb.search(q, limit=1).hits[0].code == COPY_OF_BIRTH_CERTIFICATE
    finally:
        kb.forget(7)
    assert [kb.search(q, limit=1).hits[0].code for q in rewordings] == before


def test_teaching_moves_no_other_question(kb: KnowledgeBase) -> None:
    """Labelled example questions about other procedures keep their first hit (at most 0.5% may move)."""
    examples = load_examples(known_codes={p.code for p in kb.procedures})
    burned = {COPY_OF_BIRTH_CERTIFICATE, "1.004884", "1.001193", "1.001456"}
    others = [e.question for e in examples[::12] if not burned & set(e.codes)]
    before = [kb.search(q, limit=1).hits[:1] for q in others]
    kb.teach(8, BURNED, [COPY_OF_BIRTH_CERTIFICATE])
    kb.teach(9, "con tôi đi du học cần giấy tờ gì để làm hộ chiếu", ["1.001456"])
    try:
        after = [kb.search(q, limit=1).hits[:1] for q in others]
    finally:
        kb.forget(8)
        kb.forget(9)
    moved = sum(b[:1] and a[:1] and b[0].code != a[0].code for b, a in zip(before, after))
    assert len(others) > 250 and moved <= 0.005 * len(others)
