"""BM25 over syllables + syllable bigrams, stored as a scipy sparse (docs x terms) weight matrix.

Each document is a set of weighted fields (name weighted up, field, a little document text);
field weights scale term frequencies and lengths (a BM25F-style approximation). The BM25 weight
of every (doc, term) pair is precomputed, so a query is one column slice and a sparse
matrix-vector product: ~1 ms at a few thousand documents, a few ms at 100k.
"""
from __future__ import annotations

from collections import defaultdict
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


@dataclass(frozen=True)
class Overlay:
    """Words added to some documents after the index was built (officers' taught questions): per term, the
    documents that gained it, how much their BM25 weight grows, and whether they held the term before."""
    deltas: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]]    # term -> (docs, increments, newly held)

    def add_scores(self, out: np.ndarray, query: Mapping[str, float]) -> None:
        for term, weight in query.items():
            if term in self.deltas and weight > 0:
                docs, inc, _ = self.deltas[term]
                np.add.at(out, docs, weight * inc)


class BM25Index:
    def __init__(self, weights: sparse.csc_matrix, vocab: dict[str, int], idf: np.ndarray, n_docs: int,
                 k1: float = 1.2, bigrams: bool = True):
        self.weights = weights          # (n_docs, n_terms) BM25 contribution of term t in doc d
        self.vocab = vocab
        self.idf = idf
        self.n_docs = n_docs
        self.k1 = k1
        self.bigrams = bigrams
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
        return cls(weights, vocab, idf.astype(np.float32), n_docs, k1, bigrams)

    def _weight(self, doc: int, term_id: int) -> float:
        lo, hi = self.weights.indptr[term_id], self.weights.indptr[term_id + 1]
        rows = self.weights.indices[lo:hi]
        at = np.searchsorted(rows, doc)
        return float(self.weights.data[lo + at]) if at < len(rows) and rows[at] == doc else 0.0

    def overlay(self, extra: Mapping[int, Sequence[Sequence[str]]], weight: float) -> Overlay:
        """What adding a field of `weight` holding these token lists to these documents would add to their
        scores, computed exactly from each (document, term) weight (BM25's saturation is inverted to recover the
        weighted term frequency, the new occurrences added, saturated again); the added field counts at average
        length and the vocabulary's rarities stay as built."""
        k1 = self.k1
        tf: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for doc, token_lists in extra.items():
            for tokens in token_lists:
                for term in set(ngram_terms(tokens, self.bigrams)):
                    tf[term][doc] += weight
        deltas = {}
        for term, per_doc in tf.items():
            t = self.vocab.get(term)
            idf = float(self.idf[t]) if t is not None else float(np.log(1.0 + (self.n_docs - 0.5) / 1.5))
            docs, incs, new = [], [], []
            for doc, added in per_doc.items():
                s = self._weight(doc, t) / idf if t is not None and idf > 0 else 0.0
                x = k1 * s / max(k1 + 1.0 - s, 1e-9) + added
                docs.append(doc)
                incs.append(idf * (x * (k1 + 1.0) / (x + k1) - s))
                new.append(s == 0.0)
            deltas[term] = (np.asarray(docs, dtype=np.int64), np.asarray(incs, dtype=np.float32),
                            np.asarray(new, dtype=bool))
        return Overlay(deltas)

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

    def scores(self, query: Mapping[str, float], overlay: Overlay | None = None) -> np.ndarray:
        """BM25 score of every document for a weighted bag of query terms (with the words `overlay` adds)."""
        ids, qw = self.term_ids(query)
        out = self._gather(ids, qw, binary=False) if len(ids) else np.zeros(self.n_docs, dtype=np.float32)
        if overlay is not None:
            overlay.add_scores(out, query)
        return out

    def idf_of(self, term: str, default: float | None = None) -> float:
        t = self.vocab.get(term)
        if t is None:
            return self.max_idf if default is None else default
        return float(self.idf[t])

    def coverage_all(self, query: Mapping[str, float], overlay: Overlay | None = None) -> np.ndarray:
        """Per document: share of the query's idf mass (unknown terms count at max idf) it contains (with the
        words `overlay` adds)."""
        total = sum(w * self.idf_of(t) for t, w in query.items())
        if total <= 0:
            return np.zeros(self.n_docs, dtype=np.float32)
        ids, qw = self.term_ids(query)
        held = self._gather(ids, qw * self.idf[ids], binary=True) if len(ids) \
            else np.zeros(self.n_docs, dtype=np.float32)
        for term, weight in query.items() if overlay is not None else ():
            if term in overlay.deltas and weight > 0:
                docs, _, new = overlay.deltas[term]
                np.add.at(held, docs[new], weight * self.idf_of(term))
        return held / total

    def coverage(self, query: Mapping[str, float], docs: Sequence[int]) -> np.ndarray:
        """coverage_all restricted to `docs`."""
        return self.coverage_all(query)[np.asarray(docs, dtype=np.int64)]
