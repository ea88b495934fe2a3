"""What is asked about a procedure (documents, fee, duration...) and which words only say that.

Aspect words decide what to answer, not which procedure: `strip_aspect_words` removes them,
together with conversational filler, before retrieval. Both functions accept raw citizen text
(with or without diacritics, with chat abbreviations).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence

from knowledge_base.search.aliases import PhraseMatcher, fold, normalize, syllables
from knowledge_base.types import Aspect

# Phrases per aspect, written with diacritics; unaccented input matches them on folded form.
# Order matters only for ties at the same position: earlier aspects win.
_ASPECT_PHRASES: dict[Aspect, list[str]] = {
    Aspect.FEE: [
        "lệ phí", "phí", "chi phí", "bao nhiêu tiền", "mất bao nhiêu tiền", "tốn bao nhiêu", "hết bao nhiêu",
        "mất tiền", "tốn tiền", "mất phí", "tốn phí", "có mất tiền không", "có mất phí không", "miễn phí",
        "tiền lệ phí", "phải trả bao nhiêu", "trả bao nhiêu", "nộp bao nhiêu", "giá bao nhiêu", "bao nhiêu đồng",
        "đóng bao nhiêu", "đóng tiền", "phải đóng tiền", "nộp tiền", "mất bao nhiêu", "mất khoảng bao nhiêu",
        "có mất tiền", "có mất phí",
    ],
    Aspect.DURATION: [
        "bao lâu", "mất bao lâu", "trong bao lâu", "bao nhiêu ngày", "mấy ngày", "mấy hôm", "mấy tuần",
        "mấy tháng", "thời gian", "thời hạn giải quyết", "thời gian giải quyết", "khi nào có", "khi nào nhận",
        "khi nào xong", "khi nào được", "bao giờ có", "bao giờ xong", "bao giờ nhận", "bao giờ được",
        "lâu không", "có lâu không", "nhanh không", "bao nhiêu lâu", "mất mấy ngày", "trong mấy ngày",
        "mất bao nhiêu ngày", "mất bao nhiêu thời gian", "mất thời gian", "mất mấy tuần", "mất mấy tháng",
        "mất mấy hôm", "mất khoảng bao lâu", "mất bao nhiêu lâu", "mất nhiều thời gian",
    ],
    Aspect.DOCUMENTS: [
        "giấy tờ", "giấy tờ gì", "hồ sơ", "hồ sơ gồm", "hồ sơ gồm những gì", "thành phần hồ sơ",
        "cần những gì", "cần gì", "cần chuẩn bị", "chuẩn bị gì", "chuẩn bị những gì", "mang theo",
        "mang gì", "mang những gì", "cần mang", "nộp những gì", "nộp gì", "giấy gì", "những giấy gì",
        "tờ khai", "mẫu đơn", "đơn gì", "cần những giấy", "cần có gì", "cần giấy",
    ],
    Aspect.WHERE: [
        "ở đâu", "chỗ nào", "nơi nào", "cơ quan nào", "đến đâu", "tới đâu", "nộp ở đâu", "làm ở đâu",
        "nộp đâu", "làm đâu", "địa chỉ", "nơi nộp", "nơi tiếp nhận", "nơi làm", "chỗ làm", "chỗ nộp",
        "ai giải quyết", "cơ quan giải quyết", "cơ quan thực hiện", "đi đâu", "lên đâu", "ra đâu",
        "xã hay huyện", "xã hay tỉnh", "phường hay quận", "nộp cho ai", "phường nào", "xã nào", "quận nào",
        "huyện nào", "tỉnh nào", "ra đâu", "về đâu", "ở phường hay", "ở xã hay", "chỗ đang ở",
    ],
    Aspect.ONLINE: [
        "online", "trực tuyến", "qua mạng", "trên mạng", "dịch vụ công", "cổng dịch vụ công",
        "qua bưu điện", "bưu điện", "bưu chính", "nộp qua mạng", "từ xa", "không cần đến", "qua internet",
        "qua app", "trên app", "qua điện thoại", "tại nhà", "vneid", "qua vneid", "trên vneid", "ứng dụng",
    ],
    Aspect.CONDITIONS: [
        "điều kiện", "điều kiện gì", "yêu cầu gì", "tiêu chuẩn", "cần đáp ứng", "đáp ứng",
        "điều kiện để", "có yêu cầu gì", "cần điều kiện gì", "đủ tuổi", "trường hợp nào",
    ],
    Aspect.LEGAL_BASIS: [
        "căn cứ pháp lý", "căn cứ", "cơ sở pháp lý", "pháp lý", "văn bản pháp luật", "văn bản nào",
        "luật nào", "nghị định nào", "thông tư nào", "quy định ở đâu", "quy định nào", "theo quy định nào",
        "theo luật nào", "văn bản quy định", "quy định pháp luật", "điều luật",
    ],
    Aspect.RESULT: [
        "nhận được gì", "nhận được cái gì", "nhận được giấy gì", "kết quả", "được cấp gì", "được cấp giấy gì",
        "sẽ nhận", "được nhận gì", "nhận lại gì", "cấp cho giấy gì", "trả kết quả",
    ],
    Aspect.APPLICANTS: [
        "ai được", "ai có thể", "ai phải", "ai cần", "ai có quyền", "ai làm được", "ai được phép",
        "đối tượng", "đối tượng nào", "những ai", "người nào được", "ai là người", "ai đi làm", "ai đứng",
    ],
    Aspect.STEPS: [
        "các bước", "từng bước", "mấy bước", "trình tự", "quy trình", "cách làm", "cách thức", "cách thực hiện",
        "làm thế nào", "làm sao", "làm như thế nào", "như thế nào", "thế nào", "ra sao", "hướng dẫn",
        "bắt đầu từ đâu", "làm gì trước", "thủ tục ra sao", "các bước thực hiện", "làm thủ tục gì",
        "thủ tục gì", "phải làm gì", "cần làm gì", "làm gì để", "làm những gì", "phải làm những gì",
    ],
}

# Conversational filler and question words: never decide the procedure.
_FILLER = [
    "cho em hỏi", "cho tôi hỏi", "cho mình hỏi", "cho cháu hỏi", "cho hỏi", "xin hỏi", "em muốn hỏi",
    "tôi muốn hỏi", "mình muốn hỏi", "hỏi", "hỏi chút", "hỏi xíu", "hỏi về", "cho em", "cho tôi", "cho mình",
    "em", "tôi", "mình", "cháu", "anh chị", "anh", "chị", "bạn", "ad", "admin", "ạ", "ơi", "nhé", "nha",
    "nhỉ", "vậy", "thế", "thì", "là", "muốn", "cần phải", "phải", "cần", "đi", "giúp", "với", "gì", "nào",
    "không", "có không", "hay không", "được không", "hả", "à", "ừ", "dạ", "vâng", "mọi người", "người ta",
    "thủ tục", "thủ tục hành chính", "làm thủ tục", "làm", "đi làm", "xin", "rồi", "bây giờ", "giờ",
    "gồm", "những", "các", "và", "hoặc", "hay", "nữa", "còn", "thì sao", "tại sao", "sao vậy", "vì sao", "nhưng",
    "mà", "để",
    "có", "bị", "lúc", "đã", "sẽ", "đang", "nay", "hiện nay", "hiện tại", "vừa", "được không", "có được không",
    "biết", "muốn biết", "hướng dẫn giúp", "giúp em", "giúp tôi", "giúp mình", "ơi cho", "nhờ",
    "xin chào", "chào", "chào bạn", "chào em", "hello", "hi", "alo", "cảm ơn", "cám ơn", "thanks", "ok",
    "dùm", "giùm", "với ạ", "được", "nhiêu", "bao nhiêu", "ai", "đâu", "cái", "việc", "về", "như nào",
]

# Yes/no questions about permission or obligation ("có phải ... không", "... được không") ask about
# conditions when nothing more specific is asked; the strong ones also beat a deadline question.
_YES_NO = ["có phải", "phải không", "được không", "có được", "có cần", "cần phải", "hay không", "được phép",
           "được miễn", "có bắt buộc", "bắt buộc", "bị phạt", "có bị phạt", "tối thiểu", "đủ điều kiện"]
_STRONG_CONDITIONS = {("bắt", "buộc"), ("bị", "phạt"), ("tối", "thiểu")}

STEM_ASPECT_WORDS = frozenset(
    tok for phrases in _ASPECT_PHRASES.values() for p in phrases for tok in syllables(p)
)


@lru_cache(maxsize=1)
def _aspect_matcher() -> PhraseMatcher:
    return PhraseMatcher(
        (tuple(syllables(p)), aspect) for aspect, phrases in _ASPECT_PHRASES.items() for p in phrases
    )


@lru_cache(maxsize=1)
def _yes_no_matcher() -> PhraseMatcher:
    return PhraseMatcher((tuple(syllables(p)), "yes_no") for p in _YES_NO)


@lru_cache(maxsize=1)
def _filler_matcher() -> PhraseMatcher:
    return PhraseMatcher((tuple(syllables(p)), "filler") for p in _FILLER)


def filler_matcher() -> PhraseMatcher:
    """Matcher of conversational filler phrases (shared with the search engine)."""
    return _filler_matcher()


def vocabulary_phrases() -> list[str]:
    """Every aspect and filler phrase (training text for diacritic restoration)."""
    return [p for ps in _ASPECT_PHRASES.values() for p in ps] + list(_FILLER) + list(_YES_NO)


def _aspect_order(aspect: Aspect) -> int:
    return list(_ASPECT_PHRASES).index(aspect)


def detect_aspects_tokens(tokens: Sequence[str], exact: bool = False, limit: int = 2) -> list[Aspect]:
    """The aspects asked about, the main one first ("làm lại ở đâu, cần gì" -> [WHERE, DOCUMENTS]).
    exact: tokens carry their final diacritics (restored), match phrases exactly."""
    found = [(aspect, end - start, start) for start, end, aspect in _aspect_matcher().find_all(tokens, exact)]
    yes_no = _yes_no_matcher().find_all(tokens, exact)
    strong = any(tuple(tokens[s:e]) in _STRONG_CONDITIONS for s, e, _ in yes_no) if exact else \
        any(tuple(fold(t) for t in tokens[s:e]) in {tuple(fold(x) for x in p) for p in _STRONG_CONDITIONS}
            for s, e, _ in yes_no)
    # Specific aspects beat a yes/no question, which beats STEPS' generic "như thế nào";
    # otherwise the first mention wins. Further specific aspects follow in the order asked.
    specific = [f for f in found if f[0] != Aspect.STEPS]
    if strong and all(f[0] == Aspect.DURATION for f in specific):
        return [Aspect.CONDITIONS]
    if not specific and yes_no:
        return [Aspect.CONDITIONS]
    if not found:
        return [Aspect.OVERVIEW]
    pool = specific or found
    pool.sort(key=lambda f: (_aspect_order(f[0]) if f[0] in (Aspect.FEE, Aspect.DURATION) else 99, f[2]))
    aspects = [pool[0][0]]
    for aspect, _, _ in sorted(specific, key=lambda f: f[2]):
        if aspect not in aspects and len(aspects) < limit:
            aspects.append(aspect)
    return aspects  # type: ignore[return-value]


def detect_aspect_tokens(tokens: Sequence[str], exact: bool = False) -> Aspect:
    """The main aspect asked about; OVERVIEW when nothing specific is asked."""
    return detect_aspects_tokens(tokens, exact, limit=1)[0]


def detect_aspect(text: str) -> Aspect:
    """The aspect asked about; OVERVIEW when nothing specific is asked."""
    return detect_aspect_tokens(normalize(text))


KeepFn = Callable[[Sequence[str], int, int], bool]


CONTENT, ASPECT_WORD, FILLER, PROTECTED = 0, 1, 2, 3


def token_status(tokens: Sequence[str], keep: KeepFn | None = None, exact: bool = False) -> list[int]:
    """Per token: CONTENT, ASPECT_WORD, FILLER, or PROTECTED (an aspect phrase kept because
    `keep(tokens, start, end)` says it belongs to a procedure name: "lệ phí trước bạ", "đủ điều kiện")."""
    n_tok = len(tokens)
    status = [CONTENT] * n_tok
    aspect_m, filler_m = _aspect_matcher(), _filler_matcher()
    # Every aspect phrase at every position (overlaps allowed: "cần giấy" + "giấy tờ gì"),
    # except phrases inside a longer one ("phí" inside "lệ phí").
    covered_until = 0
    for i in range(n_tok):
        hit = aspect_m.match_at(tokens, i, exact)
        if hit is None:
            continue
        n = hit[0]
        if i + n <= covered_until:
            continue
        covered_until = i + n
        mark = PROTECTED if keep is not None and keep(tokens, i, i + n) else ASPECT_WORD
        for k in range(i, i + n):
            if status[k] != PROTECTED:
                status[k] = mark
    i = 0
    while i < n_tok:
        if status[i] != CONTENT:
            i += 1
            continue
        hit = filler_m.match_at(tokens, i, exact)
        if hit is not None and all(s == CONTENT for s in status[i:i + hit[0]]):
            for k in range(i, i + hit[0]):
                status[k] = FILLER
            i += hit[0]
            continue
        i += 1
    return status


def strip_tokens(tokens: Sequence[str], keep: KeepFn | None = None) -> tuple[list[str], list[str]]:
    """(content tokens, removed aspect tokens)."""
    status = token_status(tokens, keep)
    content = [t for t, s in zip(tokens, status) if s in (CONTENT, PROTECTED)]
    removed = [t for t, s in zip(tokens, status) if s == ASPECT_WORD]
    return content, removed


def strip_aspect_words(text: str, keep: KeepFn | None = None) -> str:
    """The text without aspect words and conversational filler."""
    return " ".join(strip_tokens(normalize(text), keep)[0])
