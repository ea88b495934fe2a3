"""Facade of the knowledge base: load once, then search, get and respond.

    kb = KnowledgeBase.load(settings)                  # once per process; callers pass it on
    kb.search("làm lại căn cước bị mất ở đâu")          -> SearchResult
    kb.respond("lam lai cccd mat bn tien")               -> Reply(kind="answer", ...)
    kb.respond("còn lệ phí thì sao", context_code="1.014064")  -> follow-up on the same procedure
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from knowledge_base.answers.compose import compose_answer, compose_choice_title
from knowledge_base.answers.details import answer_detail
from knowledge_base.catalogue import parse
from knowledge_base.catalogue.build import build_catalogue, load_catalogue
from knowledge_base.catalogue.models import Procedure
from knowledge_base.focus import FocusTracker, Move
from knowledge_base.search.dense import EncoderLike
from knowledge_base.search.details import DetailKind, DetailQuestion, read_detail
from knowledge_base.search.engine import Analysis, Scored, SearchConfig, SearchEngine
from knowledge_base.search.serving_encoder import ServingEncoder
from knowledge_base.search.taught import TaughtMatch
from knowledge_base.types import Aspect, Choice, Reply, SearchHit, SearchResult
from replies.model import Content, Paragraph
from settings import SETTINGS, Settings

log = logging.getLogger(__name__)

MAX_CHOICES = 4
# A second procedure this close to the first (and not a variant of it) makes the question ambiguous. Only
# near-ties: measured on dev + held-out, a lower ratio (0.93) turned right answers into an extra tap without
# sparing a single wrong answer, since an answer already offers the runners-up as buttons.
CLARIFY_RATIO = 0.98
# Under a direct answer, up to MAX_ALTERNATIVES other procedures scoring at least ALTERNATIVE_RATIO of
# the first are offered as buttons: when the first guess is wrong, the right one is often next.
MAX_ALTERNATIVES = 2
ALTERNATIVE_RATIO = 0.6

NO_MATCH_TEXT = (
    "Dạ, em chưa tìm thấy thủ tục hành chính phù hợp với câu hỏi của anh/chị. "
    "Anh/chị có thể nói rõ hơn tên giấy tờ hoặc việc cần làm không ạ? "
    "Ví dụ: \"làm lại căn cước bị mất cần giấy tờ gì\" hoặc \"đăng ký khai sinh cho con ở đâu\"."
)
CLARIFY_TEXT = "Dạ, anh/chị đang hỏi về thủ tục nào ạ? Anh/chị chọn giúp em một trong các thủ tục sau:"
ALTERNATIVES_TEXT = "Nếu anh/chị hỏi về thủ tục khác, có thể là một trong các thủ tục sau:"
# A taught example's procedures lead the ranking by this factor over the best ranked candidate.
TAUGHT_LEAD = 1.1
# The aspect a yes/no detail belongs to ("còn hộ chiếu thì sao" after "có cần ảnh thẻ không" asks for documents).
DETAIL_ASPECTS = {DetailKind.DOCUMENT: Aspect.DOCUMENTS, DetailKind.ONLINE: Aspect.ONLINE, DetailKind.POST: Aspect.ONLINE,
                  DetailKind.IN_PERSON: Aspect.ONLINE, DetailKind.FEE: Aspect.FEE, DetailKind.PROXY: Aspect.APPLICANTS}
ASK_FOCUS_TEXT = "Dạ, anh/chị hỏi tiếp về thủ tục đang nói hay về thủ tục khác ạ?"
ASK_PROCEDURE_TEXT = (
    "Dạ, anh/chị đang hỏi về thủ tục nào ạ? Anh/chị cho em biết tên thủ tục hoặc việc cần làm, "
    "ví dụ \"đăng ký tạm trú\" hoặc \"cấp hộ chiếu\"."
)


# ---------------------------------------------------------------------- loading
def load_procedures(settings: Settings = SETTINGS, rebuild: bool = False) -> list[Procedure]:
    """The parsed catalogue, (re)built from the raw source when missing or older than the source or the parser."""
    path = settings.catalogue_path
    if rebuild or not path.is_file() or path.stat().st_mtime < max(settings.catalogue_source.stat().st_mtime,
                                                                 Path(parse.__file__).stat().st_mtime):
        build_catalogue(settings.catalogue_source, path)
    return load_catalogue(path)


def load_encoder(settings: Settings = SETTINGS) -> EncoderLike | None:
    """The run-time encoder, or None (lexical search only) when dense retrieval is off or unusable."""
    if not settings.use_dense:
        return None
    try:
        return ServingEncoder(settings.embedding_model_dir)
    except Exception as exc:  # model missing or engine unusable: lexical search still works
        log.warning("dense retrieval disabled: %s", exc)
        return None


# ---------------------------------------------------------------------- facade
class KnowledgeBase:
    def __init__(self, procedures: list[Procedure], engine: SearchEngine, timings: dict[str, float],
                 dense_enabled: bool):
        self.procedures = procedures
        self.engine = engine
        self.taught = engine.taught      # officers' live examples (search/taught.py), part of the ranking
        self._by_code = {p.code: p for p in procedures}
        self.focus = FocusTracker(engine, self._by_code)
        self.timings = timings
        self.dense_enabled = dense_enabled

    @classmethod
    def load(cls, settings: Settings = SETTINGS, config: SearchConfig | None = None,
             show_progress: bool = False) -> "KnowledgeBase":
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        procedures = load_procedures(settings)
        timings["catalogue_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        encoder = load_encoder(settings)
        timings["encoder_load_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        engine = SearchEngine.build(procedures, settings.index_dir, encoder=encoder, model_dir=settings.embedding_model_dir,
                                    config=config, show_progress=show_progress)
        timings["index_build_s"] = time.perf_counter() - t2
        timings["lexical_build_s"] = engine.lexical_build_seconds
        log.info("knowledge base loaded: %d procedures, dense=%s, %s", len(procedures), engine.dense is not None,
                 ", ".join(f"{k}={v:.2f}" for k, v in timings.items()))
        return cls(procedures, engine, timings, engine.dense is not None)

    # ------------------------------------------------------------------ queries
    def get(self, code: str) -> Procedure | None:
        return self._by_code.get((code or "").strip())

    def search(self, query: str, limit: int = 5, field: str | None = None, level: str | None = None,
               group: str | None = None) -> SearchResult:
        result = self.engine.search(query, limit=limit, field=field, level=level, group=group)
        match = self._taught_match(self.engine.analyze(query)) if len(self.taught) else None
        if match is None:
            return result
        top = result.hits[0].score if result.hits else 1.0
        taught = [c for c in match.codes if self.engine.passes(c, field, level, group)]
        hits = [SearchHit(code=p.code, name=p.name, field=p.field, levels=list(p.levels), source_group=p.source_group,
                          score=round(top * TAUGHT_LEAD * (1 - 0.001 * i), 4))
                for i, p in enumerate(self._by_code[c] for c in taught)]
        rest = [h for h in result.hits if h.code not in taught]
        return SearchResult(hits=(hits + rest)[:limit], took_ms=result.took_ms, query=result.query,
                            confident=result.confident or bool(hits))

    # ------------------------------------------------------------------ officers' live examples
    def teach(self, example_id: int, question: str, codes: list[str]) -> None:
        """From now on the question, and close rephrasings of it, lead to `codes` (all known procedures)."""
        self.taught.add(example_id, question, [c for c in codes if c in self._by_code])

    def forget(self, example_id: int) -> None:
        self.taught.remove(example_id)

    def _taught_match(self, analysis: Analysis) -> TaughtMatch | None:
        return self.taught.match(analysis) if len(self.taught) else None

    def _with_taught(self, match: TaughtMatch, scored: list[Scored]) -> list[Scored]:
        """The taught procedures first, confidently; the ranking's other candidates after them."""
        top = scored[0].score if scored else 1.0
        first = [Scored(code=c, score=top * TAUGHT_LEAD * (1 - 0.001 * i), lexical=0.0, dense=1.0, coverage=1.0,
                        name_coverage=1.0) for i, c in enumerate(match.codes) if c in self._by_code]
        return first + [s for s in scored if s.code not in match.codes]

    def stats(self) -> dict[str, Any]:
        return {
            "procedures": len(self.procedures),
            "dense_enabled": self.dense_enabled,
            "index_build_s": round(self.timings.get("index_build_s", 0.0), 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    # ------------------------------------------------------------------ dialogue
    def _choices(self, codes: list[str]) -> list[Choice]:
        return [Choice(code=c, title=compose_choice_title(self._by_code[c])) for c in codes]

    def _answer(self, proc: Procedure, aspect: Aspect, also: list[Aspect] | None = None,
                alternatives: list[str] | None = None, content: Content | None = None,
                verdict: str | None = None) -> Reply:
        """An answer about `proc`: `content` (by default the asked aspects) with the other procedures offered."""
        return Reply(kind="answer", content=content or compose_answer(proc, aspect, also or ()),
                     procedure_codes=[proc.code], choices=self._choices(alternatives or []),
                     choices_prompt=ALTERNATIVES_TEXT if alternatives else None, aspect=aspect, verdict=verdict)

    @staticmethod
    def _no_match(text: str, aspect: Aspect) -> Reply:
        return Reply(kind="no_match", content=Content(blocks=[Paragraph(text=text)]), aspect=aspect)

    def _runners_up(self, scored: list[Scored], ratio: float, limit: int) -> list[str]:
        """Codes after the first hit scoring at least `ratio` of it, one per variant group and none in
        the first hit's group (a mere level variant is not a different procedure)."""
        top = scored[0]
        groups = {self.engine.variants.group_of(top.code)}
        out: list[str] = []
        for s in scored[1:]:
            group = self.engine.variants.group_of(s.code)
            if len(out) == limit:
                break
            if group in groups or s.score < ratio * top.score:
                continue
            out.append(s.code)
            groups.add(group)
        return out

    def _detail_answer(self, proc: Procedure, detail: DetailQuestion | None, asked: Aspect, also: list[Aspect],
                       alternatives: list[str] | None = None, named: bool = False) -> Reply:
        """The verdict on a yes/no question about one detail of `proc`, else the asked aspect(s). `named`: the
        question named the procedure itself, whose name words are then not the detail asked about."""
        if detail is not None:
            if named:
                own = self.engine.name_words(proc.code)
                detail = replace(detail, words=[w for w in detail.words if w not in own])
            if detail.words or detail.kind not in (DetailKind.DOCUMENT, DetailKind.OTHER):
                answer = answer_detail(proc, detail, self.engine.idf)
                return self._answer(proc, DETAIL_ASPECTS.get(detail.kind, asked), alternatives=alternatives,
                                    content=answer.content, verdict=answer.verdict)
        return self._answer(proc, asked, also, alternatives)

    def respond(self, text: str, context_code: str | None = None, chosen_code: str | None = None,
                aspect: Aspect | None = None) -> Reply:
        """The reply to one message. `context_code` is the procedure in focus (the last one answered), `aspect`
        the last aspect asked, `chosen_code` a procedure the citizen picked from issued choices."""
        analysis: Analysis = self.engine.analyze(text or "")
        asked = analysis.aspect if analysis.aspect != Aspect.OVERVIEW or aspect is None else aspect
        also = analysis.aspects[1:]           # "ở đâu, cần gì": answer both
        if chosen_code:
            proc = self.get(chosen_code)
            if proc is not None:
                return self._answer(proc, asked, also)
        detail = read_detail(analysis)
        focus = self.get(context_code) if context_code else None
        if focus is None and not analysis.has_content:
            return self._no_match(ASK_PROCEDURE_TEXT, asked)
        scored = self.engine.rank(analysis, limit=8) if analysis.has_content else []
        taught = self._taught_match(analysis)
        if taught is not None:
            scored = self._with_taught(taught, scored)
        if focus is not None and taught is None:
            decision = self.focus.decide(focus, text, analysis, detail, scored)
            if decision.move in (Move.STAY, Move.NARROW):
                reply = self._detail_answer(self._by_code[decision.code], detail, asked, also)
                reply.focus = decision.move.value
                return reply
            if decision.move is Move.ASK:
                codes = [focus.code, decision.code]
                return Reply(kind="clarify", content=Content(), procedure_codes=codes, choices=self._choices(codes),
                             choices_prompt=ASK_FOCUS_TEXT, aspect=asked, focus=decision.move.value)
        if not scored or not self.engine.is_confident(scored[0]):
            return self._no_match(NO_MATCH_TEXT, asked)
        rivals = self._runners_up(scored, CLARIFY_RATIO, MAX_CHOICES - 1)      # as likely as the first: ask
        family = None if taught else self.engine.family(analysis, scored)   # "chứng thực": ask which one
        if not rivals and family:
            family_scored = [s for s in scored if s.code in family]
            scored = family_scored + [s for s in scored if s.code not in family]
            rivals = self._runners_up(family_scored, 0.0, MAX_CHOICES - 1)
        if rivals:
            codes = [scored[0].code] + rivals
            return Reply(kind="clarify", content=Content(), procedure_codes=codes, choices=self._choices(codes),
                         choices_prompt=CLARIFY_TEXT, aspect=asked)
        alternatives = self._runners_up(scored, ALTERNATIVE_RATIO, MAX_ALTERNATIVES)
        reply = self._detail_answer(self._by_code[scored[0].code], detail, asked, also, alternatives, named=True)
        reply.focus = Move.SWITCH.value if focus is not None else None
        return reply
