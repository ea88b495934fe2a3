"""Diacritic restoration for Vietnamese typed without accents ("lam the can cuoc" -> "làm thẻ căn cước").

A syllable trigram model (stupid backoff) trained on catalogue text plus everyday citizen phrases;
decoding is Viterbi over candidates fold(syllable) -> accented forms seen in training, with the
state being the last two syllables. Syllables already typed with diacritics are kept as they are;
syllables never seen in training (abbreviations, foreign words) pass through unchanged.
"""
from __future__ import annotations

import importlib.util
import math
import pickle
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from knowledge_base import DATA_DIR
from knowledge_base.search.aliases import fold, has_diacritics
from knowledge_base.text import nfc, syllables

_SENTENCE_SPLIT = re.compile(r"[\n\r.;:!?()\[\]\"“”/]+|,\s|\s-\s")
_BOS = "<s>"
_EOS = "</s>"
_BACKOFF = math.log(0.4)

# Citizens' everyday phrasing, which the catalogue's official prose lacks ("cho em hỏi", "mất bao lâu",
# "đổi tiền rách"): one phrase a line, with diacritics.
EVERYDAY_PHRASES_PATH = DATA_DIR / "everyday_phrases.txt"


@lru_cache(maxsize=1)
def dictionary_syllables() -> frozenset[str]:
    """Every syllable of underthesea's Vietnamese word list (Viet74K): a syllable found there is a real
    word, never a typo to correct. Empty when the list is unavailable."""
    spec = importlib.util.find_spec("underthesea")   # locate the package without importing it (seconds)
    if spec is None or spec.origin is None:
        return frozenset()
    try:
        lines = (Path(spec.origin).parent / "corpus" / "data" / "Viet74K.txt").read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(syl for line in lines for syl in syllables(line))


def everyday_phrases(path: Path = EVERYDAY_PHRASES_PATH) -> list[str]:
    """The phrases of `path` (NFC), without blank lines and '#' comments."""
    lines = (nfc(line).strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _sentences(text: str) -> Iterable[list[str]]:
    for part in _SENTENCE_SPLIT.split(nfc(text)):
        sylls = syllables(part)
        if sylls:
            yield sylls


class Restorer:
    def __init__(self, uni: Counter, bi: Counter, tri: Counter, max_candidates: int = 8):
        self.uni, self.bi, self.tri = uni, bi, tri
        self.total = sum(uni.values()) or 1
        self.vocab = len(uni) or 1
        self.max_candidates = max_candidates
        forms: dict[str, Counter] = {}
        for word, count in uni.items():
            if word not in (_BOS, _EOS):
                forms.setdefault(fold(word), Counter())[word] += count
        self.forms: dict[str, list[str]] = {
            key: [w for w, _ in c.most_common(max_candidates)] for key, c in forms.items()
        }

    # ------------------------------------------------------------------ training / persistence
    @classmethod
    def train(cls, texts: Iterable[str], max_candidates: int = 8) -> "Restorer":
        uni: Counter = Counter()
        bi: Counter = Counter()
        tri: Counter = Counter()
        for text in texts:
            for sent in _sentences(text):
                seq = [_BOS, _BOS] + sent + [_EOS]
                uni.update(sent)
                uni[_BOS] += 1
                uni[_EOS] += 1
                bi.update(zip(seq[1:], seq[2:]))
                tri.update(zip(seq, seq[1:], seq[2:]))
        # bigram context counts include the sentence start
        return cls(uni, bi, tri, max_candidates)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump((self.uni, self.bi, self.tri, self.max_candidates), f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "Restorer":
        with path.open("rb") as f:
            uni, bi, tri, k = pickle.load(f)
        return cls(uni, bi, tri, k)

    # ------------------------------------------------------------------ scoring
    def _logp(self, u: str, v: str, w: str) -> float:
        c3 = self.tri.get((u, v, w), 0)
        if c3:
            return math.log(c3 / self.bi[(u, v)]) if (u, v) in self.bi else math.log(c3 / (self.uni.get(v, 0) + 1))
        c2 = self.bi.get((v, w), 0)
        if c2:
            return _BACKOFF + math.log(c2 / (self.uni.get(v, 0) or 1))
        return 2 * _BACKOFF + math.log((self.uni.get(w, 0) + 0.1) / (self.total + self.vocab))

    def candidates(self, token: str, keep_plain: bool = False) -> list[str]:
        if not token.isalpha():
            return [token]
        if has_diacritics(token):
            if token in self.uni or fold(token) not in self.forms or _has_tone(token):
                return [token]
            # tone forgotten ("mât" for "mất"): context picks a tone, the typed vowel marks stay
            # ("quên" never becomes "quen", "đôi" never "đối")
            return [token] + [f for f in self.forms[fold(token)] if f != token and _without_tone(f) == token]
        forms = self.forms.get(token)
        if not forms:
            if token in dictionary_syllables():     # a real word the catalogue never uses ("trồng rau")
                return [token]
            return self._typo_candidates(token) or [token]
        if keep_plain and token not in forms and token in dictionary_syllables():
            return [token]                          # typed with diacritics elsewhere: "con trai" stays
        if keep_plain and token in forms:
            # a real accent-free syllable ("di chúc", "ủy ban"), not a rare variant of an accented one
            best = max(self.uni.get(f, 0) for f in forms)
            if self.uni.get(token, 0) >= 0.02 * best:
                return [token]
        return forms

    def _typo_candidates(self, token: str) -> list[str] | None:
        """Telex leftovers ("lamf" -> "làm") and one-letter typos ("sih" -> "sinh") of unknown syllables."""
        if len(token) >= 2 and token[-1] in _TELEX_TONES:
            stem = _telex_vowels(token[:-1])
            mark = _TELEX_TONES[token[-1]]
            forms = [f for f in self.forms.get(fold(stem), []) if mark in unicodedata.normalize("NFD", f)]
            if forms:
                return forms[:3]
        if len(token) < 3 or len(token) > 7:
            return None
        best, best_count = None, 0
        for cand in _edits1(token):
            forms = self.forms.get(cand)
            if forms:
                count = sum(self.uni.get(f, 0) for f in forms)
                if count > best_count:
                    best, best_count = cand, count
        if best is None or best_count < max(3.0, self.total * 1e-5):   # frequent enough to trust
            return None
        return self.forms[best][:4]

    def restore_tokens(self, tokens: Sequence[str], beam: int = 16, keep_plain: bool = False) -> list[str]:
        """Most likely accented form of each syllable (lower-case tokens in, lower-case out).

        keep_plain: the text was typed with diacritics, so an unaccented syllable that exists as
        such ("di chúc", "ủy ban") is what the citizen meant and stays."""
        if not tokens:
            return []
        # state (u, v) -> (score, path)
        states: dict[tuple[str, str], tuple[float, list[str]]] = {(_BOS, _BOS): (0.0, [])}
        for tok in tokens:
            cands = self.candidates(tok, keep_plain)
            nxt: dict[tuple[str, str], tuple[float, list[str]]] = {}
            for (u, v), (score, path) in states.items():
                for w in cands:
                    s = score + self._logp(u, v, w)
                    key = (v, w)
                    if key not in nxt or s > nxt[key][0]:
                        nxt[key] = (s, path + [w])
            if len(nxt) > beam:
                nxt = dict(sorted(nxt.items(), key=lambda kv: -kv[1][0])[:beam])
            states = nxt
        # close the sentence: prefer endings seen at sentence ends ("... ở đâu")
        best = max(states.items(), key=lambda kv: kv[1][0] + self._logp(kv[0][0], kv[0][1], _EOS))
        return best[1][1]

    def restore(self, text: str) -> str:
        """Restore diacritics of every unaccented syllable of `text` (returns lower-case syllables)."""
        return " ".join(self.restore_tokens(syllables(text)))


_TELEX_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_TELEX_VOWELS = [("dd", "đ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"), ("oo", "ô"), ("ow", "ơ"), ("uw", "ư")]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _has_tone(token: str) -> bool:
    return any(ch in _TONE_MARKS for ch in unicodedata.normalize("NFD", token))


_TONE_MARKS = frozenset(_TELEX_TONES.values())


def _without_tone(syllable: str) -> str:
    return unicodedata.normalize("NFC", "".join(ch for ch in unicodedata.normalize("NFD", syllable)
                                                if ch not in _TONE_MARKS))


def _telex_vowels(stem: str) -> str:
    for src, dst in _TELEX_VOWELS:
        stem = stem.replace(src, dst)
    return stem


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts)


def needs_restoration(tokens: Sequence[str], threshold: float = 0.25) -> bool:
    """True when the text looks typed without diacritics (few accented syllables)."""
    words = [t for t in tokens if t.isalpha()]
    if not words:
        return False
    accented = sum(1 for t in words if has_diacritics(t))
    return accented / len(words) < threshold
