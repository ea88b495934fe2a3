"""Dossier codes (mã hồ sơ, Circular 01/2018/TT-VPCP): find them in what citizens type, normalise, mask for logs.

A code is `UNIT-YYMMDD-SEQUENCE`:

    000.00.12.H45-231015-0012    full unit code (ddd.dd.dd. prefix), date received, daily sequence
    H45.22-231015-0012           short unit form printed by provinces
    G01.123-240229-00123         five-digit sequence
    h45.22 – 231015 – 0012       as pasted: any case, any dash, spaces around the dashes -> H45.22-231015-0012
    000.00.31.H45 261121 0005    parts separated by spaces only -> 000.00.31.H45-261121-0005

The unit is an optional `ddd.dd.dd.` prefix, one letter and two digits, then any number of `.d{1,3}` groups. The
date must be a real calendar date (20YY). The sequence has 4 or 5 digits. Between the parts: exactly one dash
(- ‐ ‑ ‒ – — ― − ﹣ －), with optional spaces, tabs, NBSP, thin or zero-width spaces on either side, or only such
spaces ("000.00.31.H45 261121 0005", as some receipts print it). Digits are ASCII only. A bare "231015-0012" is not
a code (no unit).

A code counts only as a whole token. It is rejected when glued to something longer:
- before it: a letter, digit, underscore or combining mark, or a dot/dash that itself follows one
  ("XH45…", "1.000.00.12.H45…", "ab-H45…");
- after it: a letter, digit, underscore or combining mark, a dash followed by one ("…0012-7", "…0012-ab"),
  or a dot followed by a digit ("…0012.5"). A dot followed by a letter is a sentence end without its space
  ("…0012.Cảm ơn") and is accepted.
So "XH45.22-231015-00123456" yields nothing (rather than a guessed "H45.22-231015-00123").

Combining marks count as letters for this rule, so NFD text (diacritics as combining marks) behaves like NFC text.
"""
from __future__ import annotations

import re
from datetime import date

_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_SPACES = " \t\u00a0\u2007\u2009\u202f\u200b\u200c\u200d\u2060\ufeff"
_WORD = "\\w\u0300-\u036f"   # letters, digits, underscore, combining diacritics
_SEP = f"(?:[{_SPACES}]*[{_DASHES}][{_SPACES}]*|[{_SPACES}]+)"     # one dash (spaces around it allowed) or spaces

_CODE = re.compile(
    f"(?<![{_WORD}])(?<![{_WORD}][.{_DASHES}])"
    r"(?P<unit>(?:[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.)?[A-Za-z][0-9]{2}(?:\.[0-9]{1,3})*)"
    f"{_SEP}(?P<date>[0-9]{{6}}){_SEP}(?P<seq>[0-9]{{4,5}})"
    f"(?![{_WORD}]|[{_DASHES}][{_WORD}]|\\.[0-9])"
)

_MASK = "****"


def _valid_date(yymmdd: str) -> bool:
    try:
        date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return False
    return True


def _normalised(match: re.Match[str]) -> str | None:
    if not _valid_date(match["date"]):
        return None
    return f"{match['unit'].upper()}-{match['date']}-{match['seq']}"


def extract_dossier_codes(text: str) -> list[str]:
    """Every dossier code in `text`, normalised, in order of appearance, without repeats."""
    codes: list[str] = []
    for match in _CODE.finditer(text):
        code = _normalised(match)
        if code is not None and code not in codes:
            codes.append(code)
    return codes


def extract_dossier_code(text: str) -> str | None:
    """The first dossier code in `text`, normalised, or None."""
    codes = extract_dossier_codes(text)
    return codes[0] if codes else None


def normalise_dossier_code(raw: str) -> str | None:
    """`raw` (a code alone, as typed) normalised, or None if it is not a dossier code.

    Only surrounding whitespace (including NBSP and zero-width spaces) is tolerated: "H45.22-231015-0012." or
    "mã H45.22-231015-0012" give None; use `extract_dossier_code` for free text."""
    match = _CODE.fullmatch(raw.strip(_SPACES + "\r\n"))
    return _normalised(match) if match else None


def mask_dossier_code(code: str) -> str:
    """For logs: the unit and date kept, the sequence hidden: `H45.22-231015-****`.

    The mask has a fixed width, so a 5-digit sequence is not told from a 4-digit one. Anything that is not a
    dossier code (it may be a phone number or a name) is hidden entirely: `****`."""
    normalised = normalise_dossier_code(code)
    if normalised is None:
        return _MASK
    return normalised.rsplit("-", 1)[0] + "-" + _MASK
