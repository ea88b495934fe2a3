"""What of a person may be shown: names masked even after verification, phones never."""
from __future__ import annotations


def mask_name(name: str) -> str:
    """"Nguyễn Văn Tám" -> "Nguyễn V. T."; the family name stays, the rest become initials."""
    words = name.split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0].upper() + "."
    return " ".join([words[0]] + [w[0].upper() + "." for w in words[1:]])
