"""Query understanding: what the citizen asked, in the catalogue's words.

`QueryAnalyzer.analyze` tokenizes, replaces chat abbreviations ("ko" -> "không"), restores
diacritics when the text was typed without them, detects the asked aspect, marks aspect and
filler words (they decide what to answer, not which procedure) and appends the official wording
of everyday terms the alias lexicon knows ("sổ đỏ" -> "giấy chứng nhận quyền sử dụng đất").
The diacritic restorer is trained here from the catalogue and everyday phrasing, cached by hash.
"""
from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from knowledge_base.catalogue.models import Procedure
from knowledge_base.search.aliases import AliasLexicon, fold, has_diacritics, tokenize
from knowledge_base.search.aspects import (
    ASPECT_WORD, CONTENT, FILLER, PROTECTED, detect_aspects_tokens, filler_matcher, token_status, vocabulary_phrases,
)
from knowledge_base.search.diacritics import Restorer, dictionary_syllables, everyday_phrases, needs_restoration
from knowledge_base.text import syllables
from knowledge_base.types import Aspect

log = logging.getLogger(__name__)

RESTORER_VERSION = "1"


@dataclass
class Analysis:
    """The query as understood."""
    text: str
    tokens: list[str]                      # chat-normalised syllables as typed
    restored: list[str]                    # same length; diacritics restored when needed
    typed_accented: bool                   # the citizen typed with diacritics
    aspects: list[Aspect]                  # asked aspects, the main one first (at least one)
    status: list[int]                      # per token: CONTENT / ASPECT_WORD / FILLER / PROTECTED
    alias_mask: list[bool]                 # per token: inside an everyday term an alias explained
    expansions: list[str] = field(default_factory=list)

    @property
    def aspect(self) -> Aspect:
        return self.aspects[0]

    @property
    def content(self) -> list[str]:
        return [t for t, s in zip(self.restored, self.status) if s in (CONTENT, PROTECTED)]

    @property
    def understood(self) -> str:
        return " ".join(self.content + self.expansions)

    @property
    def cue_text(self) -> str:
        """The understood query for variant/operation cues, without two false cues: "lại" in "để lại"
        (left behind: "đất ông bà để lại") is not "làm lại", and "mất" after a relative ("bà nội em
        mới mất": died) is not "bị mất" (lost)."""
        r = self.restored
        words = [t for i, (t, s) in enumerate(zip(r, self.status)) if s in (CONTENT, PROTECTED)
                 and not (t == "lại" and i > 0 and r[i - 1] == "để")
                 and not (t == "mất" and _died(r, i))]
        return " ".join(words + self.expansions)

    @property
    def has_content(self) -> bool:
        return bool(self.content or self.expansions)


# Family words: who a procedure is for ("cho con", "cho vợ") and whose death "mất" may mean.
KIN = frozenset("con vợ chồng bố mẹ cha ông bà anh chị em cháu".split())
RELATIVES = KIN | frozenset("má cụ nội ngoại người".split())
_LOSING = frozenset("làm bị đánh để".split())
# Words that follow "mất" = died ("mẹ tôi mất năm ngoái", "ông mất rồi, làm khai tử"), where "mất" =
# lost is followed by what was lost ("con tôi mất giấy khai sinh").
_AFTER_DIED = frozenset("rồi năm được thì làm cần tại ở vào hôm từ lâu đã nay nên mà khi để muốn giờ xong "
                        "các không chưa".split())


def _died(restored: Sequence[str], i: int) -> bool:
    """ "mất" at i means died: a relative in the three words before, not "làm/bị/đánh mất", and
    no lost object after it."""
    return (i > 0 and restored[i - 1] not in _LOSING
            and any(t in RELATIVES for t in restored[max(0, i - 3):i])
            and (i + 1 == len(restored) or restored[i + 1] in _AFTER_DIED))


def _catalogue_hash(procedures: Sequence[Procedure]) -> str:
    h = hashlib.sha1()
    for p in procedures:
        h.update(f"{p.code}\t{p.name}\t{p.field}\t{','.join(p.levels)}\n".encode("utf-8"))
    return h.hexdigest()[:16]


def restorer_corpus(procedures: Sequence[Procedure], lexicon: AliasLexicon, everyday: Sequence[str],
                    phrases: Sequence[str]) -> Iterable[str]:
    """Training text for diacritic restoration: catalogue text + `everyday` phrasing (data/everyday_phrases.txt,
    example questions) + aspect/filler `phrases` + lexicon."""
    for p in procedures:
        for _ in range(3):
            yield p.name
        yield p.field
        for d in p.documents[:15]:
            yield d.name[:400]
        for text in (p.result, p.applicants, p.conditions):
            if text:
                yield text[:2000]
        for step in p.steps[:12]:
            yield step[:600]
    for _ in range(20):    # chat register: outweighs the catalogue's prose for "mới", "năm", "có"...
        yield from everyday
    for _ in range(5):
        yield from phrases
        for e in lexicon.entries:
            yield " ".join(e.term)
            yield e.replacement


def load_restorer(procedures: Sequence[Procedure], lexicon: AliasLexicon, cache_dir: Path | None,
                  questions: Sequence[str] = ()) -> Restorer:
    """The diacritic restorer, trained on the catalogue, the lexicon, the everyday phrases and the labelled
    example `questions` (search/examples.py); cached by a hash of all of them."""
    everyday = everyday_phrases() + [q for q in questions if has_diacritics(q)]
    phrases = vocabulary_phrases()
    h = hashlib.sha1(_catalogue_hash(procedures).encode())
    h.update(RESTORER_VERSION.encode())
    h.update("\n".join(everyday).encode())
    h.update("\n".join(phrases).encode())
    for e in lexicon.entries:
        h.update(f"{e.kind}{e.term}{e.replacement}".encode())
    path = (cache_dir / f"restorer-{h.hexdigest()[:16]}.pkl") if cache_dir else None
    if path is not None and path.is_file():
        try:
            return Restorer.load(path)
        except Exception:  # corrupt cache: rebuild
            log.warning("restorer cache %s unreadable; rebuilding", path)
    restorer = Restorer.train(restorer_corpus(procedures, lexicon, everyday, phrases))
    if path is not None:
        restorer.save(path)
        for stale in path.parent.glob("restorer-*.pkl"):   # models of older catalogues/lexicons
            if stale != path:
                stale.unlink(missing_ok=True)
    return restorer


def frequent_name_bigrams(procedures: Sequence[Procedure], min_df: int = 2) -> set[tuple[str, str]]:
    """Folded syllable pairs that occur in at least `min_df` procedure names."""
    df: Counter = Counter()
    for p in procedures:
        toks = [fold(t) for t in syllables(p.name)]
        df.update(set(zip(toks, toks[1:])))
    return {bg for bg, n in df.items() if n >= min_df}


class QueryAnalyzer:
    def __init__(self, restorer: Restorer, lexicon: AliasLexicon, name_bigrams: set[tuple[str, str]]):
        self.restorer = restorer
        self.lexicon = lexicon
        self._name_bigrams = name_bigrams
        dictionary_syllables()                   # loaded at start-up, not by the first question

    def _keep_aspect_phrase(self, tokens: Sequence[str], start: int, end: int) -> bool:
        """An aspect phrase glued to a neighbour the way catalogue names glue it stays content
        ("lệ phí trước bạ", "đủ điều kiện kinh doanh", "gia hạn thời gian lưu hành")."""
        filler = filler_matcher()
        left = (fold(tokens[start - 1]), fold(tokens[start])) \
            if start > 0 and filler.match_at(tokens, start - 1, True) is None else None
        right = (fold(tokens[end - 1]), fold(tokens[end])) \
            if end < len(tokens) and filler.match_at(tokens, end, True) is None else None
        return (left in self._name_bigrams) or (right in self._name_bigrams)

    def analyze(self, text: str) -> Analysis:
        typed = tokenize(text)
        typed_accented = not needs_restoration(typed)
        tokens = self.lexicon.normalize_chat(typed)
        # Syllables typed with diacritics are kept; the others get the most likely accents.
        restored = self.restorer.restore_tokens(tokens, keep_plain=typed_accented)
        aspects = detect_aspects_tokens(restored, exact=True)
        status = token_status(restored, self._keep_aspect_phrase, exact=True)
        alias_mask = [False] * len(tokens)
        expansions: list[str] = []
        for m in self.lexicon.find_aliases(tokens):
            # an alias made only of aspect/filler words does not count ("độc thân" does, "ở đâu" never is one)
            if all(status[k] in (ASPECT_WORD, FILLER) for k in range(m.start, m.end)):
                continue
            # a one-syllable alias typed without accents is too ambiguous on its folded form
            # ("do" is not "đò", "mo" is not "mỏ"): it must be what the restorer read.
            if m.end - m.start == 1 and restored[m.start] != m.entry.term[0]:
                continue
            for k in range(m.start, m.end):
                alias_mask[k] = True
                if status[k] == FILLER:      # "làm" in "làm căn cước" explained by the alias
                    status[k] = CONTENT
            if m.entry.replacement not in expansions:
                expansions.append(m.entry.replacement)
        return Analysis(text, tokens, restored, typed_accented, aspects, status, alias_mask, expansions)
