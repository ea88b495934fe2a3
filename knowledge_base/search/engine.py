"""Hybrid procedure search: lexical BM25 (folded + accented), dense e5, fusion, priors and variants.

The query is first understood by `query.QueryAnalyzer` (chat normalisation, diacritic restoration,
aspect stripping, alias expansion). Retrieval (`SearchEngine.search`): BM25 over folded syllables and
bigrams (robust to missing accents) plus BM25 over accented forms (precise), fused with dense cosine
similarity when the lexical result is not decisive; priors (citizen-facing level, operation, age,
foreign element) and variant preference (`variants.py`); the top hit is checked against a calibrated
no-match threshold.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy import sparse

from knowledge_base.catalogue.models import Procedure
from knowledge_base.search.aliases import AliasLexicon, default_lexicon, fold
from knowledge_base.search.aspects import CONTENT, FILLER, PROTECTED
from knowledge_base.search.dense import DenseIndex, EncoderLike, passage_text
from knowledge_base.search.diacritics import Restorer
from knowledge_base.search.examples import Example, ExampleIndex, load_examples
from knowledge_base.search.lexical import BM25Index, Overlay, WeightedField, ngram_terms, posting_positions
from knowledge_base.search.query import KIN, Analysis, QueryAnalyzer, frequent_name_bigrams, load_restorer
from knowledge_base.search.taught import TaughtExample, TaughtIndex
from knowledge_base.search.variants import QueryCues, VariantIndex, age_range, name_operations
from knowledge_base.text import syllables
from knowledge_base.types import SearchHit, SearchResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _TaughtVote:
    """The officers' taught examples as the ranking reads them (rebuilt when they change)."""
    examples: tuple[TaughtExample, ...]
    folded: Overlay
    accented: Overlay
    vectors: np.ndarray                  # (examples with a vector x dim)
    doc_of: np.ndarray                   # per (example, labelled procedure) pair: the procedure's position ...
    example_of: np.ndarray               # ... and the example's row in `vectors`


_FOREIGN_NAME = re.compile(r"\bnuoc ngoai\b")
# A name listing citizens among those it applies to ("đối với hộ gia đình, cá nhân, ..., người gốc
# Việt Nam định cư ở nước ngoài") is not a foreigners-only procedure.
_CITIZENS_LISTED = re.compile(r"\b(?:ho gia dinh|cong dan viet nam|ca nhan(?! nuoc ngoai))\b")
_CITIZEN = re.compile(r"Công dân Việt Nam|Hộ gia đình|Cá nhân", re.IGNORECASE)
_PARENTHESISED = re.compile(r"\(([^()]*)\)")
_QUALIFIER_START = re.compile(r"(?<=\w)\s*,?\s+đối với\b", re.IGNORECASE)
# A name addressed to organisations ("... đối với tổ chức đang sử dụng đất") without naming citizens.
_FOR_ORGANISATIONS = re.compile(r"\b(?:đối với|của|cho) (?:tổ chức|doanh nghiệp|cơ sở|đơn vị)\b", re.IGNORECASE)

# Grammatical words: they rarely decide the procedure; kept with a small weight.
FUNCTION_WORDS = frozenset("""cho của với và ở tại các những được có không từ đến về trong theo đã bị khi
thì là để một hay hoặc này đó nào ra vào lên""".split())
FOLDED_FUNCTION_WORDS = frozenset(fold(w) for w in FUNCTION_WORDS)
# "cho con", "cho vợ": who the procedure is for, almost never part of a procedure name.
BENEFICIARIES = KIN | frozenset("bé mình tôi nhà".split())


@dataclass
class SearchConfig:
    # lexical document fields
    name_weight: float = 3.0
    qualifier_weight: float = 2.5          # name qualifier: "đối với ...", "(...)"
    field_weight: float = 0.7
    text_weight: float = 0.25
    example_weight: float = 4.0            # the procedure's example questions (examples.py); 0 = off
    max_doc_names: int = 8
    # lexical query
    accented_weight: float = 0.6           # accented BM25 when the citizen typed diacritics
    restored_accented_weight: float = 0.3  # ... when the diacritics were restored by the model
    alias_source_weight: float = 0.5       # the citizen's own words that an alias explained
    function_word_weight: float = 0.3      # "cho", "của", "với"... keep a little weight
    beneficiary_weight: float = 0.15       # "cho con", "cho vợ": who it is for, rarely in a name
    expansion_weight: float = 1.0
    # lexical evidence beyond BM25
    name_cov_weight: float = 0.35          # share of the score that depends on how much of the name the query covers
    name_qualifier_weight: float = 0.2     # weight of the name qualifier's syllables in that coverage
    field_weight_query: float = 0.2        # share of the score given by how well the query fits the procedure's field
    candidates: int = 100
    # fusion (measured: weighted 0.3 beats RRF by ~6 points top-1 on the dev set)
    fusion: str = "weighted"               # "weighted" | "rrf" | "lexical"
    dense_weight: float = 0.3
    rrf_k: float = 60.0
    dense_query: str = "restored"          # "understood" (stripped + expansions) | "restored" (whole question) | "both"
    dense_max_words: int = 16              # encoding time grows with length
    dense_drop_filler: bool = True
    # example questions nearest the query (e5, question to question) vote for their procedures
    example_dense_weight: float = 0.3      # 0 = off
    example_neighbours: int = 20           # procedures voted for: the best this many; the rest say nothing
    # skip the dense model when the lexical winner is decisive (saves ~30-50 ms on ~40% of queries)
    skip_dense_margin: float = 0.10        # relative lead over the second hit (>= 1 never skips)
    skip_dense_coverage: float = 0.30
    skip_dense_name_coverage: float = 0.30
    # priors and variants
    level_prior: float = 0.06              # per level step away from cấp xã (citizen-facing first)
    foreign_penalty: float = 0.08          # names about foreigners when the query never says so
    non_citizen_penalty: float = 0.10      # procedures citizens cannot apply for, unless the query is about a business
    popularity_weight: float = 0.04        # procedures offered in several variants (levels, foreign...) are common ones
    operation_penalty: float = 0.15        # name starts with an operation (cấp lại, xóa, thu hồi...) the query never hints at
    age_penalty: float = 0.15              # the name's age limit excludes the age asked about
    assumed_age_penalty: float = 0.05      # ... excludes adults, and the question is about nobody younger
    variant_closeness: float = 0.9
    family_min_names: int = 10             # a query whose words this many names all contain names a family
    # no-match, calibrated on the dev set vs out-of-scope lines (see tools/evaluation/evaluate.py):
    # with dense on, the e5 cosine of the top hit separates them best; lexical-only falls back
    # to how much of the query the hit explains and how much of the hit's name the query explains.
    min_dense: float = 0.86
    min_dense_weak: float = 0.85           # ... enough when the lexical evidence below also holds
    min_coverage: float = 0.30
    min_name_coverage: float = 0.30
    lexical_min_coverage: float = 0.30
    lexical_min_name_coverage: float = 0.20


@dataclass
class Scored:
    """Internal ranking detail (for evaluation and debugging)."""
    code: str
    score: float
    lexical: float
    dense: float | None
    coverage: float                         # idf share of the query found in the procedure
    name_coverage: float = 0.0              # idf share of the procedure name found in the query


def _column_sums(matrix: sparse.csc_matrix, cols: np.ndarray, col_weights: np.ndarray | None,
                 n_rows: int) -> np.ndarray:
    """sum_j w_j * matrix[:, cols[j]] as a dense vector, without scipy's fancy-indexing overhead."""
    take, lengths = posting_positions(matrix.indptr, cols)
    if len(take) == 0:
        return np.zeros(n_rows, dtype=np.float32)
    values = matrix.data[take]
    if col_weights is not None:
        values = values * np.repeat(col_weights, lengths)
    return np.bincount(matrix.indices[take], weights=values, minlength=n_rows).astype(np.float32)


def _doc_text(proc: Procedure, max_docs: int) -> str:
    parts = [d.name for d in proc.documents[:max_docs]]
    if proc.result:
        parts.append(proc.result)
    return " ".join(parts)


class SearchEngine:
    def __init__(self, procedures: Sequence[Procedure], restorer: Restorer, lexicon: AliasLexicon,
                 dense: DenseIndex | None = None, encoder: EncoderLike | None = None,
                 config: SearchConfig | None = None, examples: Sequence[Example] = (),
                 example_index: ExampleIndex | None = None):
        self.config = config or SearchConfig()
        self.procedures = list(procedures)
        self.codes = [p.code for p in self.procedures]
        self.position = {c: i for i, c in enumerate(self.codes)}
        self.restorer = restorer
        self.lexicon = lexicon
        self.analyzer = QueryAnalyzer(restorer, lexicon, frequent_name_bigrams(self.procedures))
        self.dense = dense if encoder is not None else None
        self.encoder = encoder if dense is not None else None
        self.variants = VariantIndex(self.procedures)
        self.examples = list(examples)
        self.example_index = example_index if self.dense is not None else None
        self.taught = TaughtIndex(self.analyze, self.encoder)       # officers' live examples
        self._taught_vote: _TaughtVote | None = None
        started = time.perf_counter()
        self.folded, self.accented = self._build_lexical()
        self.lexical_build_seconds = time.perf_counter() - started
        self._field_keys = np.array([fold(p.field) for p in self.procedures], dtype=object)
        self._level_keys = [{fold(lv) for lv in p.levels} for p in self.procedures]
        self._name_cov_csc = self._build_name_coverage().tocsc()
        self._build_field_index()
        levels = np.array([min(self.variants.info[c].level, 2) for c in self.codes], dtype=np.float32)
        foreign = np.array([self._is_foreign(head, qualifier) for head, qualifier in self._name_parts_all])
        self._level_prior = 1.0 - self.config.level_prior * levels
        self._foreign = foreign
        self._operations = [name_operations(p.name) for p in self.procedures]
        self._age_ranges = [age_range(p.name) for p in self.procedures]
        sizes = np.array([len(self.variants.siblings(c)) for c in self.codes], dtype=np.float32)
        self._popularity = np.minimum(sizes - 1.0, 2.0) / 2.0
        self._non_citizen = np.array([not _CITIZEN.search(p.applicants or "Công dân Việt Nam")
                                      or (bool(_FOR_ORGANISATIONS.search(p.name)) and not _CITIZEN.search(p.name))
                                      for p in self.procedures])

    # ------------------------------------------------------------------ construction
    @classmethod
    def build(cls, procedures: Sequence[Procedure], cache_dir: Path | None = None,
              encoder: EncoderLike | None = None, model_dir: Path | str | None = None,
              config: SearchConfig | None = None, show_progress: bool = False) -> "SearchEngine":
        lexicon = default_lexicon()
        position = {p.code: i for i, p in enumerate(procedures)}
        examples = load_examples(known_codes=set(position))
        restorer = load_restorer(procedures, lexicon, cache_dir, [e.question for e in examples])
        dense = example_index = None
        if encoder is not None:
            passages = [passage_text(p) for p in procedures]
            dense, _ = DenseIndex.build_or_load(passages, encoder, cache_dir or Path("."), model_dir or "model",
                                                show_progress=show_progress)
            example_index = ExampleIndex.build_or_load(examples, position, encoder, cache_dir or Path("."),
                                                       model_dir or "model")
        return cls(procedures, restorer, lexicon, dense, encoder, config, examples, example_index)

    def _index_tokens(self, text: str) -> list[str]:
        """Catalogue text tokens with official abbreviations spelled out the way queries are
        ("TNHH" -> "trách nhiệm hữu hạn", "BHXH" -> "bảo hiểm xã hội")."""
        out: list[str] = []
        for tok in syllables(text):
            out.extend(self._abbreviations.get(tok, (tok,)))
        return out

    def _name_tokens(self, name: str) -> list[str]:
        toks = self._index_tokens(name)
        return toks[2:] if toks[:2] == ["thủ", "tục"] else toks   # "Thủ tục đăng ký khai sinh"

    def _name_parts(self, name: str) -> tuple[list[str], list[str]]:
        """(head, qualifier) tokens of a name. The qualifier - parenthesised lists and what follows
        "đối với" ("... đối với công trình cấp III, cấp IV (Công trình không theo tuyến/...)") - says
        to whom or what the procedure applies; citizens name the head. Indexed apart so that a long
        qualifier does not sink the head's match (BM25 length normalisation, name coverage)."""
        inside = " ".join(_PARENTHESISED.findall(name))
        outside = _PARENTHESISED.sub(" ", name)
        m = _QUALIFIER_START.search(outside)
        head, tail = (outside[:m.start()], outside[m.start():]) if m else (outside, "")
        return self._name_tokens(head), self._index_tokens(tail + " " + inside)

    @staticmethod
    def _is_foreign(head: list[str], qualifier: list[str]) -> bool:
        """The name is about foreigners or a foreign element and does not also list citizens
        ("... cho công dân Việt Nam, người nước ngoài đang cư trú ...")."""
        text = fold(" ".join(head + qualifier))
        return bool(_FOREIGN_NAME.search(text)) and not _CITIZENS_LISTED.search(text)

    def _build_name_coverage(self) -> sparse.csr_matrix:
        """(docs x folded vocab) idf share of each distinct name syllable: row @ query indicator =
        how much of the procedure's name the query accounts for. Syllables of the qualifier
        ("... đối với hộ gia đình, cá nhân, cộng đồng dân cư") count less: a citizen names the
        procedure, not the list of who may use it, and long qualifiers must not sink a name."""
        q = self.config.name_qualifier_weight
        rows, cols, vals = [], [], []
        for d, (head, qualifier) in enumerate(self._name_parts_all):
            weight: dict[int, float] = {}
            for toks, share in ((head, 1.0), (qualifier, q)):
                for t in toks:
                    j = self.folded.vocab.get(fold(t))
                    if j is not None:
                        weight[j] = max(weight.get(j, 0.0), float(self.folded.idf[j]) * share)
            if not weight:
                continue
            ids = sorted(weight)
            w = np.array([weight[j] for j in ids])
            rows.extend([d] * len(ids))
            cols.extend(ids)
            vals.extend((w / w.sum()).tolist())
        return sparse.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)),
                                 shape=(len(self.procedures), len(self.folded.vocab)))

    def name_coverage_all(self, q_fold: dict[str, float]) -> np.ndarray:
        """Per document: idf share of its name's syllables that the query contains."""
        ids = [self.folded.vocab[t] for t, w in q_fold.items() if w > 0 and "_" not in t and t in self.folded.vocab]
        if not ids:
            return np.zeros(len(self.procedures), dtype=np.float32)
        return _column_sums(self._name_cov_csc, np.asarray(ids, dtype=np.int64), None, len(self.procedures))

    def _build_field_index(self) -> None:
        """BM25 over fields (each field = all its procedure names): which domain is the question in?"""
        names: dict[str, list[str]] = {}
        for p in self.procedures:
            key = fold(p.field)
            names.setdefault(key, [fold(t) for t in self._index_tokens(p.field)])
            names[key].extend(fold(t) for t in self._name_tokens(p.name))
        keys = list(names)
        self._field_of_doc = np.array([keys.index(fold(p.field)) for p in self.procedures], dtype=np.int64)
        self.field_index = BM25Index.build([[WeightedField(names[k], 1.0)] for k in keys], k1=1.2, b=0.3)

    def _build_lexical(self) -> tuple[BM25Index, BM25Index]:
        cfg = self.config
        self._abbreviations = {
            e.term[0]: tuple(syllables(e.replacement)) for e in self.lexicon.entries
            if e.kind == "chat" and len(e.term) == 1 and len(e.term[0]) >= 3 and len(syllables(e.replacement)) >= 2
        }
        self._name_parts_all = [self._name_parts(p.name) for p in self.procedures]
        self._name_words = [frozenset(fold(t) for t in head + qualifier) for head, qualifier in self._name_parts_all]
        asked = self._example_tokens()
        folded_docs, accented_docs = [], []
        for p, (head, qualifier), ask in zip(self.procedures, self._name_parts_all, asked):
            fld = self._index_tokens(p.field)
            text = self._index_tokens(_doc_text(p, cfg.max_doc_names))
            accented_docs.append([WeightedField(head, cfg.name_weight), WeightedField(qualifier, cfg.qualifier_weight),
                                  WeightedField(fld, cfg.field_weight), WeightedField(text, cfg.text_weight),
                                  WeightedField(ask, cfg.example_weight)])
            folded_docs.append([WeightedField([fold(t) for t in f.tokens], f.weight) for f in accented_docs[-1]])
        return BM25Index.build(folded_docs), BM25Index.build(accented_docs)

    def _example_tokens(self) -> list[list[str]]:
        """Per procedure: the content words of its example questions, as the analyser reads a query
        (aspect words and filler dropped, diacritics restored), each question's words once."""
        out: list[list[str]] = [[] for _ in self.procedures]
        if self.config.example_weight <= 0:
            return out
        for e in self.examples:
            words = list(dict.fromkeys(self.analyze(e.question).content))
            for code in e.codes:
                if code in self.position:
                    out[self.position[code]].extend(words)
        return out

    # ------------------------------------------------------------------ what the catalogue knows of words and names
    def idf(self, folded_word: str) -> float:
        """Rarity of a folded syllable across the catalogue (unknown words count as rare)."""
        j = self.folded.vocab.get(folded_word)
        return float(self.folded.idf[j]) if j is not None else float(self.folded.idf.max())

    def name_head(self, code: str) -> list[str]:
        """The syllables of a procedure name's head (without its "đối với …" / "(…)" qualifier)."""
        return self._name_parts_all[self.position[code]][0]

    def name_words(self, code: str) -> frozenset[str]:
        """Folded syllables of a procedure's whole name."""
        return self._name_words[self.position[code]]

    # ------------------------------------------------------------------ query understanding
    def analyze(self, text: str) -> Analysis:
        return self.analyzer.analyze(text)

    def _query_terms(self, a: Analysis, accented: bool) -> dict[str, float]:
        cfg = self.config
        terms: dict[str, float] = {}

        def add(tokens: list[str], weights: list[float]) -> None:
            grams = ngram_terms(tokens)
            ws = weights + [min(x, y) for x, y in zip(weights, weights[1:])]
            for g, w in zip(grams, ws):
                if w > terms.get(g, 0.0):
                    terms[g] = w

        content, weights = [], []
        kept = [i for i, st in enumerate(a.status) if st in (CONTENT, PROTECTED)]
        for j, i in enumerate(kept):
            rtok = a.restored[i]
            content.append(rtok if accented else fold(a.tokens[i]))
            if a.alias_mask[i]:
                w = cfg.alias_source_weight
            elif rtok in FUNCTION_WORDS:
                w = cfg.function_word_weight
                if rtok == "cho" and j + 1 < len(kept) and a.restored[kept[j + 1]] in BENEFICIARIES:
                    w = cfg.beneficiary_weight
            elif rtok in BENEFICIARIES and j > 0 and a.restored[kept[j - 1]] == "cho":
                w = cfg.beneficiary_weight
            else:
                w = 1.0
            weights.append(w)
        add(content, weights)
        for exp in a.expansions:
            toks = syllables(exp)
            toks = toks if accented else [fold(t) for t in toks]
            add(toks, [cfg.expansion_weight] * len(toks))
        return terms

    # ------------------------------------------------------------------ retrieval
    def _mask(self, field_filter: str | None, level: str | None, group: str | None = None) -> np.ndarray | None:
        if not field_filter and not level and not group:
            return None
        mask = np.ones(len(self.procedures), dtype=bool)
        if group:
            mask &= np.array([p.source_group == group for p in self.procedures], dtype=bool)
        if field_filter:
            key = fold(field_filter).strip()
            mask &= np.array([key == fk or key in fk for fk in self._field_keys], dtype=bool)
        if level:
            key = fold(level).strip()
            key = key if key.startswith("cap ") or key == "co quan khac" else f"cap {key}"
            mask &= np.array([key in lv for lv in self._level_keys], dtype=bool)
        return mask

    def passes(self, code: str, field_filter: str | None, level: str | None, group: str | None) -> bool:
        """Whether the procedure `code` is within the filters."""
        mask = self._mask(field_filter, level, group)
        return mask is None or bool(mask[self.position[code]])

    def _taught(self) -> _TaughtVote | None:
        """The taught examples' share of the example field and of the example vote, for the examples held now."""
        examples = self.taught.examples
        if not examples:
            return None
        vote = self._taught_vote
        if vote is not None and vote.examples is examples:
            return vote
        extra: dict[int, list[tuple[str, ...]]] = {}
        rows, doc_of, example_of = [], [], []
        for e in examples:
            positions = [self.position[c] for c in e.codes if c in self.position]
            for d in positions:
                extra.setdefault(d, []).append(e.content)
            if e.question_vector is not None:
                doc_of.extend(positions)
                example_of.extend([len(rows)] * len(positions))
                rows.append(e.question_vector)
        weight = self.config.example_weight
        folded = {d: [tuple(fold(t) for t in words) for words in lists] for d, lists in extra.items()}
        vote = _TaughtVote(examples, self.folded.overlay(folded, weight), self.accented.overlay(extra, weight),
                           np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 1), dtype=np.float32),
                           np.asarray(doc_of, dtype=np.int64), np.asarray(example_of, dtype=np.int64))
        self._taught_vote = vote
        return vote

    def lexical_scores(self, a: Analysis) -> tuple[np.ndarray, dict[str, float]]:
        taught = self._taught()
        q_fold = self._query_terms(a, accented=False)
        scores = self.folded.scores(q_fold, taught.folded if taught else None)
        wa = self.config.accented_weight if a.typed_accented else self.config.restored_accented_weight
        if wa > 0:
            scores = scores + wa * self.accented.scores(self._query_terms(a, accented=True),
                                                        taught.accented if taught else None)
        return scores, q_fold

    def _prior(self, cand: np.ndarray, cues: QueryCues) -> np.ndarray:
        """Multiplicative priors: citizen-facing level, popular procedures, no unasked-for foreign,
        business-only, operation-specific ("cấp lại", "xóa"...) or age-excluded procedures."""
        cfg = self.config
        prior = self._level_prior[cand] + cfg.popularity_weight * self._popularity[cand]
        if not cues.foreign:
            prior = prior - cfg.foreign_penalty * self._foreign[cand]
        if not cues.business:
            prior = prior - cfg.non_citizen_penalty * self._non_citizen[cand]
        if cfg.operation_penalty > 0:
            prior = prior - cfg.operation_penalty * np.array(
                [bool(self._operations[d] - cues.operations) for d in cand], dtype=np.float32)
        if cues.age is not None:
            ranges = [self._age_ranges[d] for d in cand]
            penalty = cfg.age_penalty if cues.age_stated else cfg.assumed_age_penalty
            prior = prior - penalty * np.array(
                [r is not None and not r[0] <= cues.age <= r[1] for r in ranges], dtype=np.float32)
        return prior

    def _order(self, cand: np.ndarray, fused: np.ndarray, cues: QueryCues, limit: int) -> list[tuple[str, float]]:
        order = np.argsort(-fused)[: max(limit * 3, 10)]
        ranked = [(self.codes[cand[i]], float(fused[i])) for i in order]
        return self.variants.prefer(ranked, cues, self.config.variant_closeness)[:limit]

    def rank(self, a: Analysis, limit: int = 5, field_filter: str | None = None,
             level: str | None = None, group: str | None = None) -> list[Scored]:
        """Ranked procedures with their evidence. Lexical first; the dense model is consulted only
        when the lexical result is not decisive (it costs ~30-50 ms a query on this CPU)."""
        cfg = self.config
        if not a.has_content:
            return []
        lex, q_fold = self.lexical_scores(a)
        mask = self._mask(field_filter, level, group)
        if mask is not None:
            lex = np.where(mask, lex, -1.0).astype(np.float32)
        n = len(lex)
        k = min(cfg.candidates, n)
        cand = np.argpartition(-lex, k - 1)[:k] if k < n else np.arange(n)
        cand = cand[lex[cand] > 0]
        use_dense = self.dense is not None and self.encoder is not None and cfg.fusion != "lexical"
        cues = QueryCues.from_text(a.cue_text, " ".join(a.restored))
        ncov_all = self.name_coverage_all(q_fold)          # computed once per query, reused below
        cov_all: list[np.ndarray] = []                     # lazily

        def coverage(docs: Sequence[int]) -> np.ndarray:
            if not cov_all:
                taught = self._taught()
                cov_all.append(self.folded.coverage_all(q_fold, taught.folded if taught else None))
            return cov_all[0][np.asarray(docs, dtype=np.int64)]

        dense_scores: np.ndarray | None = None
        lex_c = np.zeros(0, dtype=np.float32)
        ranked: list[tuple[str, float]] = []
        if len(cand):
            lex_c = self._lexical_evidence(lex, q_fold, cand, ncov_all)
            ranked = self._order(cand, lex_c / (float(lex_c.max()) or 1.0) * self._prior(cand, cues), cues, limit)
            if use_dense and self._decisive(ranked, coverage, ncov_all):
                use_dense = False
        if use_dense:
            qvec = self._query_vector(a)
            _, d_ids = self.dense.search(qvec, k)
            d_ids = d_ids[d_ids >= 0]
            if mask is not None:
                d_ids = d_ids[mask[d_ids]]
            extra = np.setdiff1d(d_ids, cand)
            if len(extra):
                cand = np.concatenate([cand, extra])
                lex_c = self._lexical_evidence(lex, q_fold, cand, ncov_all)
            if len(cand) == 0:
                return []
            example_vote = self._example_vote(qvec) if self.example_index is not None \
                and cfg.example_dense_weight > 0 else None
            if example_vote is not None:
                extra = np.setdiff1d(np.flatnonzero(example_vote > 0), cand)
                if len(extra):
                    if mask is not None:
                        extra = extra[mask[extra]]
                    cand = np.concatenate([cand, extra])
                    lex_c = self._lexical_evidence(lex, q_fold, cand, ncov_all)
            dense_scores = self.dense.scores_for(qvec, cand)
            top_lex = float(lex_c.max()) or 1.0
            if cfg.fusion == "rrf":
                r_lex = np.empty(len(cand)); r_lex[np.argsort(-lex_c)] = np.arange(len(cand))
                r_den = np.empty(len(cand)); r_den[np.argsort(-dense_scores)] = np.arange(len(cand))
                fused = 1.0 / (cfg.rrf_k + r_lex) + 1.0 / (cfg.rrf_k + r_den)
                fused = fused / fused.max()
            else:
                floor = float(np.quantile(dense_scores, 0.5)) if len(cand) > 2 else float(dense_scores.min())
                span = max(float(dense_scores.max()) - floor, 1e-6)
                dense_n = np.clip((dense_scores - floor) / span, 0.0, 1.0)
                fused = (1.0 - cfg.dense_weight) * lex_c / top_lex + cfg.dense_weight * dense_n
            if example_vote is not None:
                fused = fused + cfg.example_dense_weight * example_vote[cand]
            ranked = self._order(cand, fused * self._prior(cand, cues), cues, limit)
        if not ranked:
            return []
        pos = [self.position[c] for c, _ in ranked]
        cov = coverage(pos)
        ncov = ncov_all[np.asarray(pos, dtype=np.int64)]
        idx_in_cand = {int(c): i for i, c in enumerate(cand)}
        out = []
        for (code, score), p, c, nc in zip(ranked, pos, cov, ncov):
            i = idx_in_cand.get(p)
            out.append(Scored(code, score, float(lex[p]),
                              float(dense_scores[i]) if dense_scores is not None and i is not None else None,
                              float(c), float(nc)))
        return out

    def family(self, a: Analysis, scored: Sequence[Scored]) -> list[str]:
        """When the query only names a family of procedures ("chứng thực", "đăng ký biện pháp bảo đảm":
        at least `family_min_names` names contain all its words, and no alias says which one is meant),
        the codes among `scored` whose names contain them, in rank order; otherwise nothing."""
        words = {fold(t) for t in a.content} - {fold(t) for t in FUNCTION_WORDS}
        if not words or a.expansions:
            return []
        if sum(words <= names for names in self._name_words) < self.config.family_min_names:
            return []
        return [s.code for s in scored if words <= self._name_words[self.position[s.code]]]

    def _example_vote(self, qvec: np.ndarray) -> np.ndarray:
        """Per procedure, in [0, 1]: how close its best example question is to the query, relative to the
        procedures whose examples come nearest (e5 puts any two Vietnamese questions at a cosine of 0.8-0.9,
        so only the ranking among the nearest carries information)."""
        sims = self.example_index.similarity(qvec)
        taught = self._taught()
        if taught is not None and len(taught.vectors):
            cosines = np.maximum(taught.vectors @ np.asarray(qvec, dtype=np.float32).ravel(), 0.0)
            np.maximum.at(sims, taught.doc_of, cosines[taught.example_of])
        k = min(self.config.example_neighbours, int((sims > 0).sum()))
        if k < 2:
            return np.zeros_like(sims)
        top = np.partition(sims, len(sims) - k)[len(sims) - k:]
        floor, best = float(top.min()), float(top.max())
        return np.clip((sims - floor) / max(best - floor, 1e-6), 0.0, 1.0)

    def _lexical_evidence(self, lex: np.ndarray, q_fold: dict[str, float], cand: np.ndarray,
                          ncov_all: np.ndarray) -> np.ndarray:
        """BM25 of the candidates, scaled by how much of each name the query covers and how well the
        query fits each candidate's field."""
        cfg = self.config
        lex_c = np.maximum(lex[cand], 0.0)
        if cfg.name_cov_weight > 0:
            lex_c = lex_c * (1.0 - cfg.name_cov_weight + cfg.name_cov_weight * ncov_all[cand])
        if cfg.field_weight_query > 0:
            fs = self.field_index.scores(q_fold)
            fs = fs / (float(fs.max()) or 1.0)
            lex_c = lex_c * (1.0 - cfg.field_weight_query + cfg.field_weight_query * fs[self._field_of_doc[cand]])
        return lex_c

    def _decisive(self, ranked: list[tuple[str, float]], coverage, ncov_all: np.ndarray) -> bool:
        """The lexical winner explains the query and its own name well and leads clearly."""
        cfg = self.config
        if not ranked or cfg.skip_dense_margin >= 1.0:
            return False
        top = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if top <= 0 or (top - second) / top < cfg.skip_dense_margin:
            return False
        d = self.position[ranked[0][0]]
        cov = float(coverage([d])[0])
        ncov = float(ncov_all[d])
        return cov >= cfg.skip_dense_coverage and ncov >= cfg.skip_dense_name_coverage

    def dense_text(self, a: Analysis) -> str:
        """What the dense model sees of the query: the whole restored question (capped, since
        encoding time grows with length) plus the alias expansions."""
        if self.config.dense_query == "understood":
            return a.understood
        words = [t for t, st in zip(a.restored, a.status) if st != FILLER] if self.config.dense_drop_filler \
            else list(a.restored)
        return " ".join(words[: self.config.dense_max_words] + a.expansions[:2])

    def _query_vector(self, a: Analysis) -> np.ndarray:
        mode = self.config.dense_query
        whole = self.dense_text(a)
        if mode == "restored":
            return self.encoder.encode_queries([whole])[0]
        if mode == "both":
            v = self.encoder.encode_queries([a.understood, whole]).sum(axis=0)
            return v / (np.linalg.norm(v) or 1.0)
        return self.encoder.encode_queries([a.understood])[0]

    def is_confident(self, top: Scored | None) -> bool:
        if top is None:
            return False
        cfg = self.config
        if top.dense is not None:
            if top.dense >= cfg.min_dense:
                return True
            return top.dense >= cfg.min_dense_weak and top.coverage >= cfg.min_coverage \
                and top.name_coverage >= cfg.min_name_coverage
        return top.coverage >= cfg.lexical_min_coverage and top.name_coverage >= cfg.lexical_min_name_coverage

    def search(self, query: str, limit: int = 5, field: str | None = None, level: str | None = None,
               group: str | None = None) -> SearchResult:
        """Ranked hits; `field`, `level` and `group` (the catalogue's source group) restrict the candidates."""
        started = time.perf_counter()
        a = self.analyze(query)
        scored = self.rank(a, limit, field, level, group)
        hits = []
        for s in scored:
            p = self.procedures[self.position[s.code]]
            hits.append(SearchHit(code=p.code, name=p.name, field=p.field, levels=list(p.levels), score=round(s.score, 4),
                                  source_group=p.source_group))
        took = (time.perf_counter() - started) * 1000
        return SearchResult(hits=hits, took_ms=round(took, 2), query=a.understood,
                            confident=self.is_confident(scored[0] if scored else None))
