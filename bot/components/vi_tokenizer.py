"""Vietnamese word tokenizer for Rasa 3 (underthesea word segmentation).

Vietnamese words are written as space-separated syllables ("khai sinh",
"giấy tờ"), so a whitespace tokenizer cuts every word into meaningless
syllables.  This component segments text with underthesea's CRF word
segmenter and gives Rasa one token per *word*:

* ``Token.text``  is always the exact span of the (NFC) message text at
  ``[start, end)`` -- e.g. ``"khai sinh"`` -- so entity offsets, the
  RegexFeaturizer and DIET's entity extraction keep working;
* ``Token.lemma`` joins the syllables with ``_`` -- e.g. ``"khai_sinh"`` --
  which is what CountVectorsFeaturizer (``use_lemma: true``, the default)
  turns into one vocabulary entry instead of two unrelated syllables.

Robustness rules:

* the message text is NFC-normalised first (and written back to the message
  when it was not NFC, so every offset refers to the text Rasa keeps);
* identifiers such as dossier codes ``H45.22-231015-0012``,
  ``000.00.15.H29-240101-0001``, procedure codes ``1.001193``, URLs and
  e-mail addresses are cut out *before* segmentation and kept whole as one
  token (underthesea would split ``H45`` ``.`` ``22-231015-0012``);
* underthesea may alter characters (``ð`` -> ``đ``), tone placement, quotes
  or the whitespace between syllables; each syllable it returns is matched
  back against the original text (exactly, or modulo diacritics/case/quote
  style when the lengths agree).  Anything that cannot be matched is
  re-split from the original text on whitespace/punctuation, so no token
  is ever emitted that is not a substring of the message.

This module must not import anything from the rest of the application.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

Span = Tuple[int, int]

# Things that must stay one token.  Order matters: URLs/e-mails first, then codes.
_URL_RE = re.compile(r"(?:https?|ftp)://[^\s<>\"'“”‘’]+[^\s<>\"'“”‘’.,;:!?)\]}]", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Runs of word characters joined by . - / that contain at least one digit:
# H45.22-231015-0012, 000.00.15.H29-240101-0001, 1.001193, 12/05/2023,
# 123/2015/NĐ-CP, 50.000.  Never ends with the separator (sentence-final dot).
_CODE_RE = re.compile(r"(?<![\w.\-/])\w+(?:[.\-/]\w+)+")
# Fallback split: words (with inner code separators) or single non-space symbols.
_FALLBACK_RE = re.compile(r"\w+(?:[.\-/]\w+)*|[^\w\s]")

_QUOTES = str.maketrans({
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "″": '"', "ʺ": '"',
    "‘": "'", "’": "'", "‚": "'", "′": "'", "`": "'", "´": "'",
    "ð": "đ", "Ð": "Đ",
})


def _fold(text: Text) -> Text:
    """Comparison key: lower case, no diacritics, đ->d, one quote style."""
    text = text.translate(_QUOTES)
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d")


def _default_segmenter(text: Text) -> List[Text]:
    from underthesea import word_tokenize  # heavy import, done lazily once

    return word_tokenize(text, use_token_normalize=False)


class VietnameseSegmenter:
    """Pure-python part of the tokenizer: text -> list of (start, end, lemma)."""

    def __init__(self, segment: Optional[Callable[[Text], List[Text]]] = None) -> None:
        self._segment = segment or _default_segmenter

    # -- public -------------------------------------------------------------
    def spans(self, text: Text) -> List[Tuple[int, int, Text]]:
        """Return ``(start, end, lemma)`` for every token of NFC ``text``.

        ``text[start:end]`` is the token text; ``lemma`` is the same span with
        the whitespace between syllables replaced by ``_``.
        """
        result: List[Tuple[int, int, Text]] = []
        cursor = 0
        for start, end in self._protected_spans(text):
            result.extend(self._segment_region(text, cursor, start))
            result.append((start, end, text[start:end]))
            cursor = end
        result.extend(self._segment_region(text, cursor, len(text)))
        return result

    # -- helpers ------------------------------------------------------------
    @staticmethod
    def _protected_spans(text: Text) -> List[Span]:
        taken: List[Span] = []

        def free(s: int, e: int) -> bool:
            return all(e <= ts or s >= te for ts, te in taken)

        for m in _URL_RE.finditer(text):
            taken.append(m.span())
        for m in _EMAIL_RE.finditer(text):
            if free(*m.span()):
                taken.append(m.span())
        for m in _CODE_RE.finditer(text):
            if any(ch.isdigit() for ch in m.group()) and free(*m.span()):
                taken.append(m.span())
        return sorted(taken)

    @staticmethod
    def _fallback(text: Text, start: int, end: int) -> List[Tuple[int, int, Text]]:
        return [
            (start + m.start(), start + m.end(), m.group())
            for m in _FALLBACK_RE.finditer(text[start:end])
        ]

    @staticmethod
    def _skip_space(text: Text, pos: int, end: int) -> int:
        while pos < end and text[pos].isspace():
            pos += 1
        return pos

    @classmethod
    def _match_at(cls, text: Text, pos: int, end: int, piece: Text) -> Optional[int]:
        """End offset if ``piece`` is found at ``pos`` (exactly or fold-equal)."""
        stop = pos + len(piece)
        if stop > end:
            return None
        candidate = text[pos:stop]
        if candidate == piece or _fold(candidate) == _fold(piece):
            return stop
        return None

    def _segment_region(self, text: Text, start: int, end: int) -> List[Tuple[int, int, Text]]:
        if start >= end or not text[start:end].strip():
            return []
        region = text[start:end]
        try:
            words = self._segment(region)
        except Exception:  # pragma: no cover - defensive, underthesea bug
            logger.exception("underthesea failed on %r; falling back to regex split", region)
            return self._fallback(text, start, end)

        out: List[Tuple[int, int, Text]] = []
        cursor = start
        for word in words:
            pieces = word.split()
            if not pieces:
                continue
            spans: List[Span] = []
            pos = cursor
            for piece in pieces:
                pos = self._skip_space(text, pos, end)
                stop = self._match_at(text, pos, end, piece)
                if stop is None:
                    spans = []
                    break
                spans.append((pos, stop))
                pos = stop
            if not spans:
                # underthesea changed something we cannot align: resynchronise on
                # the next occurrence of the first syllable, re-splitting the gap
                # from the original text.
                found = self._find_fold(text, cursor, end, pieces[0])
                if found is None:
                    continue  # leave it for the gap/tail fallback
                gap_start, (s, e) = cursor, found
                out.extend(self._fallback(text, gap_start, s))
                spans = [(s, e)]
                pos = e
                # try to keep the remaining syllables attached
                for piece in pieces[1:]:
                    p = self._skip_space(text, pos, end)
                    stop = self._match_at(text, p, end, piece)
                    if stop is None:
                        break
                    spans.append((p, stop))
                    pos = stop
            out.extend(self._word_tokens(text, spans))
            cursor = pos
        if cursor < end:
            out.extend(self._fallback(text, cursor, end))
        return out

    @classmethod
    def _find_fold(cls, text: Text, start: int, end: int, piece: Text) -> Optional[Span]:
        idx = text.find(piece, start, end)
        if idx >= 0:
            return idx, idx + len(piece)
        # diacritic/case-insensitive search with equal length
        key = _fold(piece)
        n = len(piece)
        for i in range(start, end - n + 1):
            if _fold(text[i:i + n]) == key:
                return i, i + n
        return None

    @staticmethod
    def _word_tokens(text: Text, spans: List[Span]) -> List[Tuple[int, int, Text]]:
        """One token for a multi-syllable word if its syllables are only separated
        by plain spaces and are all word-like; otherwise one token per syllable."""
        if len(spans) == 1:
            s, e = spans[0]
            return [(s, e, text[s:e])]
        wordy = all(any(ch.isalnum() for ch in text[s:e]) for s, e in spans)
        gaps_ok = all(
            text[spans[i][1]:spans[i + 1][0]].strip(" \t") == ""
            and "\n" not in text[spans[i][1]:spans[i + 1][0]]
            for i in range(len(spans) - 1)
        )
        if wordy and gaps_ok:
            s, e = spans[0][0], spans[-1][1]
            return [(s, e, "_".join(text[a:b] for a, b in spans))]
        return [(s, e, text[s:e]) for s, e in spans]


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False
)
class VietnameseTokenizer(Tokenizer):
    """Word-segmenting tokenizer for Vietnamese (underthesea)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Same options as Rasa's built-in tokenizers."""
        return {
            # Flag to check whether to split intents
            "intent_tokenization_flag": False,
            # Symbol on which intent should be split
            "intent_split_symbol": "_",
            # Regular expression to detect tokens
            "token_pattern": None,
            # Symbol on which prefix should be split
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["vi"]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["underthesea"]

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self._segmenter = VietnameseSegmenter()
        # Load underthesea's CRF model now rather than on the first user message.
        self._segmenter.spans("xin chào")

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "VietnameseTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        if not isinstance(text, str):
            return []
        normalised = unicodedata.normalize("NFC", text)
        if normalised != text:
            # Keep the message consistent with the token offsets.
            message.set(attribute, normalised)
            text = normalised

        tokens = [
            Token(text[start:end], start, end, lemma=lemma)
            for start, end, lemma in self._segmenter.spans(text)
        ]
        if not tokens:
            # Like WhitespaceTokenizer: never return an empty token list.
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)
