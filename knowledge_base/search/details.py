"""Yes/no questions about one detail of a procedure: "có cần ảnh thẻ không", "nộp online được không", "có mất phí
không", "người khác nộp thay được không", "có phải đến trực tiếp không".

`read_detail` reads what is asked (the kind of detail and the words naming its object) from an analysed question;
`answers/details.py` decides the verdict from the procedure's record. A question is a yes/no question when it is
framed as one ("có … không", "… được không", "có phải …", "có cần …", "bắt buộc") and asks no wh-word ("bao nhiêu",
"ở đâu", "gì", "nào", "bao lâu", "thế nào").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Sequence

from knowledge_base.search.aliases import PhraseMatcher
from knowledge_base.search.aspects import FILLER
from knowledge_base.search.query import Analysis
from knowledge_base.text import fold


class DetailKind(str, Enum):
    DOCUMENT = "document"      # is this paper (or an original, a certified copy) needed?
    ONLINE = "online"          # can it be submitted online?
    POST = "post"              # ... by post?
    FEE = "fee"                # does it cost money? is it free?
    IN_PERSON = "in_person"    # must I come in person?
    PROXY = "proxy"            # can someone else do it for me?
    OTHER = "other"            # anything else: answered only by quoting the record


@dataclass
class DetailQuestion:
    kind: DetailKind
    words: list[str]                                   # folded words naming the object ("anh", "the")
    phrase: str                                        # the object as the citizen wrote it, restored ("ảnh thẻ")
    free_asked: bool = False                           # "có miễn phí không": yes means free
    alternatives: list[list[str]] = field(default_factory=list)   # alias expansions of the object, folded


def _matcher(*groups: tuple[object, str]) -> PhraseMatcher:
    """Comma-separated phrases, lower-case with diacritics, each labelled with its group's label; matched exactly on
    the restored question, or on folded words with `exact=False`."""
    return PhraseMatcher((tuple(p.lower().split()), label) for label, text in groups for p in text.split(","))


# Framing of a yes/no question. "không" must come late in the message ("có … không"), not in "không phải lần đầu".
_YES_NO_HEADS = _matcher((True, "có phải, có cần, có bắt buộc, bắt buộc, có được, có thể, phải không, được không, "
                                "hay không, có mất, có cần phải, cần phải có, có phải có, liệu có, có buộc"))
_WH_WORDS = _matcher((True, "bao nhiêu, bao lâu, ở đâu, gì, nào, thế nào, như nào, ra sao, khi nào, bao giờ, mấy, "
                            "chỗ nào, đâu, tại sao, vì sao, thì sao, làm sao"))
_TRAILING = set("không ạ à vậy nhỉ nhé nha thế chứ chưa nữa hả".split())
_NEGATIVE_END = {"không", "chưa"}

# What the detail is, by cue phrases; when several kinds are cued, the first kind listed wins.
_KIND_ORDER = [DetailKind.PROXY, DetailKind.POST, DetailKind.ONLINE, DetailKind.IN_PERSON, DetailKind.FEE]
_CUES = _matcher(
    (DetailKind.PROXY, "người khác, làm thay, nộp thay, làm hộ, nộp hộ, đi hộ, đi thay, làm giùm, nộp giùm, làm dùm, "
                       "nhờ, ủy quyền, uỷ quyền, người nhà, thay mặt, người đại diện, đứng tên thay, "
                       "không cần có mặt, đi làm thay, lấy hộ, nhận hộ, nhận thay"),
    (DetailKind.POST, "bưu điện, bưu chính, chuyển phát, gửi thư, gửi qua đường"),
    (DetailKind.ONLINE, "online, trực tuyến, qua mạng, trên mạng, dịch vụ công, dvc, vneid, qua app, trên app, "
                        "internet, tại nhà, ở nhà, qua điện thoại, cổng dịch vụ"),
    (DetailKind.IN_PERSON, "trực tiếp, có mặt, đến tận nơi, phải đến, phải lên, phải ra, tự đi, tự đến, đích thân, "
                           "phải đi, đến nộp, lên nộp, ra nộp"),
    (DetailKind.FEE, "phí, lệ phí, mất tiền, tốn tiền, mất phí, miễn phí, đóng tiền, trả tiền, nộp tiền, mất đồng nào, "
                     "tốn phí"))
# Words that only frame the question or say "hand in": never the object asked about.
_FRAME = set(("có cần phải không được mang nộp kèm theo làm đem xuất trình chuẩn bị thêm nữa cả luôn bắt buộc "
              "buộc thì là với vào lúc khi đi đến khác hay hoặc cũng mới những các một liệu thể nếu rồi chứ chưa "
              "đã sẽ ạ qua bằng").split())
# General words for papers: not the paper asked about.
_FRAME_PHRASES = _matcher((True, "giấy tờ, hồ sơ, thủ tục, tài liệu"))
# A document's kind or form: the object is a paper when it has one of these.
_DOCUMENT_WORDS = _matcher((True, "giấy, ảnh, hình, sổ, bản, đơn, tờ, thẻ, chứng nhận, chứng minh, căn cước, hộ chiếu, "
                                  "hợp đồng, văn bản, biên lai, hóa đơn, phiếu, bằng, quyết định, xác nhận, trích lục, "
                                  "photo, công chứng, chứng thực, bản sao, bản chính, sơ yếu, lý lịch, cmnd, cccd, "
                                  "khai sinh, đăng ký, hộ khẩu, tạm trú, giấy phép, chứng chỉ, văn bằng, sao y"))
_DOCUMENT_VERBS = set("mang nộp kèm đem xuất trình chuẩn bị photo".split())
_FREE = _matcher((True, "miễn phí"))


def _everywhere(matcher: PhraseMatcher, tokens: Sequence[str]) -> list[tuple[int, int, object]]:
    """The longest phrase starting at each position, overlaps included ("phải đi thay": "phải đi" and "đi thay")."""
    return [(i, i + hit[0], hit[1]) for i in range(len(tokens))
            if (hit := matcher.match_at(tokens, i, exact=True)) is not None]


def is_yes_no(tokens: Sequence[str]) -> bool:
    """Framed as a yes/no question and asking no wh-word (restored tokens)."""
    if _WH_WORDS.find_all(tokens, exact=True):
        return False
    if _YES_NO_HEADS.find_all(tokens, exact=True):
        return True
    tail = [t for t in tokens if t not in _TRAILING - _NEGATIVE_END]
    return bool(tail) and tail[-1] in _NEGATIVE_END and len(tokens) >= 3


def read_detail(analysis: Analysis) -> DetailQuestion | None:
    """The detail a yes/no question asks about, or None when the message is not such a question."""
    tokens = analysis.restored
    if not is_yes_no(tokens):
        return None
    cues = _everywhere(_CUES, tokens)
    kind = min((label for _, _, label in cues), key=_KIND_ORDER.index, default=DetailKind.OTHER)
    spans = cues + _everywhere(_FRAME_PHRASES, tokens)
    cue_span = {i for start, end, _ in spans for i in range(start, end)}
    object_idx = [i for i, status in enumerate(analysis.status) if status != FILLER and i not in cue_span
                  and tokens[i] not in _FRAME and tokens[i] not in _TRAILING]
    phrase = " ".join(tokens[i] for i in object_idx)
    if kind is DetailKind.OTHER and object_idx:
        if _DOCUMENT_WORDS.find_all([tokens[i] for i in object_idx], exact=True) or \
                any(t in _DOCUMENT_VERBS for t in tokens):
            kind = DetailKind.DOCUMENT
    words = [fold(tokens[i]) for i in object_idx]
    free_asked = bool(_FREE.find_all(tokens, exact=True))
    # An everyday name the alias lexicon explains ("sổ đỏ") is also looked for in the record's words.
    explained = bool(object_idx) and all(analysis.alias_mask[i] for i in object_idx)
    alternatives = [[fold(t) for t in e.split()] for e in analysis.expansions] if explained else []
    return DetailQuestion(kind, words, phrase, free_asked, alternatives)


def names_document(words: Sequence[str]) -> bool:
    """The (folded) words name a kind of paper ("anh the", "ban sao giay khai sinh"), not an action or a condition."""
    return bool(_DOCUMENT_WORDS.find_all(words))
