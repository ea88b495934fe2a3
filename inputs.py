"""What everything that enters the system goes through first: Unicode NFC, and no characters that are never
meant as text (NUL and other control characters, bidirectional overrides, zero-width marks), which PostgreSQL
refuses to store or which can disguise text. Every model of incoming data derives from `CleanModel`."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import BaseModel, field_validator

# Ids and cursors sent in requests are compared with INTEGER columns, which hold at most this on every backend
# (PostgreSQL's int4; SQLite's driver cannot even pass numbers past 2**63): larger ones are refused as invalid.
ROW_ID_MAX = 2**31 - 1
# C0/C1 controls except tab and newline; bidirectional embeddings/overrides/isolates; zero-width marks and BOM.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_text(text: str) -> str:
    """NFC, without characters that are never meant as text (CR becomes a newline)."""
    kept = _UNWANTED.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", kept)          # after the removal: a removed mark may let letters compose


class CleanModel(BaseModel):
    """Incoming data: every string field is cleaned before it is validated."""

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_text(value) if isinstance(value, str) else value
