"""The verdict on a yes/no question about one detail of a procedure, from its record, with the passage that decides.

"Dạ có" / "Dạ không" only where the record says it: a paper in the list of documents, a channel row, a fee row, a
sentence on authorisation. A paper that is not in the list is "không có trong thành phần hồ sơ trên Cổng", never
"không cần" as if the law said so. Where the record does not decide, the reply says so and quotes the closest
passage. Papers that no longer exist (sổ hộ khẩu) get a plain answer.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from knowledge_base.answers.compose import (channel_phrase, document_blocks, paragraph, procedure_content,
                                            quantity_text, shorten)
from knowledge_base.answers.passages import Passage, PassageKind, channel_text, passages
from knowledge_base.catalogue.models import Channel, Procedure
from knowledge_base.search.aliases import PhraseMatcher
from knowledge_base.search.details import DetailKind, DetailQuestion, names_document
from knowledge_base.search.engine import FOLDED_FUNCTION_WORDS
from knowledge_base.text import folded_syllables
from replies.model import Block, Bullets, Content

YES, NO, UNDECIDED = "yes", "no", "undecided"
ONLINE, POST, IN_PERSON = "Trực tuyến", "Dịch vụ bưu chính", "Trực tiếp"
MAX_QUOTES = 3
# Share of the question's words (by idf) a passage must contain to be the one asked about; with the object's first
# two words side by side, LEAD_MATCH is enough.
MIN_MATCH = 0.6
LEAD_MATCH = 0.4
MAX_QUOTE_CHARS = 400
ASK_THE_DESK = "Anh/chị nên hỏi thêm cán bộ tại nơi tiếp nhận hồ sơ hoặc xem đường dẫn nguồn bên dưới ạ."


@dataclass(frozen=True)
class Obsolete:
    words: tuple[str, ...]          # folded
    name: str
    fact: str


# Everyday papers that the law has abolished: never a document to bring, whatever an old record says.
OBSOLETE = [
    Obsolete(("so", "ho", "khau"), "Sổ hộ khẩu",
             "đã không còn được sử dụng từ ngày 01/01/2023 (Luật Cư trú 2020, Điều 38): thông tin cư trú nay nằm "
             "trong Cơ sở dữ liệu về cư trú, cơ quan tiếp nhận tự tra cứu, anh/chị không phải mang sổ hộ khẩu"),
    Obsolete(("so", "tam", "tru"), "Sổ tạm trú",
             "đã không còn được sử dụng từ ngày 01/01/2023 (Luật Cư trú 2020, Điều 38): thông tin cư trú nay nằm "
             "trong Cơ sở dữ liệu về cư trú"),
    Obsolete(("ho", "khau"), "Hộ khẩu (sổ hộ khẩu)",
             "đã không còn được sử dụng từ ngày 01/01/2023 (Luật Cư trú 2020, Điều 38): thông tin cư trú nay nằm "
             "trong Cơ sở dữ liệu về cư trú, cơ quan tiếp nhận tự tra cứu"),
    Obsolete(("chung", "minh", "nhan", "dan"), "Chứng minh nhân dân",
             "đã hết giá trị sử dụng từ ngày 01/01/2025 (Luật Căn cước 2023, Điều 46): anh/chị dùng thẻ căn cước "
             "hoặc căn cước công dân còn hạn thay thế"),
]
_OBSOLETE = PhraseMatcher((o.words, o) for o in OBSOLETE)

_FREE = re.compile(r"miễn phí|miễn lệ phí|không thu|không mất|"
                   r"^\s*(?:phí|lệ phí)?\s*:?\s*(?:0|không)\s*(?:đồng|vnđ)?\s*$", re.IGNORECASE)
_AMOUNT = re.compile(r"[1-9]\d*(?:[.,]\d{3})*\s*(?:đồng|vnđ|vnd|đ\b|usd|đô)|\d+\s*%|[1-9]\d{2,}|\$\s*\d", re.IGNORECASE)
_PROXY = re.compile(r"ủy quyền|uỷ quyền|người đại diện|đại diện theo|nộp thay|làm thay|thay mặt|nộp hộ|người được giao",
                    re.IGNORECASE)
_NO_PROXY = re.compile(r"không (?:được )?(?:ủy quyền|uỷ quyền|nộp thay|làm thay)|phải (?:trực tiếp )?có mặt|"
                       r"không được ủy quyền", re.IGNORECASE)
_CHANNEL_WORDS = {ONLINE: re.compile(r"trực tuyến|dịch vụ công|qua mạng|vneid|định danh|điện tử", re.IGNORECASE),
                  POST: re.compile(r"bưu chính|bưu điện", re.IGNORECASE)}
_PRESENCE = re.compile(r"có mặt|trực tiếp đến|đến trực tiếp|thu nhận (?:vân tay|ảnh|sinh trắc)|chụp ảnh|"
                       r"lấy vân tay|sinh trắc học", re.IGNORECASE)


@dataclass
class DetailAnswer:
    verdict: str                    # YES | NO | UNDECIDED
    content: Content


IdfFn = Callable[[str], float]
Found = tuple[str, list[Block]]        # the verdict and what to say


def _quote(text: str) -> str:
    return f"“{shorten(text, MAX_QUOTE_CHARS)}”"


def match_share(words: Sequence[str], passage: Sequence[str], idf: IdfFn) -> float:
    """How much of the asked object (folded `words`) the passage (its folded syllables, in order) contains: the
    idf-weighted share of the words it has, raised to a sure match when it has the object's first two words side by
    side ("giấy báo tử" in "giấy báo tử của bệnh viện": qualifiers citizens add do not hide the paper)."""
    words = [w for w in words if w not in FOLDED_FUNCTION_WORDS]
    if not words:
        return 0.0
    present = set(passage)
    weights = {w: idf(w) for w in words}
    share = sum(v for w, v in weights.items() if w in present) / (sum(weights.values()) or 1.0)
    if len(words) >= 3 and share >= LEAD_MATCH and _adjacent(passage, words[0], words[1]):
        return max(share, MIN_MATCH)
    return share


def _adjacent(passage: Sequence[str], first: str, second: str) -> bool:
    return any(a == first and b == second for a, b in zip(passage, passage[1:]))


def _best(question: DetailQuestion, items: Sequence[Passage], idf: IdfFn) -> list[tuple[float, Passage]]:
    """Passages matching the question's object (at least MIN_MATCH), best first; its alias expansions ("sổ đỏ" ->
    "giấy chứng nhận quyền sử dụng đất") only when the citizen's own words match nothing."""
    words = [(p, folded_syllables(p.text + " " + (p.group or ""))) for p in items]
    for asked in [question.words] + question.alternatives:
        scored = sorted(((match_share(asked, w, idf), p) for p, w in words), key=lambda sp: -sp[0])
        scored = [(s, p) for s, p in scored if s >= MIN_MATCH]
        if scored:
            return scored
    return []


def _rows(proc: Procedure, channel: str) -> list[Channel]:
    return [r for r in proc.channels if r.channel == channel]


def _row_bullets(rows: Sequence[Channel]) -> Bullets:
    return Bullets(items=[channel_text(r) for r in rows])


def _document_line(p: Passage) -> str:
    doc = p.document
    line = p.text + (f" ({quantity_text(doc)})" if doc is not None and quantity_text(doc) else "")
    return line + (f" — trong trường hợp: {p.group}" if p.group else "")


# ---------------------------------------------------------------------- per kind
def _document(proc: Procedure, q: DetailQuestion, idf: IdfFn) -> Found:
    hits = _OBSOLETE.find_all(q.words, exact=True)
    if hits:
        obsolete = hits[0][2]
        return NO, [paragraph(f"Dạ không ạ. {obsolete.name} {obsolete.fact}.")]
    every = passages(proc)
    documents = [p for p in every if p.kind is PassageKind.DOCUMENT]
    found = _best(q, documents, idf)
    if found:
        top = [p for s, p in found if s >= found[0][0] - 1e-6][:MAX_QUOTES]
        conditional = all(p.group for p in top)
        opening = ("Dạ có, trong một số trường hợp. " if conditional else "Dạ có. ") + \
            "Thành phần hồ sơ trên Cổng Dịch vụ công có:"
        return YES, [paragraph(opening), Bullets(items=[_document_line(p) for p in top])]
    elsewhere = [p for _, p in _best(q, [p for p in every if p.kind is not PassageKind.DOCUMENT], idf)][:2]
    if not names_document(q.words) and not q.alternatives:
        return _other(proc, q, idf)
    phrase = q.phrase or "giấy tờ này"
    blocks: list[Block] = [paragraph(f"Dạ không: “{phrase}” không có trong thành phần hồ sơ của thủ tục này trên "
                                     "Cổng Dịch vụ công Quốc gia.")]
    if elsewhere:
        blocks += [paragraph("Cổng có nhắc đến ở phần khác:"), Bullets(items=[_quote(p.text) for p in elsewhere])]
    listed = document_blocks(proc)
    blocks += [paragraph("Hồ sơ theo Cổng gồm:")] + listed if listed else [paragraph("Cổng chưa ghi thành phần hồ sơ.")]
    return NO, blocks


def _channel(proc: Procedure, channel: str, label: str) -> Found:
    if not proc.channels:
        return _undecided("Cổng Dịch vụ công chưa ghi hình thức nộp hồ sơ của thủ tục này.")
    rows = _rows(proc, channel)
    others = [n for n in (ONLINE, POST, IN_PERSON) if n != channel and _rows(proc, n)]
    if rows:
        blocks: list[Block] = [paragraph(f"Dạ có, theo Cổng Dịch vụ công, thủ tục này nộp {label} được:"),
                               _row_bullets(rows)]
        said = [p for p in passages(proc)
                if p.kind is not PassageKind.CHANNEL and _CHANNEL_WORDS[channel].search(p.text)]
        if said:
            blocks += [paragraph("Cổng hướng dẫn:"), Bullets(items=[_quote(p.text) for p in said[:2]])]
        if channel == ONLINE and proc.url:
            blocks.append(paragraph(f"Anh/chị nộp tại: {proc.url}"))
        return YES, blocks
    text = f"Dạ không, theo Cổng Dịch vụ công, thủ tục này chưa nhận hồ sơ {label}"
    text += f"; anh/chị có thể nộp {channel_phrase(others)}." if others else "."
    return NO, [paragraph(text), _row_bullets(proc.channels)]


def fee_kind(text: str | None) -> str | None:
    """"free", "paid" or None (not said) for one fee text."""
    if not text or not text.strip():
        return None
    if _AMOUNT.search(text):
        return "paid"
    if _FREE.search(text):
        return "free"
    return None


def _fee(proc: Procedure, q: DetailQuestion) -> Found:
    kinds = [(fee_kind(r.fee), r) for r in proc.channels]
    known = [(k, r) for k, r in kinds if k]
    if not known:
        return _undecided("Cổng Dịch vụ công không ghi rõ phí, lệ phí của thủ tục này.")
    paid = [r for k, r in known if k == "paid"]
    if not paid:
        verdict = YES if q.free_asked else NO
        opening = ("Dạ có, " if q.free_asked else "Dạ không mất phí: ") + \
            "theo Cổng Dịch vụ công, thủ tục này miễn phí:"
    elif len(paid) == len(known):
        verdict = NO if q.free_asked else YES
        opening = ("Dạ không miễn phí. " if q.free_asked else "Dạ có. ") + "Phí, lệ phí theo Cổng Dịch vụ công:"
    else:
        verdict = NO if q.free_asked else YES
        opening = ("Dạ, tùy hình thức nộp: " if q.free_asked else "Dạ có, tùy hình thức nộp: ") + \
            "có hình thức miễn phí, có hình thức thu phí, theo Cổng Dịch vụ công:"
    return verdict, [paragraph(opening), _row_bullets([r for _, r in known])]


def _in_person(proc: Procedure) -> Found:
    if not proc.channels:
        return _undecided("Cổng Dịch vụ công chưa ghi hình thức nộp hồ sơ của thủ tục này.")
    remote = _rows(proc, ONLINE) + _rows(proc, POST)
    presence = [p for p in passages(proc) if p.kind in (PassageKind.STEP, PassageKind.NOTE, PassageKind.CONDITION)
                and _PRESENCE.search(p.text)][:2]
    if remote and presence:
        blocks = [paragraph("Dạ, theo Cổng Dịch vụ công, thủ tục này có nhận hồ sơ không cần đến nơi:"),
                  _row_bullets(remote),
                  paragraph("nhưng Cổng cũng ghi:"), Bullets(items=[_quote(p.text) for p in presence]),
                  paragraph("Vì vậy em chưa thể nói chắc anh/chị có phải đến hay không. " + ASK_THE_DESK)]
        return UNDECIDED, blocks
    if remote:
        names = channel_phrase([r.channel for r in remote])
        blocks = [paragraph(f"Dạ không bắt buộc: theo Cổng Dịch vụ công, thủ tục này còn nhận hồ sơ {names}:"),
                  _row_bullets(remote)]
        return NO, blocks
    rows = _rows(proc, IN_PERSON)
    blocks = [paragraph("Dạ có, theo Cổng Dịch vụ công, thủ tục này chỉ nhận hồ sơ nộp trực tiếp:"), _row_bullets(rows)]
    return YES, blocks


def _proxy(proc: Procedure) -> Found:
    every = passages(proc)
    refused = [p for p in every if _NO_PROXY.search(p.text)]
    allowed = [p for p in every if _PROXY.search(p.text) and p not in refused]
    if refused and not allowed:
        blocks = [paragraph("Dạ không, theo Cổng Dịch vụ công:"), Bullets(items=[_quote(p.text) for p in refused[:2]])]
        return NO, blocks
    if allowed:
        allowed.sort(key=lambda p: p.kind is not PassageKind.DOCUMENT)
        top = allowed[:2]
        blocks = [paragraph("Dạ được, Cổng Dịch vụ công có nêu trường hợp ủy quyền, người đại diện:"),
                  Bullets(items=[_document_line(p) if p.kind is PassageKind.DOCUMENT else _quote(p.text)
                                 for p in top])]
        if refused:
            blocks += [paragraph("Tuy nhiên Cổng cũng ghi:"), Bullets(items=[_quote(refused[0].text)])]
            return UNDECIDED, blocks + [paragraph(ASK_THE_DESK)]
        return YES, blocks
    return _undecided("Cổng Dịch vụ công không nêu việc người khác nộp hồ sơ thay (ủy quyền) cho thủ tục này.")


def _other(proc: Procedure, q: DetailQuestion, idf: IdfFn) -> Found:
    found = _best(q, passages(proc), idf)
    if not found:
        return _undecided("Cổng Dịch vụ công không nêu rõ điều anh/chị hỏi cho thủ tục này.")
    top = [p for _, p in found[:2]]
    blocks = [paragraph("Dạ, Cổng Dịch vụ công không trả lời trực tiếp có hay không; phần liên quan trên Cổng ghi:"),
              Bullets(items=[_quote(p.text) for p in top]), paragraph(ASK_THE_DESK)]
    return UNDECIDED, blocks


def _undecided(why: str) -> Found:
    return UNDECIDED, [paragraph(f"Dạ, {why[0].lower()}{why[1:]} {ASK_THE_DESK}")]


def answer_detail(proc: Procedure, question: DetailQuestion, idf: IdfFn) -> DetailAnswer:
    """The verdict and the reply for a yes/no question about one detail of `proc`."""
    if question.kind is DetailKind.ONLINE:
        verdict, blocks = _channel(proc, ONLINE, "trực tuyến")
    elif question.kind is DetailKind.POST:
        verdict, blocks = _channel(proc, POST, "qua bưu chính")
    elif question.kind is DetailKind.FEE:
        verdict, blocks = _fee(proc, question)
    elif question.kind is DetailKind.IN_PERSON:
        verdict, blocks = _in_person(proc)
    elif question.kind is DetailKind.PROXY:
        verdict, blocks = _proxy(proc)
    elif question.kind is DetailKind.DOCUMENT:
        verdict, blocks = _document(proc, question, idf)
    else:
        verdict, blocks = _other(proc, question, idf)
    return DetailAnswer(verdict, procedure_content(proc, blocks))
