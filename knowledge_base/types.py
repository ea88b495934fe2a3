"""Typed results the knowledge base hands to callers (gateway, actions, CLI)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from replies.model import Content
from replies.text import content_text


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
    source_group: str = ""


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
    """What the assistant says back about procedures, channel-neutral: structured `content` (an answer, a polite
    no-match, or nothing but the prompt of a clarifying question) and `choices` of procedures introduced by
    `choices_prompt` (the clarifying question, or the line above the alternatives offered under an answer)."""
    kind: str                       # "answer" | "clarify" | "no_match"
    content: Content
    procedure_codes: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    choices_prompt: str | None = None
    aspect: Aspect = Aspect.OVERVIEW
    verdict: str | None = None      # a yes/no question about one detail: "yes" | "no" | "undecided"
    focus: str | None = None        # how the procedure in focus was followed: stay | narrow | switch | ask

    @property
    def text(self) -> str:
        """Plain text of the content and the choices prompt (without the choices), for the CLI, evaluation, tests."""
        return "\n\n".join(part for part in (content_text(self.content), self.choices_prompt) if part)
