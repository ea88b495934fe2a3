"""The procedure in focus across a conversation: does the next message stay on it, narrow it to a variant, switch
to another procedure, or leave it unsure (ask)?

Decided from evidence, with the search's own scores:
- nothing but aspect words, yes/no framing, channel or generic words ("nộp online được không", "thế còn lệ phí",
  "có cần ảnh thẻ không", "người khác làm thay được không"): STAY;
- a situation that selects a relative of the focus ("đăng ký lại chứ không phải lần đầu", "vợ em là người nước
  ngoài"): the focus's name together with the message is searched, and a relative (same variant group, or a name
  that keeps most of the focus's name) ranked above the focus wins when the message says what sets it apart (a word
  of its name the focus lacks, or the foreign element, operation, level or age it is for): NARROW;
- words the focus's record does not contain that name another procedure the search is confident about: SWITCH
  when that procedure explains the message clearly better than the focus's record does, ASK when both fit.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Sequence

from knowledge_base.answers.passages import passages
from knowledge_base.catalogue.models import Procedure
from knowledge_base.search.details import DetailKind, DetailQuestion
from knowledge_base.search.engine import FOLDED_FUNCTION_WORDS, Scored, SearchEngine
from knowledge_base.search.query import Analysis
from knowledge_base.search.variants import QueryCues, age_range, name_operations, query_operations
from knowledge_base.text import fold, folded_syllables
from knowledge_base.types import Aspect

# A relative keeps at least this share (by idf) of the focus's name head.
RELATIVE_SHARE = 0.6
# A relative is set apart by the message when it says this share of the words the relative's name adds to the focus's.
EXTRA_COVERED = 0.5
# The message names another procedure outright: it covers this share of that name, and this much more than of the
# focus's name.
NAMED_OUTRIGHT = 0.5
NAME_MARGIN = 0.2
# Otherwise a procedure the message partly names (this share of its name) and the focus's record lacks words of
# the message: switch when it explains the message this much better than the focus's record, ask when only better.
NAMED_COVERAGE = 0.3
SWITCH_MARGIN = 0.25
# Verbs and nouns every procedure uses: they never name another one by themselves.
GENERIC = frozenset(fold(w) for w in """nộp làm đăng ký cấp xin khai giấy tờ hồ sơ thủ tục người nhà đi đến lên ra
về muốn cần phải được lại mới thêm bổ sung nữa trường hợp như vậy thì sao còn mà nếu của cho ai em anh chị tôi mình
bạn con vợ chồng bố mẹ ông bà cháu""".split())


class Move(str, Enum):
    STAY = "stay"
    NARROW = "narrow"
    SWITCH = "switch"
    ASK = "ask"


@dataclass
class FocusDecision:
    move: Move
    code: str | None = None        # STAY: the focus; NARROW: its variant; SWITCH: the new one; ASK: the new one


def _share(words: Sequence[str], within: set[str] | frozenset[str], engine: SearchEngine) -> float:
    weights = {w: engine.idf(w) for w in words}
    total = sum(weights.values())
    return sum(v for w, v in weights.items() if w in within) / total if total else 0.0


def record_words(proc: Procedure) -> set[str]:
    """Every folded syllable of the record: name, field, documents, steps, conditions, channels, result..."""
    words = set(folded_syllables(proc.name + " " + proc.field))
    for p in passages(proc):
        words.update(folded_syllables(p.text + " " + (p.group or "")))
    return words


class FocusTracker:
    """Decides the focus for the next message (engine injected; one per knowledge base)."""

    def __init__(self, engine: SearchEngine, procedures: dict[str, Procedure]):
        self._engine = engine
        self._procedures = procedures

    def related(self, focus: str, other: str) -> bool:
        """`other` is a relative of `focus`: the same variant group, or its name keeps most of the focus's name head."""
        variants = self._engine.variants
        if variants.group_of(focus) == variants.group_of(other):
            return True
        head = [fold(t) for t in self._engine.name_head(focus)]
        head = [w for w in head if w not in FOLDED_FUNCTION_WORDS] or head
        return _share(head, self._engine.name_words(other), self._engine) >= RELATIVE_SHARE

    def _message_words(self, analysis: Analysis) -> list[str]:
        words = [fold(t) for t in analysis.content]
        for expansion in analysis.expansions:
            words += folded_syllables(expansion)
        return [w for w in dict.fromkeys(words) if w not in FOLDED_FUNCTION_WORDS]

    def _sets_apart(self, focus: str, other: str, analysis: Analysis) -> bool:
        """The message says what distinguishes `other` from the focus (in its own words, not an alias's)."""
        engine = self._engine
        own = engine.name_words(focus)
        words = [fold(t) for t in analysis.content]
        extra = [w for w in engine.name_words(other) - own if w not in GENERIC or w == "lai"]
        if extra and _share(extra, set(words), engine) >= EXTRA_COVERED:
            return True                      # "gia hạn tạm trú", "đăng ký lại" ("lại" is generic elsewhere)
        cues = QueryCues.from_text(analysis.cue_text, " ".join(analysis.restored))
        mine, theirs = engine.variants.info[focus], engine.variants.info[other]
        if cues.foreign and theirs.foreign and not mine.foreign:
            return True
        if cues.action and theirs.action == cues.action != mine.action:
            return True
        if cues.level is not None and theirs.level == cues.level != mine.level:
            return True
        if cues.age_stated and cues.age is not None:
            fits = [r is None or r[0] <= cues.age <= r[1] for r in (age_range(self._procedures[c].name)
                                                                    for c in (focus, other))]
            return fits == [False, True]
        return False

    def _narrow(self, focus: Procedure, text: str, analysis: Analysis) -> str | None:
        """The relative of the focus that the focus's name and the message together find above the focus, and that
        the message sets apart; among several, one that does nothing more than the focus (no "cấp lại" nobody
        asked for)."""
        engine = self._engine
        # The family's name (the variant group key: no level, no foreign element, "cấp lại"/"cấp đổi" -> "cấp") with
        # the message: "cấp đổi" after "cấp lại thẻ căn cước" is about "cấp đổi thẻ căn cước".
        together = engine.analyze(engine.variants.group_of(focus.code) + " " + text)
        found: list[str] = []
        for s in engine.rank(together, limit=10):
            if s.code == focus.code:
                break
            if self.related(focus.code, s.code) and self._sets_apart(focus.code, s.code, analysis):
                found.append(s.code)
        hinted = query_operations(analysis.cue_text) | name_operations(focus.name)
        plain = [c for c in found if not name_operations(self._procedures[c].name) - hinted]
        return (plain or found or [None])[0]

    def decide(self, focus: Procedure, text: str, analysis: Analysis, detail: DetailQuestion | None,
               ranked: Sequence[Scored]) -> FocusDecision:
        """Where the message `text` (analysed, its yes/no detail read, searched alone as `ranked`) goes."""
        stay = FocusDecision(Move.STAY, focus.code)
        if not analysis.has_content:
            return stay
        if detail is not None and detail.kind is not DetailKind.OTHER:
            return stay                      # a yes/no question about a paper, a channel, the fee, a proxy
        narrowed = self._narrow(focus, text, analysis)
        if narrowed is not None:
            return FocusDecision(Move.NARROW, narrowed)
        words = self._message_words(analysis)
        top = next((s for s in ranked if not self.related(focus.code, s.code)), None)
        if top is None or top is not ranked[0] or not self._engine.is_confident(top):
            return stay
        head = [w for w in (fold(t) for t in self._engine.name_head(focus.code)) if w not in GENERIC] or \
            [fold(t) for t in self._engine.name_head(focus.code)]
        names_focus = _share(head, set(words), self._engine)
        if top.name_coverage >= NAMED_OUTRIGHT and top.name_coverage >= names_focus + NAME_MARGIN:
            return FocusDecision(Move.SWITCH, top.code)       # the message names another procedure
        if detail is not None:
            return stay
        # A bare family name with nothing asked ("chứng thực"), not "tờ khai đó nộp ở đâu".
        family = self._engine.family(analysis, ranked) if analysis.aspect is Aspect.OVERVIEW else []
        if family and focus.code not in family:
            return FocusDecision(Move.SWITCH, top.code)       # names a family of procedures ("chứng thực")
        mine = record_words(focus)
        if not [w for w in words if w not in mine and w not in GENERIC] or top.name_coverage < NAMED_COVERAGE:
            return stay
        fit_focus = _share(words, mine, self._engine)
        if top.coverage >= fit_focus + SWITCH_MARGIN:
            return FocusDecision(Move.SWITCH, top.code)
        if top.coverage > fit_focus:
            return FocusDecision(Move.ASK, top.code)
        return stay
