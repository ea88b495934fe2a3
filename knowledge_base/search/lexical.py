"""BM25 over syllables + syllable bigrams, stored as a scipy sparse (docs x terms) weight matrix.

Each document is a set of weighted fields (name weighted up, field, a little document text);
field weights scale term frequencies and lengths (a BM25F-style approximation). The BM25 weight
of every (doc, term) pair is precomputed, so a query is one column slice and a sparse
matrix-vector product: ~1 ms at a few thousand documents, a few ms at 100k.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import sparse


def posting_positions(indptr: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a CSC matrix's data/indices of every entry of `cols` (vectorised range concat),
    and the number of entries per column."""
    starts = indptr[cols].astype(np.int64)
    lengths = (indptr[cols + 1] - indptr[cols]).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), lengths
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return offsets + np.arange(total, dtype=np.int64), lengths


def ngram_terms(tokens: Sequence[str], bigrams: bool = True) -> list[str]:
    """Unigrams plus adjacent bigrams ("khai sinh" -> ["khai", "sinh", "khai_sinh"])."""
    terms = list(tokens)
    if bigrams:
        terms.extend(f"{a}_{b}" for a, b in zip(tokens, tokens[1:]))
    return terms


@dataclass(frozen=True)
class WeightedField:
    tokens: Sequence[str]
    weight: float


class BM25Index:
    def __init__(self, weights: sparse.csc_matrix, vocab: dict[str, int], idf: np.ndarray, n_docs: int):
        self.weights = weights          # (n_docs, n_terms) BM25 contribution of term t in doc d
        self.vocab = vocab
        self.idf = idf
        self.n_docs = n_docs
        self.max_idf = float(idf.max()) if len(idf) else 1.0

    @classmethod
    def build(cls, docs: Sequence[Sequence[WeightedField]], k1: float = 1.2, b: float = 0.6,
              bigrams: bool = True) -> "BM25Index":
        """BM25F: every document is the same list of fields (by position); each field's term
        frequencies are length-normalised against that field's average length, weighted, summed,
        then saturated once."""
        n_docs = len(docs)
        n_fields = max((len(d) for d in docs), default=0)
        lengths = np.zeros((n_docs, n_fields), dtype=np.float64)
        for d, fields in enumerate(docs):
            for j, f in enumerate(fields):
                lengths[d, j] = len(f.tokens)
        avg = np.maximum(lengths.mean(axis=0), 1e-9) if n_docs else np.ones(n_fields)
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for d, fields in enumerate(docs):
            for j, f in enumerate(fields):
                if not f.tokens or f.weight <= 0:
                    continue
                scale = f.weight / (1.0 - b + b * lengths[d, j] / avg[j])
                for term in ngram_terms(f.tokens, bigrams):
                    rows.append(d)
                    cols.append(vocab.setdefault(term, len(vocab)))
                    vals.append(scale)
        n_terms = len(vocab)
        tf = sparse.coo_matrix((np.asarray(vals, dtype=np.float64), (rows, cols)), shape=(n_docs, n_terms)).tocsr()
        tf.sum_duplicates()
        df = np.bincount(tf.indices, minlength=n_terms).astype(np.float64)
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        tfv = tf.data
        w = idf[tf.indices] * tfv * (k1 + 1.0) / (tfv + k1)
        weights = sparse.csr_matrix((w.astype(np.float32), tf.indices, tf.indptr), shape=(n_docs, n_terms)).tocsc()
        return cls(weights, vocab, idf.astype(np.float32), n_docs)

    def term_ids(self, query: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        ids, qw = [], []
        for term, weight in query.items():
            t = self.vocab.get(term)
            if t is not None and weight > 0:
                ids.append(t)
                qw.append(weight)
        return np.asarray(ids, dtype=np.int64), np.asarray(qw, dtype=np.float32)

    def _gather(self, ids: np.ndarray, col_weights: np.ndarray, binary: bool) -> np.ndarray:
        """sum over query columns of weight * (BM25 weight, or 1 when binary) per document."""
        w = self.weights
        take, lengths = posting_positions(w.indptr, ids)
        if len(take) == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        cw = np.repeat(col_weights, lengths)
        values = cw if binary else w.data[take] * cw
        return np.bincount(w.indices[take], weights=values, minlength=self.n_docs).astype(np.float32)

    def scores(self, query: Mapping[str, float]) -> np.ndarray:
        """BM25 score of every document for a weighted bag of query terms."""
        ids, qw = self.term_ids(query)
        if len(ids) == 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        return self._gather(ids, qw, binary=False)

    def idf_of(self, term: str, default: float | None = None) -> float:
        t = self.vocab.get(term)
        if t is None:
            return self.max_idf if default is None else default
        return float(self.idf[t])

    def coverage_all(self, query: Mapping[str, float]) -> np.ndarray:
        """Per document: share of the query's idf mass (unknown terms count at max idf) it contains."""
        total = sum(w * self.idf_of(t) for t, w in query.items())
        ids, qw = self.term_ids(query)
        if len(ids) == 0 or total <= 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        return self._gather(ids, qw * self.idf[ids], binary=True) / total

    def coverage(self, query: Mapping[str, float], docs: Sequence[int]) -> np.ndarray:
        """coverage_all restricted to `docs`."""
        return self.coverage_all(query)[np.asarray(docs, dtype=np.int64)]
