"""Example questions officers teach while the assistant runs, live, with no index to rebuild. They work twice:

* they join the labelled examples' vote in the ranking (`SearchEngine`): their words count in the BM25 example field
  of the taught procedures, and their e5 vector among the example questions nearest the query, so unaccented,
  abbreviated and reworded versions of a taught question reach its procedures the way labelled ones do;
* matched before ranking, the taught question and close rephrasings of it lead to the taught procedures outright.

A query matches an example when their content words (diacritics folded, as the analyser reads them) overlap
enough (Dice coefficient), or, with the embedding model, when e5 puts the two questions very close and they still
share half their words (e5 alone puts unrelated questions about building a house at 0.96). The example
file (`data/examples.jsonl`) remains the place for examples reviewed into the product; this index is the live,
undoable layer on top of it."""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge_base.search.dense import EncoderLike
from knowledge_base.search.query import Analysis
from knowledge_base.text import fold

MIN_WORD_OVERLAP = 0.7        # Dice coefficient of the content words
MIN_COSINE = 0.96             # e5 question-to-question cosine (any two Vietnamese questions sit at 0.8-0.9) ...
MIN_COSINE_OVERLAP = 0.5      # ... with at least this word overlap


@dataclass(frozen=True)
class TaughtMatch:
    example_id: int
    codes: tuple[str, ...]
    similarity: float


@dataclass(frozen=True)
class TaughtExample:
    example_id: int
    codes: tuple[str, ...]
    words: frozenset[str]             # folded content words (the outright match)
    content: tuple[str, ...]          # content words as the analyser reads them, each once (the BM25 example field)
    vector: np.ndarray | None         # e5 vector of the understood question (the outright match)
    question_vector: np.ndarray | None    # e5 vector of the question as typed, like a labelled example's (the vote)


def _words(a: Analysis) -> frozenset[str]:
    return frozenset(fold(w) for w in a.content)


class TaughtIndex:
    def __init__(self, analyze: Callable[[str], Analysis], encoder: EncoderLike | None = None) -> None:
        self._analyze = analyze
        self._encoder = encoder
        self._entries: tuple[TaughtExample, ...] = ()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def examples(self) -> tuple[TaughtExample, ...]:
        """The examples held now (a snapshot: every change replaces the tuple)."""
        return self._entries

    def _vector(self, a: Analysis) -> np.ndarray | None:
        if self._encoder is None or not a.understood:
            return None
        return np.asarray(self._encoder.encode_queries([a.understood])[0], dtype=np.float32)

    def _entry(self, example_id: int, question: str, codes: Sequence[str]) -> TaughtExample:
        a = self._analyze(question)
        typed = np.asarray(self._encoder.encode_queries([question])[0], dtype=np.float32) \
            if self._encoder is not None and question.strip() else None
        return TaughtExample(example_id, tuple(codes), _words(a), tuple(dict.fromkeys(a.content)), self._vector(a),
                             typed)

    def replace_all(self, examples: Sequence[tuple[int, str, Sequence[str]]]) -> None:
        """Hold exactly these examples. An example never changes once saved, so those already held by id are kept
        as they are (a reload after another instance's change encodes only what is new)."""
        held = {e.example_id: e for e in self._entries}
        entries = tuple(held[i] if i in held and held[i].codes == tuple(c) else self._entry(i, q, c)
                        for i, q, c in examples)
        with self._lock:
            self._entries = entries

    def add(self, example_id: int, question: str, codes: Sequence[str]) -> None:
        entry = self._entry(example_id, question, codes)
        with self._lock:
            self._entries = tuple(e for e in self._entries if e.example_id != example_id) + (entry,)

    def remove(self, example_id: int) -> None:
        with self._lock:
            self._entries = tuple(e for e in self._entries if e.example_id != example_id)

    def match(self, a: Analysis) -> TaughtMatch | None:
        """The taught example closest to the query, when close enough."""
        entries = self._entries                       # a snapshot: additions replace the tuple
        words = _words(a)
        if not entries or not words:
            return None
        vector = self._vector(a) if any(e.vector is not None for e in entries) else None
        best: TaughtMatch | None = None
        for e in entries:
            overlap = 2 * len(words & e.words) / (len(words) + len(e.words)) if e.words else 0.0
            cosine = float(vector @ e.vector) if vector is not None and e.vector is not None else 0.0
            close = cosine >= MIN_COSINE and overlap >= MIN_COSINE_OVERLAP
            similarity = max(overlap if overlap >= MIN_WORD_OVERLAP else 0.0, cosine if close else 0.0)
            if similarity and (best is None or similarity > best.similarity):
                best = TaughtMatch(e.example_id, e.codes, similarity)
        return best
