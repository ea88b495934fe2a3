"""Vietnamese text helpers shared by ingestion, indexing and querying."""
from __future__ import annotations

import re
import unicodedata

_WORD_RE = re.compile(r"[0-9a-zà-ỹđ]+", re.IGNORECASE)
_SPACE_RE = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Unicode NFC; every entry point calls this before anything else."""
    return unicodedata.normalize("NFC", text or "")


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics ("Đăng ký" -> "dang ky")."""
    decomposed = unicodedata.normalize("NFD", nfc(text).lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d")


def syllables(text: str) -> list[str]:
    """Lower-cased syllables (diacritics kept) in order."""
    return _WORD_RE.findall(nfc(text).lower())


def folded_syllables(text: str) -> list[str]:
    return [fold(s) for s in syllables(text)]


def has_diacritics(text: str) -> bool:
    low = nfc(text).lower()
    return any(ch != fold(ch) for ch in low if ch.isalpha())


def squash_spaces(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()
