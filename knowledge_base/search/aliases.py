"""Alias lexicon: chat abbreviations and everyday terms mapped to official catalogue wording.

The lexicon is data (`data/aliases.tsv`). Matching is done syllable by syllable with one rule
shared by the whole query pipeline (see `syllable_matches`): a syllable typed without
diacritics matches on its folded form, a syllable typed with diacritics must match exactly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from knowledge_base import DATA_DIR
from knowledge_base.text import fold as _fold_uncached, has_diacritics as _has_diacritics_uncached, nfc, syllables

# Syllable-level caches: the query pipeline folds the same few thousand syllables over and over.
fold = lru_cache(maxsize=200_000)(_fold_uncached)
has_diacritics = lru_cache(maxsize=200_000)(_has_diacritics_uncached)

ALIASES_PATH = DATA_DIR / "aliases.tsv"

# Punctuated chat forms that the syllable tokenizer would split apart.
_PRE_REPLACE = [
    (re.compile(r"\ba\s*/\s*c\b|\banh\s*/\s*chị\b|\ba\s*/\s*chị\b", re.IGNORECASE), " anh chị "),
    (re.compile(r"\bđ/c\b|\bd/c\b", re.IGNORECASE), " địa chỉ "),
]

# "đk" / "dk" means "được" before a question particle or at the end ("làm online đk ko"),
# otherwise "đăng ký" ("đk kết hôn").
_DK_FORMS = {"đk", "dk"}
_PARTICLES_AFTER_DUOC = {"không", "ko", "k", "kh", "khong", "hok", "hông", "chưa", "chua", "nhỉ", "nhi",
                         "ạ", "a", "nhé", "nhe", "hem", "khum", "hả", "ha", "ko?", "đâu", "dau"}


def syllable_matches(typed: str, term: str) -> bool:
    """Does a typed syllable match a (lower-case, accented) term syllable?"""
    if typed == term:
        return True
    return not has_diacritics(typed) and fold(term) == typed


_AGE = re.compile(r"\b(\d{1,3})\s?(t|tuoi)\b")          # "5t" -> "5 tuổi"


def tokenize(text: str) -> list[str]:
    """NFC, lower-case syllables; chat forms with punctuation normalised first."""
    low = nfc(text).lower()
    for pattern, repl in _PRE_REPLACE:
        low = pattern.sub(repl, low)
    low = _AGE.sub(r"\1 tuổi", low)
    return syllables(low)


@dataclass(frozen=True)
class Entry:
    kind: str                  # "chat" (replace in place) | "alias" (append official wording)
    term: tuple[str, ...]      # lower-case syllables as written in the lexicon
    replacement: str


@dataclass(frozen=True)
class Match:
    start: int
    end: int                   # exclusive
    entry: Entry


class PhraseMatcher:
    """Longest-match phrase lookup over syllable tokens with the accent rule above."""

    def __init__(self, phrases: Iterable[tuple[tuple[str, ...], object]]):
        self._by_first: dict[str, list[tuple[tuple[str, ...], object]]] = {}
        for term, payload in phrases:
            if term:
                self._by_first.setdefault(fold(term[0]), []).append((term, payload))
        for items in self._by_first.values():
            items.sort(key=lambda item: -len(item[0]))

    def match_at(self, tokens: Sequence[str], i: int, exact: bool = False) -> tuple[int, object] | None:
        """(length, payload) of the longest phrase starting at tokens[i], or None.

        exact: tokens are final forms (diacritics restored), so they must equal the phrase."""
        for term, payload in self._by_first.get(fold(tokens[i]), ()):
            n = len(term)
            if i + n > len(tokens):
                continue
            if exact:
                if all(tokens[i + k] == term[k] for k in range(n)):
                    return n, payload
            elif all(syllable_matches(tokens[i + k], term[k]) for k in range(n)):
                return n, payload
        return None

    def find_all(self, tokens: Sequence[str], exact: bool = False) -> list[tuple[int, int, object]]:
        """Non-overlapping longest matches, left to right: (start, end, payload)."""
        out: list[tuple[int, int, object]] = []
        i = 0
        while i < len(tokens):
            hit = self.match_at(tokens, i, exact)
            if hit is None:
                i += 1
                continue
            n, payload = hit
            out.append((i, i + n, payload))
            i += n
        return out


class AliasLexicon:
    def __init__(self, entries: Sequence[Entry]):
        self.entries = list(entries)
        self._chat = PhraseMatcher((e.term, e) for e in self.entries if e.kind == "chat")
        self._alias = PhraseMatcher((e.term, e) for e in self.entries if e.kind == "alias")

    @classmethod
    def load(cls, path: Path = ALIASES_PATH) -> "AliasLexicon":
        entries: list[Entry] = []
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in raw.split("\t")]
            if len(parts) != 3 or parts[0] not in ("chat", "alias"):
                raise ValueError(f"{path}:{lineno}: expected 'chat|alias<TAB>term<TAB>replacement'")
            term = tuple(syllables(parts[1]))
            entries.append(Entry(parts[0], term, nfc(parts[2]).lower()))
        return cls(entries)

    def normalize_chat(self, tokens: Sequence[str]) -> list[str]:
        """Replace chat abbreviations/typos in place ("phi bn" -> "phi bao nhiêu")."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok in _DK_FORMS:
                nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                if nxt is None or nxt in _PARTICLES_AFTER_DUOC:
                    out.append("được")
                elif nxt in ("j", "gì", "gi", "gí"):          # "cần đk j": what conditions
                    out.extend(["điều", "kiện"])
                else:
                    out.extend(["đăng", "ký"])
                i += 1
                continue
            hit = self._chat.match_at(tokens, i)
            if hit is None:
                out.append(tok)
                i += 1
                continue
            n, entry = hit
            out.extend(syllables(entry.replacement))  # type: ignore[union-attr]
            i += n
        return out

    def find_aliases(self, tokens: Sequence[str]) -> list[Match]:
        return [Match(s, e, p) for s, e, p in self._alias.find_all(tokens)]  # type: ignore[arg-type]

    def expansions(self, tokens: Sequence[str]) -> list[str]:
        """Official wordings to append for the everyday terms found in `tokens` (deduplicated)."""
        seen: list[str] = []
        for m in self.find_aliases(tokens):
            if m.entry.replacement not in seen:
                seen.append(m.entry.replacement)
        return seen


@lru_cache(maxsize=1)
def default_lexicon() -> AliasLexicon:
    return AliasLexicon.load()


def normalize(text: str) -> list[str]:
    """Tokenize and normalise chat abbreviations with the default lexicon."""
    return default_lexicon().normalize_chat(tokenize(text))
