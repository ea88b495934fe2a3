"""Example citizen questions labelled with the procedures that answer them (`data/examples.jsonl`).

Training data, kept apart from the evaluation sets in `tools/evaluation/` (written separately and checked not to
repeat them, see tests/knowledge_base/test_eval_sets.py). They teach retrieval how citizens talk about
a procedure, in two ways:

* lexically, each procedure's example questions form one more BM25 field ("how it is asked"), so
  everyday words the catalogue never uses ("vợ mới sinh", "bị giật túi") point at the procedure;
* densely, the example questions nearest the citizen's question (e5, question to question, which it
  compares far better than a question to an official name) vote for the procedures they are labelled with.

Staff can grow the file: one JSON object a line, `{"codes": [...], "question": "..."}`.
"""
from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import faiss
import numpy as np

from knowledge_base import DATA_DIR
from knowledge_base.search.dense import EncoderLike, cached_vectors

log = logging.getLogger(__name__)

DEFAULT_PATH = DATA_DIR / "examples.jsonl"


@dataclass(frozen=True)
class Example:
    codes: tuple[str, ...]
    question: str


def parse_examples(lines: Sequence[str], known_codes: set[str] | None = None) -> list[Example]:
    """Examples from JSON lines; a line that is malformed or names no known code is skipped with a warning."""
    out: list[Example] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = unicodedata.normalize("NFC", str(row["question"])).strip()
            codes = tuple(str(c).strip() for c in row["codes"])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("examples line %d skipped: %s", n, exc)
            continue
        if known_codes is not None:
            unknown = [c for c in codes if c not in known_codes]
            if unknown:
                log.warning("examples line %d: unknown codes %s ignored", n, unknown)
            codes = tuple(c for c in codes if c in known_codes)
        if question and codes:
            out.append(Example(codes, question))
    return out


def load_examples(path: Path = DEFAULT_PATH, known_codes: set[str] | None = None) -> list[Example]:
    if not path.is_file():
        return []
    return parse_examples(path.read_text(encoding="utf-8").splitlines(), known_codes)


class ExampleIndex:
    """e5 query vectors of the example questions and the catalogue positions each is labelled with."""

    def __init__(self, vectors: np.ndarray, labels: Sequence[Sequence[int]], n_docs: int):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)          # (examples x dim)
        self.n_docs = n_docs
        # faiss rather than `vectors @ query`: numpy's multi-threaded BLAS leaves threads spinning that
        # slow the next query's encoding by ~35 ms on two cores
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            self.index.add(vectors)
        # (examples x docs) 0/1 label matrix as flat index pairs, for a vectorised max per document
        self._example_of = np.repeat(np.arange(len(labels)), [len(x) for x in labels]).astype(np.int64)
        self._doc_of = np.concatenate([np.asarray(x, dtype=np.int64) for x in labels]) if len(labels) \
            else np.zeros(0, dtype=np.int64)

    @property
    def size(self) -> int:
        return self.index.ntotal

    @classmethod
    def build_or_load(cls, examples: Sequence[Example], position: Mapping[str, int], encoder: EncoderLike,
                      index_dir: Path, model_dir: Path | str) -> "ExampleIndex":
        """`examples` name only codes in `position` (as `load_examples(known_codes=...)` returns them)."""
        vectors, _ = cached_vectors("examples", [e.question for e in examples], encoder.encode_queries, index_dir,
                                    model_dir)
        return cls(vectors, [[position[c] for c in e.codes] for e in examples], len(position))

    def similarity(self, query_vec: np.ndarray) -> np.ndarray:
        """Per catalogue position: cosine of the query with its most similar example question (0 when
        the procedure has none)."""
        out = np.zeros(self.n_docs, dtype=np.float32)
        if not self.size:
            return out
        found, ids = self.index.search(np.asarray(query_vec, dtype=np.float32).reshape(1, -1), self.size)
        sims = np.empty(self.size, dtype=np.float32)
        sims[ids[0]] = found[0]
        np.maximum.at(out, self._doc_of, np.maximum(sims[self._example_of], 0.0))
        return out
