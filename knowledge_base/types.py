"""Typed results the knowledge base hands to callers (gateway, actions, CLI)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Aspect(str, Enum):
    """What the citizen asks about a procedure. OVERVIEW when nothing specific is asked."""
    OVERVIEW = "overview"
    DOCUMENTS = "documents"
    FEE = "fee"
    DURATION = "duration"
    WHERE = "where"
    STEPS = "steps"
    CONDITIONS = "conditions"
    LEGAL_BASIS = "legal_basis"
    RESULT = "result"
    ONLINE = "online"          # can it be done online / submission channels
    APPLICANTS = "applicants"  # who may apply


@dataclass
class SearchHit:
    code: str
    name: str
    field: str
    levels: list[str]
    score: float


@dataclass
class SearchResult:
    hits: list[SearchHit]
    took_ms: float
    query: str                      # the query as understood (NFC, aliases expanded, diacritics restored)
    confident: bool                 # top hit passes the calibrated no-match threshold


@dataclass
class Choice:
    """One option of a clarifying question."""
    code: str
    title: str                      # short Vietnamese label shown on a button


@dataclass
class Reply:
    """What the assistant says back about procedures; channel-agnostic."""
    kind: str                       # "answer" | "clarify" | "no_match"
    text: str
    procedure_codes: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    aspect: Aspect = Aspect.OVERVIEW
