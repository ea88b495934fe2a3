"""Facade of the knowledge base: load once, then search, get and respond.

    kb = get_knowledge_base()
    kb.search("làm lại căn cước bị mất ở đâu")          -> SearchResult
    kb.respond("lam lai cccd mat bn tien")               -> Reply(kind="answer", ...)
    kb.respond("còn lệ phí thì sao", context_code="1.014064")  -> follow-up on the same procedure
"""
from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from knowledge_base.models import Procedure
from knowledge_base.search import Analysis, Scored, SearchConfig, SearchEngine
from knowledge_base.text import nfc
from knowledge_base.types import Aspect, Choice, Reply, SearchResult
from settings import SETTINGS, Settings

log = logging.getLogger(__name__)

MAX_CHOICES = 4
# A second procedure this close to the first (and not a variant of it) makes the question ambiguous.
CLARIFY_RATIO = 0.93

NO_MATCH_TEXT = (
    "Dạ, em chưa tìm thấy thủ tục hành chính phù hợp với câu hỏi của anh/chị. "
    "Anh/chị có thể nói rõ hơn tên giấy tờ hoặc việc cần làm không ạ? "
    "Ví dụ: \"làm lại căn cước bị mất cần giấy tờ gì\" hoặc \"đăng ký khai sinh cho con ở đâu\"."
)
CLARIFY_TEXT = "Dạ, anh/chị đang hỏi về thủ tục nào ạ? Anh/chị chọn giúp em một trong các thủ tục sau:"
ASK_PROCEDURE_TEXT = (
    "Dạ, anh/chị đang hỏi về thủ tục nào ạ? Anh/chị cho em biết tên thủ tục hoặc việc cần làm, "
    "ví dụ \"đăng ký tạm trú\" hoặc \"cấp hộ chiếu\"."
)


# ---------------------------------------------------------------------- catalogue loading
def _raw_levels(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def load_raw_procedures(source: Path) -> list[Procedure]:
    """Minimal records straight from the raw jsonl (fallback when the parser is unavailable)."""
    out: list[Procedure] = []
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            out.append(Procedure(code=r["ma_thu_tuc"], name=nfc(r["ten_thu_tuc"]).strip(), field=nfc(r["linh_vuc"]),
                                 levels=_raw_levels(r.get("cap_thuc_hien", "")), source_group=r.get("source_group", ""),
                                 url=r.get("detail_url", "")))
    return out


def load_procedures(settings: Settings = SETTINGS, rebuild: bool = False) -> list[Procedure]:
    """The parsed catalogue (built from the raw source when missing); raw fallback if parsing is unavailable."""
    try:
        from knowledge_base.catalogue import build_catalogue, load_catalogue
    except ImportError:  # parser not available: names/fields/levels only
        log.warning("knowledge_base.catalogue unavailable; loading raw records")
        return load_raw_procedures(settings.catalogue_source)
    path = settings.catalogue_path
    if rebuild or not path.is_file() or path.stat().st_mtime < settings.catalogue_source.stat().st_mtime:
        build_catalogue(settings.catalogue_source, path)
    return load_catalogue(path)


# ---------------------------------------------------------------------- answer formatting
def _fallback_answer(proc: Procedure, aspect: Aspect) -> str:
    """Minimal answer used only when knowledge_base.answers is unavailable."""
    lines = [f"Thủ tục: {proc.name} (mã {proc.code})."]
    if aspect == Aspect.DOCUMENTS and proc.documents:
        lines.append("Hồ sơ gồm:")
        lines += [f"- {d.name}" for d in proc.documents[:10]]
    elif aspect in (Aspect.FEE, Aspect.DURATION, Aspect.ONLINE) and proc.channels:
        for c in proc.channels:
            parts = [c.channel, c.time_text or "", c.fee or ""]
            lines.append("- " + "; ".join(p for p in parts if p))
    elif aspect == Aspect.WHERE and (proc.agencies or proc.address):
        lines.append(f"Nơi thực hiện: {proc.agencies or ''} {proc.address or ''}".strip())
    elif aspect == Aspect.STEPS and proc.steps:
        lines += [f"- {s}" for s in proc.steps[:8]]
    elif aspect == Aspect.CONDITIONS and proc.conditions:
        lines.append(f"Điều kiện: {proc.conditions}")
    elif aspect == Aspect.LEGAL_BASIS and proc.legal_basis:
        lines += [f"- {b.title}" + (f" ({b.number})" if b.number else "") for b in proc.legal_basis[:8]]
    elif aspect == Aspect.RESULT and proc.result:
        lines.append(f"Kết quả: {proc.result}")
    elif aspect == Aspect.APPLICANTS and proc.applicants:
        lines.append(f"Đối tượng thực hiện: {proc.applicants}")
    lines.append(f"Chi tiết: {proc.url}")
    return "\n".join(lines)


def _answer_functions() -> tuple[Callable[[Procedure, Aspect], str], Callable[[Procedure], str]]:
    try:
        from knowledge_base.answers import compose_answer, compose_choice_title
        return compose_answer, compose_choice_title
    except ImportError:
        return _fallback_answer, lambda p: p.name if len(p.name) <= 90 else p.name[:87].rstrip() + "..."


# ---------------------------------------------------------------------- facade
class KnowledgeBase:
    def __init__(self, procedures: list[Procedure], engine: SearchEngine, timings: dict[str, float],
                 dense_enabled: bool):
        self.procedures = procedures
        self.engine = engine
        self._by_code = {p.code: p for p in procedures}
        self.timings = timings
        self.dense_enabled = dense_enabled
        self._compose_answer, self._compose_choice_title = _answer_functions()

    @classmethod
    def load(cls, settings: Settings = SETTINGS, config: SearchConfig | None = None,
             show_progress: bool = False) -> "KnowledgeBase":
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        procedures = load_procedures(settings)
        timings["catalogue_s"] = time.perf_counter() - t0
        encoder, model_dir = None, settings.embedding_model_dir
        if settings.use_dense and (Path(model_dir) / "modules.json").is_file():
            t1 = time.perf_counter()
            try:
                from knowledge_base.embedding.encoder import Encoder
                encoder = Encoder(model_dir)
            except Exception as exc:  # model unusable: lexical search still works
                log.warning("dense retrieval disabled: %s", exc)
                encoder = None
            timings["encoder_load_s"] = time.perf_counter() - t1
        elif settings.use_dense:
            log.warning("dense retrieval disabled: no model at %s", model_dir)
        t2 = time.perf_counter()
        engine = SearchEngine.build(procedures, settings.index_dir, encoder=encoder, model_dir=model_dir,
                                    config=config, show_progress=show_progress)
        timings["index_build_s"] = time.perf_counter() - t2
        timings["lexical_build_s"] = engine.lexical_build_seconds
        log.info("knowledge base loaded: %d procedures, dense=%s, %s", len(procedures), engine.dense is not None,
                 ", ".join(f"{k}={v:.2f}" for k, v in timings.items()))
        return cls(procedures, engine, timings, engine.dense is not None)

    # ------------------------------------------------------------------ queries
    def get(self, code: str) -> Procedure | None:
        return self._by_code.get((code or "").strip())

    def search(self, query: str, limit: int = 5, field: str | None = None, level: str | None = None) -> SearchResult:
        return self.engine.search(query, limit=limit, field=field, level=level)

    def stats(self) -> dict[str, Any]:
        return {
            "procedures": len(self.procedures),
            "dense_enabled": self.dense_enabled,
            "index_build_s": round(self.timings.get("index_build_s", 0.0), 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    # ------------------------------------------------------------------ dialogue
    def _answer(self, proc: Procedure, aspect: Aspect) -> Reply:
        return Reply(kind="answer", text=self._compose_answer(proc, aspect), procedure_codes=[proc.code],
                     aspect=aspect)

    def _ambiguous(self, scored: list[Scored]) -> list[Scored]:
        """Hits that compete with the first one: close score and a different variant group."""
        if len(scored) < 2:
            return []
        top = scored[0]
        group = self.engine.variants.group_of(top.code)
        rivals, groups = [top], {group}
        for s in scored[1:]:
            g = self.engine.variants.group_of(s.code)
            if g in groups or s.score < CLARIFY_RATIO * top.score:
                continue
            rivals.append(s)
            groups.add(g)
        return rivals if len(rivals) > 1 else []

    def respond(self, text: str, context_code: str | None = None, chosen_code: str | None = None,
                aspect: Aspect | None = None) -> Reply:
        analysis: Analysis = self.engine.analyze(text or "")
        asked = analysis.aspect if analysis.aspect != Aspect.OVERVIEW or aspect is None else aspect
        if chosen_code:
            proc = self.get(chosen_code)
            if proc is not None:
                return self._answer(proc, asked)
        if not analysis.has_content:
            # Follow-up without procedure words ("còn lệ phí thì sao"): stay on the context procedure.
            proc = self.get(context_code) if context_code else None
            if proc is not None:
                return self._answer(proc, asked)
            return Reply(kind="no_match", text=ASK_PROCEDURE_TEXT, aspect=asked)
        scored = self.engine.rank(analysis, limit=8)
        if not scored or not self.engine.is_confident(scored[0]):
            proc = self.get(context_code) if context_code else None
            if proc is not None and analysis.aspect != Aspect.OVERVIEW \
                    and len(analysis.content) <= 2:
                return self._answer(proc, asked)
            return Reply(kind="no_match", text=NO_MATCH_TEXT, aspect=asked)
        rivals = self._ambiguous(scored)
        if rivals:
            rivals = rivals[:MAX_CHOICES]
            choices = [Choice(code=s.code, title=self._compose_choice_title(self._by_code[s.code])) for s in rivals]
            return Reply(kind="clarify", text=CLARIFY_TEXT, procedure_codes=[s.code for s in rivals],
                         choices=choices, aspect=asked)
        return self._answer(self._by_code[scored[0].code], asked)


_KB: KnowledgeBase | None = None
_KB_LOCK = threading.Lock()


def get_knowledge_base() -> KnowledgeBase:
    """Process-wide singleton, loaded on first use."""
    global _KB
    if _KB is None:
        with _KB_LOCK:
            if _KB is None:
                _KB = KnowledgeBase.load()
    return _KB
