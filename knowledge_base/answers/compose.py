"""Citizen-facing answers about one procedure and one aspect, in polite Vietnamese, as structured content.

The assistant calls itself "em" and addresses the citizen as "anh/chị". Every answer is a `replies.model.Content`:
its title names the procedure and its level, its blocks say the asked content (paragraphs, document checklists,
label/value facts, numbered steps, bullets) and its `source_url` is the procedure's page on the portal. Missing
portal fields are said so politely, never shown as "Không có thông tin". No channel formatting here (emoji, list
marks, HTML, length limits): each channel renders and splits the content itself (`replies/text.py` for text).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from knowledge_base.catalogue.models import Channel, Document, LegalBasis, Procedure
from knowledge_base.catalogue.parse import MISSING
from knowledge_base.types import Aspect
from replies.model import Block, Bullets, Checklist, ChecklistItem, Content, Fact, Facts, Paragraph, Steps

MAX_DOCUMENTS = 12
MAX_DOCUMENT_CHARS = 180
MAX_STEPS = 8
MAX_STEP_CHARS = 300
MAX_LEGAL = 10
MAX_GROUPS = 3              # more case groups: list the first group, then only the other groups' names
MAX_CHOICE_CHARS = 60

_CHANNEL_LABELS = {"Trực tuyến": "trực tuyến", "Dịch vụ bưu chính": "qua bưu chính", "Trực tiếp": "trực tiếp"}
_CHANNEL_ORDER = ("Trực tuyến", "Dịch vụ bưu chính", "Trực tiếp")
_LEVEL_SHORT = {"Cấp bộ": "bộ", "Cấp tỉnh": "tỉnh", "Cấp xã": "xã"}
_NOTE_GROUP_RE = re.compile(r"^(?:\*\s*)?(?:Lưu ý|Chú ý|Ghi chú)", re.IGNORECASE)
_STEP_MARKER_RE = re.compile(r"^(?:[a-zđ]\)\s*)?(?:Bước\s*\d+\s*[:.\-–)]?\s*|\d{1,2}[.)]\s+)")
_SMALL_VND_RE = re.compile(r"^\d{1,3} VNĐ$")
_NAMED_LEVEL_RE = re.compile(r"\((?:[^()]*\s)?(?:cấp|tại) (?:bộ|tỉnh|xã|trung ương|huyện|địa phương)\b[^()]*\)",
                             re.IGNORECASE)
_NOTE_STEP_RE = re.compile(r"^\*?\s*(?:Lưu ý|Chú ý|Ghi chú)\b", re.IGNORECASE)
_ASPECT_NAMES = {
    Aspect.DOCUMENTS: "thành phần hồ sơ",
    Aspect.FEE: "phí, lệ phí",
    Aspect.DURATION: "thời hạn giải quyết",
    Aspect.WHERE: "nơi tiếp nhận hồ sơ",
    Aspect.STEPS: "trình tự thực hiện",
    Aspect.CONDITIONS: "yêu cầu, điều kiện",
    Aspect.LEGAL_BASIS: "căn cứ pháp lý",
    Aspect.RESULT: "kết quả giải quyết",
    Aspect.ONLINE: "hình thức nộp hồ sơ",
    Aspect.APPLICANTS: "đối tượng thực hiện",
}


# ---------------------------------------------------------------- small text helpers

def flat(text: str | None) -> str:
    return " ".join((text or "").split())


def shorten(text: str | None, limit: int) -> str:
    """One line, cut at a word boundary with an ellipsis when longer than `limit`."""
    text = flat(text)
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


_CLAUSE_END = re.compile(r"[.;:!?,](?=\s)|\s[-–—](?=\s)")
_CASE_RE = re.compile(r"^(?:[-*+•]\s*)?(?:đối với\s+)?(?:trường hợp|TH)\s+(.+?)(?:,?\s+thì\s.*)?$",
                      re.IGNORECASE)
_FORM_CODE_RE = re.compile(r"\bmẫu\s+(?:số\s+)?([\w./-]*\d[\w./-]*)", re.IGNORECASE)


def clip(text: str | None, limit: int) -> str:
    """At most about `limit` characters, cut only where a clause ends (a sentence, ';', ',', ':' or a dash, outside
    brackets) and marked with "…"; text without such an end in reach stays whole: never a cut inside a phrase
    ("ký xác…"). The channel renderers split a long message."""
    text = flat(text)
    if len(text) <= limit:
        return text
    for end in reversed(list(_CLAUSE_END.finditer(text, 0, limit))):
        head = text[:end.start()]
        if end.start() < limit * 0.4:
            break
        if head.count("(") == head.count(")"):
            mark = end.group(0).strip()
            return head + (mark if mark in ".!?" else "") + " …"
    return text


def case_title(group: str) -> str:
    """A case group's heading as the condition it is: "Trường hợp A thì hồ sơ phải có …" -> "Nếu A"."""
    case = _CASE_RE.match(flat(group))
    if case:
        condition = case.group(1).rstrip(" :;,.")
        return "Nếu " + clip(condition, 240)
    return clip(group, 240).rstrip(" :.;,")


def form_label(doc: Document) -> str | None:
    """The form's name, unless the document's name already gives it ("… (Mẫu DC02 ban hành kèm theo …)")."""
    if not doc.form:
        return None
    code = _FORM_CODE_RE.search(doc.form)
    named = flat(doc.name).lower()
    if flat(doc.form).lower() in named or (code and re.search(rf"(?<![\w]){re.escape(code.group(1).lower())}(?![\w])",
                                                           named)):
        return None
    return clip(doc.form, 120)


def _join_vi(items: Sequence[str]) -> str:
    """["a", "b", "c"] -> "a, b và c"."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " và " + items[-1]


def _levels(proc: Procedure) -> str:
    return ", ".join(lvl[0].lower() + lvl[1:] for lvl in proc.levels if lvl in _LEVEL_SHORT)


def _names_level(name: str) -> bool:
    """The name already says its level, e.g. "Cấp Giấy phép thăm dò khoáng sản (cấp Bộ)"."""
    return _NAMED_LEVEL_RE.search(name) is not None


def procedure_title(proc: Procedure) -> str:
    levels = "" if _names_level(proc.name) else _levels(proc)
    return shorten(proc.name, 160) + (f" ({levels})" if levels else "")


def paragraph(*lines: str) -> Paragraph:
    """One paragraph; its sentences stay on lines of their own."""
    return Paragraph(text="\n".join(lines))


# ---------------------------------------------------------------- channels, fees, times

def channel_names(proc: Procedure) -> list[str]:
    present = {c.channel for c in proc.channels}
    return [name for name in _CHANNEL_ORDER if name in present]


def channel_phrase(names: Sequence[str]) -> str:
    return _join_vi([_CHANNEL_LABELS.get(n, n.lower()) for n in names])


def _grouped(proc: Procedure, key: Callable[[Channel], str | None]) -> list[tuple[str | None, list[str]]]:
    """Distinct values of `key` over the channel rows, each with the channels that share it."""
    groups: dict[str | None, list[str]] = {}
    for row in proc.channels:
        names = groups.setdefault(key(row), [])
        if row.channel not in names:
            names.append(row.channel)
    return list(groups.items())


def _fee_key(row: Channel) -> str | None:
    if row.fee is None:
        return None
    text = row.fee
    if _SMALL_VND_RE.match(text) and not row.fee_note:     # the portal often means thousands here
        text += " (con số đúng như Cổng ghi, anh/chị vui lòng kiểm tra lại tại đường dẫn nguồn)"
    if row.fee_note:
        text += f" — ghi chú: {clip(row.fee_note, 300)}"
    return text


def _time_key(row: Channel) -> str | None:
    if row.time_text is None:
        return None
    if row.time_value is not None and row.time_unit is None:
        return f"{row.time_text} (Cổng Dịch vụ công không ghi rõ đơn vị: ngày, ngày làm việc hay giờ)"
    return row.time_text


def _per_channel_facts(groups: list[tuple[str | None, list[str]]], missing: str) -> Facts:
    return Facts(items=[Fact(label=channel_phrase(names).capitalize(), value=value or missing)
                        for value, names in groups])


def _fee_summary(proc: Procedure) -> str | None:
    groups = [(v, n) for v, n in _grouped(proc, lambda r: r.fee) if v]
    if not groups:
        return None
    if len(groups) == 1:
        return groups[0][0]
    if len(groups) > 2:
        return f"có {len(groups)} mức tùy trường hợp và hình thức nộp"
    return "; ".join(f"{v} ({channel_phrase(n)})" for v, n in groups)


def _time_summary(proc: Procedure) -> str | None:
    groups = [(v, n) for v, n in _grouped(proc, lambda r: r.time_text) if v]
    if not groups:
        return None
    unitless = any(r.time_value is not None and r.time_unit is None for r in proc.channels)
    if len(groups) == 1:
        text = groups[0][0]
    elif len(groups) == 2:
        text = "; ".join(f"{v} ({channel_phrase(n)})" for v, n in groups)
    else:
        text = f"có {len(groups)} mức tùy trường hợp và hình thức nộp"
    return text + (" (Cổng không ghi rõ đơn vị)" if unitless else "")


# ---------------------------------------------------------------- documents

def is_note_group(group: str | None) -> bool:
    return bool(group and _NOTE_GROUP_RE.match(group))


COMMON_DOCUMENTS = "Giấy tờ chung"


def case_groups(documents: Sequence[Document]) -> list[tuple[str | None, list[Document]]]:
    """Documents by case group, in the catalogue's order, except that the documents every applicant hands in (no
    group) come first: the catalogue sometimes lists them after the cases ("Trường hợp ủy quyền …")."""
    groups: dict[str | None, list[Document]] = {}
    for doc in documents:
        groups.setdefault(doc.group, []).append(doc)
    return sorted(groups.items(), key=lambda group: group[0] is not None)


def quantity_text(doc: Document) -> str:
    parts = []
    if doc.original:
        parts.append(f"{doc.original} bản chính")
    if doc.copy:
        parts.append(f"{doc.copy} bản sao")
    return " + ".join(parts)


def _checklist_item(doc: Document) -> ChecklistItem:
    return ChecklistItem(name=clip(doc.name, MAX_DOCUMENT_CHARS), quantity=quantity_text(doc) or None,
                         form=form_label(doc))


def _body_documents(proc: Procedure) -> list[Block] | None:
    blocks = document_blocks(proc)
    return [paragraph("Dạ, hồ sơ anh/chị cần chuẩn bị gồm:")] + blocks if blocks else None


def document_blocks(proc: Procedure) -> list[Block]:
    """Checklists of documents to hand in, one per case group; rows without a quantity (notes,
    headings, "Lưu ý" groups) are only counted, unless nothing else is listed."""
    if not proc.documents:
        return []
    listed = [d for d in proc.documents if not is_note_group(d.group)]
    docs = [d for d in listed if quantity_text(d)] or listed
    notes = len(proc.documents) - len(docs)
    groups = case_groups(docs)
    several = len(groups) > 1
    blocks: list[Block] = []
    later: list[str] = []
    if len(groups) > MAX_GROUPS:                           # many cases: first one in full, then names
        later = [g for g, _ in groups[1:] if g]
        groups = groups[:1]
    shown = 0
    for group, items in groups:
        if shown >= MAX_DOCUMENTS:
            break
        title = (case_title(group) if group else COMMON_DOCUMENTS) if several else None
        listed_items = [_checklist_item(doc) for doc in items[:MAX_DOCUMENTS - shown]]
        shown += len(listed_items)
        blocks.append(Checklist(title=title, items=listed_items))
    rest = (len(groups[0][1]) if later else len(docs)) - shown
    if rest > 0:
        blocks.append(paragraph(f"… và {rest} mục khác, anh/chị xem đầy đủ tại đường dẫn nguồn bên dưới."))
    if later:
        blocks.append(paragraph(f"Thủ tục còn {len(later)} trường hợp khác, mỗi trường hợp một bộ hồ sơ riêng:"))
        cases = [clip(g, 120) for g in later[:6]]
        if len(later) > 6:
            cases.append(f"… và {len(later) - 6} trường hợp khác")
        blocks.append(Bullets(items=cases))
        blocks.append(paragraph("Anh/chị cho em biết mình thuộc trường hợp nào, hoặc xem chi tiết tại đường dẫn "
                                 "nguồn ạ."))
    if notes:
        blocks.append(paragraph(f"Ngoài ra Cổng còn {notes} ghi chú, lưu ý về hồ sơ, anh/chị xem tại đường dẫn "
                                 "nguồn."))
    return blocks


# ---------------------------------------------------------------- aspect bodies (None = field missing)

def _body_fee(proc: Procedure) -> list[Block] | None:
    if not proc.channels or all(r.fee is None for r in proc.channels):
        hints = [r.description for r in proc.channels if r.description and "phí" in r.description.lower()]
        if not hints:
            return None
        return [paragraph("Dạ, Cổng Dịch vụ công không ghi mức phí riêng; phần mô tả có nêu:",
                           f"“{clip(hints[0], 400)}”")]
    groups = _grouped(proc, _fee_key)
    names = channel_names(proc)
    if len(groups) == 1 and len(names) > 1:
        value = groups[0][0] or ""
        if value == "Miễn phí":
            return [paragraph(f"Dạ, thủ tục này miễn phí cho cả {len(names)} hình thức nộp "
                               f"({channel_phrase(names)}).")]
        return [paragraph(f"Dạ, phí, lệ phí như nhau cho cả {len(names)} hình thức nộp ({channel_phrase(names)}):",
                           value)]
    return [paragraph("Dạ, phí, lệ phí theo từng hình thức nộp:"),
            _per_channel_facts(groups, "Cổng chưa ghi mức phí")]


def _body_duration(proc: Procedure) -> list[Block] | None:
    if not proc.channels or all(r.time_text is None for r in proc.channels):
        return None
    groups = _grouped(proc, _time_key)
    names = channel_names(proc)
    if len(groups) == 1 and len(names) > 1:
        blocks: list[Block] = [paragraph(f"Dạ, thời hạn giải quyết cho cả {len(names)} hình thức nộp "
                                          f"({channel_phrase(names)}): {groups[0][0]}.")]
    else:
        blocks = [paragraph("Dạ, thời hạn giải quyết theo từng hình thức nộp:"),
                  _per_channel_facts(groups, "Cổng chưa ghi thời hạn")]
    description = next((flat(row.description) for row in proc.channels if row.description), None)
    if description:
        blocks.append(paragraph(f"Mô tả trên Cổng: “{clip(description, 350)}”"))
    return blocks


def _body_where(proc: Procedure) -> list[Block] | None:
    lines = []
    if proc.agencies:
        lines.append(f"Dạ, cơ quan thực hiện: {clip(proc.agencies, 400)}.")
    if proc.competent_agency and proc.competent_agency != proc.agencies:
        lines.append(f"Cơ quan có thẩm quyền: {clip(proc.competent_agency, 300)}.")
    if proc.address:
        lines.append(f"Địa chỉ tiếp nhận hồ sơ: {clip(proc.address, 500)}")
    if not lines:
        return None
    names = channel_names(proc)
    if names:
        lines.append(f"Anh/chị có thể nộp hồ sơ {channel_phrase(names)}.")
    return [paragraph(*lines)]


def split_steps(proc: Procedure) -> tuple[list[str], list[str]]:
    """The numbered steps (their "Bước 1:" markers removed) and the notes after them ("* Lưu ý:" ends the steps)."""
    steps = list(proc.steps)
    notes: list[str] = []
    for i, step in enumerate(steps):
        if i and _NOTE_STEP_RE.match(step):
            steps, notes = steps[:i], steps[i:]
            break
    return [_STEP_MARKER_RE.sub("", flat(step)) for step in steps], notes


def _body_steps(proc: Procedure) -> list[Block] | None:
    if not proc.steps:
        return None
    steps, notes = split_steps(proc)
    blocks: list[Block] = [
        paragraph("Dạ, các bước thực hiện như sau:"),
        Steps(items=[clip(step, MAX_STEP_CHARS) for step in steps[:MAX_STEPS]]),
    ]
    after = []
    rest = len(steps) - MAX_STEPS
    if rest > 0:
        after.append(f"… còn {rest} bước nữa, anh/chị xem đầy đủ tại đường dẫn nguồn.")
    if notes:
        after.append("Cổng còn nêu thêm một số lưu ý, anh/chị xem tại đường dẫn nguồn.")
    if after:
        blocks.append(paragraph(*after))
    return blocks


def _body_conditions(proc: Procedure) -> list[Block] | None:
    if not proc.conditions:
        return None
    return [paragraph("Dạ, yêu cầu, điều kiện thực hiện:", clip(proc.conditions, 1500))]


def legal_text(item: LegalBasis) -> str:
    title = shorten(item.title, 160)
    if item.number and (item.title == item.number or flat(item.title).endswith(item.number)):
        return title
    if item.number:
        return f"{item.number} — {title}"
    return title


def legal_rank(item: LegalBasis) -> int:
    """Laws first, then decrees, Prime Minister decisions, circulars, the rest (stable otherwise)."""
    number = item.number or ""
    for rank, pattern in enumerate((r"/(?:UBTV)?QH\d", r"/N[ĐQ]-CP", r"/QĐ-TTg", r"/TT(?:LT)?-")):
        if re.search(pattern, number):
            return rank
    return 4


def _body_legal(proc: Procedure) -> list[Block] | None:
    if not proc.legal_basis:
        return None
    ordered = sorted(proc.legal_basis, key=legal_rank)
    blocks: list[Block] = [paragraph("Dạ, căn cứ pháp lý của thủ tục:"),
                           Bullets(items=[legal_text(item) for item in ordered[:MAX_LEGAL]])]
    rest = len(proc.legal_basis) - MAX_LEGAL
    if rest > 0:
        blocks.append(paragraph(f"… và {rest} văn bản khác tại đường dẫn nguồn."))
    return blocks


def _body_result(proc: Procedure) -> list[Block] | None:
    if not proc.result:
        return None
    results = [r for r in proc.result.split("\n") if r.strip()]
    if len(results) == 1:
        return [paragraph(f"Dạ, kết quả anh/chị nhận được: {clip(results[0], 500)}")]
    return [paragraph("Dạ, kết quả anh/chị có thể nhận được:"),
            Bullets(items=[clip(r, 300) for r in results[:8]])]


def _body_online(proc: Procedure) -> list[Block] | None:
    names = channel_names(proc)
    if not names:
        return None
    others = [n for n in names if n != "Trực tuyến"]
    if "Trực tuyến" in names:
        lines = ["Dạ, thủ tục này nộp trực tuyến được ạ, qua Cổng Dịch vụ công Quốc gia (dichvucong.gov.vn)."]
        if others:
            lines.append(f"Ngoài ra anh/chị cũng có thể nộp {channel_phrase(others)}.")
    else:
        lines = ["Dạ, hiện thủ tục này chưa nhận hồ sơ trực tuyến.",
                 f"Anh/chị có thể nộp {channel_phrase(others)}."]
    return [paragraph(*lines)]


def _body_applicants(proc: Procedure) -> list[Block] | None:
    if not proc.applicants:
        return None
    return [paragraph(f"Dạ, đối tượng thực hiện thủ tục này: {clip(proc.applicants, 600)}.")]


def _overview_facts(proc: Procedure) -> list[Fact]:
    facts = []
    if proc.field:
        facts.append(Fact(label="Lĩnh vực", value=proc.field))
    names = channel_names(proc)
    if names:
        facts.append(Fact(label="Cách nộp", value=channel_phrase(names)))
    if proc.channels:
        duration = _time_summary(proc) or "Cổng chưa ghi"
        facts.append(Fact(label="Thời hạn giải quyết", value=clip(duration, 250)))
        fee = _fee_summary(proc) or "Cổng chưa ghi"
        if any(_SMALL_VND_RE.match(r.fee or "") for r in proc.channels):
            fee += " (theo Cổng ghi; hỏi em về phí để xem ghi chú)"
        facts.append(Fact(label="Phí, lệ phí", value=clip(fee, 250)))
    docs = [d for d in proc.documents if not is_note_group(d.group) and quantity_text(d)]
    cases = len({d.group for d in docs})
    if docs:
        facts.append(Fact(label="Hồ sơ", value=f"{len(docs)} loại giấy tờ"
                          + (f", chia theo {cases} trường hợp" if cases > 1 else "")))
    if proc.agencies:
        facts.append(Fact(label="Cơ quan thực hiện", value=clip(proc.agencies, 200)))
    return facts


def _body_overview(proc: Procedure) -> list[Block]:
    facts = _overview_facts(proc)
    return ([paragraph("Dạ, em tóm tắt thủ tục này như sau:")] + ([Facts(items=facts)] if facts else [])
            + [paragraph("Anh/chị muốn em nói rõ hơn về giấy tờ cần chuẩn bị, các bước thực hiện, "
                          "phí hay thời gian giải quyết ạ?")])


_BODIES: dict[Aspect, Callable[[Procedure], list[Block] | None]] = {
    Aspect.DOCUMENTS: _body_documents,
    Aspect.FEE: _body_fee,
    Aspect.DURATION: _body_duration,
    Aspect.WHERE: _body_where,
    Aspect.STEPS: _body_steps,
    Aspect.CONDITIONS: _body_conditions,
    Aspect.LEGAL_BASIS: _body_legal,
    Aspect.RESULT: _body_result,
    Aspect.ONLINE: _body_online,
    Aspect.APPLICANTS: _body_applicants,
}


def _missing_body(proc: Procedure, aspect: Aspect) -> list[Block]:
    what = _ASPECT_NAMES.get(aspect, "nội dung này")
    if aspect is Aspect.CONDITIONS:
        opening = "Dạ, trên Cổng Dịch vụ công Quốc gia, thủ tục này không nêu yêu cầu, điều kiện riêng."
    elif aspect is Aspect.WHERE:
        opening = "Dạ, Cổng Dịch vụ công Quốc gia chưa ghi cụ thể cơ quan, địa chỉ tiếp nhận cho thủ tục này."
    else:
        opening = f"Dạ, em rất tiếc, Cổng Dịch vụ công Quốc gia chưa có thông tin về {what} của thủ tục này."
    known = _overview_facts(proc)
    if not known:
        return [paragraph(opening, "Anh/chị vui lòng xem thêm tại đường dẫn nguồn bên dưới ạ.")]
    return [paragraph(opening, "Em xin gửi anh/chị những thông tin đã có:"), Facts(items=known)]


def _also_body(proc: Procedure, aspect: Aspect) -> list[Block]:
    """A further asked aspect, after the main one: its content, or one sentence saying the portal lacks it."""
    if aspect is Aspect.OVERVIEW:
        return []
    body = _BODIES[aspect](proc)
    if body is None:
        return [paragraph(f"Về {_ASPECT_NAMES.get(aspect, 'nội dung này')}: Cổng Dịch vụ công Quốc gia chưa có "
                           "thông tin.")]
    first = body[0]
    if isinstance(first, Paragraph):                      # every body opens with "Dạ, …": not twice in a reply
        opening = re.sub(r"^Dạ,\s*", "", first.text)
        first = Paragraph(text=opening[:1].upper() + opening[1:])
    return [first] + body[1:]


def _without_missing(value: Any) -> Any:
    """`value` (a dumped block) with the portal's "Không có thông tin" filler removed from every string."""
    if isinstance(value, str):
        return value.replace(MISSING, "")
    if isinstance(value, list):
        return [_without_missing(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_missing(v) for k, v in value.items()}
    return value


def compose_answer(proc: Procedure, aspect: Aspect, also: Sequence[Aspect] = ()) -> Content:
    """Answer about `proc` for `aspect` (and the further aspects asked in the same question, `also`):
    title, the asked content (or a polite fallback), source link. Where the procedure has no page on the
    portal, `source_url` is None and a last paragraph names the portal instead."""
    if aspect is Aspect.OVERVIEW:
        blocks = _body_overview(proc)
    else:
        blocks = _BODIES[aspect](proc) or _missing_body(proc, aspect)
        for other in also:
            if other is not aspect:
                blocks = blocks + _also_body(proc, other)
    return procedure_content(proc, blocks)


def procedure_content(proc: Procedure, blocks: list[Block]) -> Content:
    """`blocks` about `proc` as a reply's content: its title, the portal's "Không có thông tin" filler removed, and its
    source link (where it has no page on the portal, a last paragraph names the portal instead)."""
    if not proc.url:
        blocks = blocks + [paragraph("Nguồn: Cổng Dịch vụ công Quốc gia (dichvucong.gov.vn)")]
    blocks = [type(b).model_validate(_without_missing(b.model_dump())) for b in blocks]
    return Content(title=procedure_title(proc), blocks=blocks, source_url=proc.url or None)


def compose_choice_title(proc: Procedure) -> str:
    """Short button label: the procedure name without "Thủ tục", plus its level; at most 60 chars."""
    name = re.sub(r"^(?:Thủ tục|TTHC)\s+", "", flat(proc.name), flags=re.IGNORECASE)
    name = name[:1].upper() + name[1:]
    named = _NAMED_LEVEL_RE.search(name)
    if named:                                   # "(thực hiện tại cấp trung ương)" -> "(cấp trung ương)"
        word = (re.search(r"cấp (?:trung ương|địa phương|\w+)", named.group(0), re.IGNORECASE)
                or re.search(r"tại (?:trung ương|địa phương|\w+)", named.group(0), re.IGNORECASE))
        name = flat(name[:named.start()] + name[named.end():]).rstrip(" ,;-")
        level = f" ({word.group(0).lower()})" if word else ""
    else:
        short = [_LEVEL_SHORT[lvl] for lvl in proc.levels if lvl in _LEVEL_SHORT]
        level = f" (cấp {', '.join(short)})" if short else ""
    return shorten(name, MAX_CHOICE_CHARS - len(level)) + level
