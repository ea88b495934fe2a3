"""Split a long text into messages of at most `limit` characters, at the gentlest boundary available:
a blank line, a line break, the end of a sentence, a space; a word is cut only when it alone is too long."""
from __future__ import annotations

import re

_BOUNDARIES = (re.compile(r"\n\n"), re.compile(r"\n"), re.compile(r"(?<=[.!?…;:])\s"), re.compile(r"\s"))


def _cut(text: str, limit: int) -> int:
    """Where to end the first message: the last boundary within `limit`, preferring gentler boundaries as long
    as they keep the message at least half full."""
    window = text[:limit + 1]
    for boundary in _BOUNDARIES:
        ends = [m.start() for m in boundary.finditer(window) if 0 < m.start() <= limit]
        if ends and ends[-1] >= limit // 2:
            return ends[-1]
    for boundary in _BOUNDARIES:
        ends = [m.start() for m in boundary.finditer(window) if 0 < m.start() <= limit]
        if ends:
            return ends[-1]
    return limit


def split_text(text: str, limit: int) -> list[str]:
    """Non-empty parts, each at most `limit` characters, whose words in order are exactly the text's words."""
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        end = _cut(rest, limit)
        part = rest[:end].rstrip()
        if part:
            parts.append(part)
        rest = rest[end:].strip()
    if rest:
        parts.append(rest)
    return parts
