"""Near-identical procedures ("variants"): same name modulo level, foreign element, cấp mới/lại/đổi.

`VariantIndex` groups the catalogue once; `prefer` reorders search hits so that, among close
variants of one group, the one matching what the citizen said wins, and otherwise the
citizen-facing default: cấp xã before cấp tỉnh before trung ương, not-foreign, plain "cấp".
Also read here: the operation a name starts with ("cấp lại", "xóa"...) and the one a question hints
at, and age limits in names against the age a question is about.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from knowledge_base.catalogue.models import Procedure
from knowledge_base.text import fold, nfc, squash_spaces

LEVEL_XA, LEVEL_TINH, LEVEL_BO, LEVEL_OTHER = 0, 1, 2, 3

_LEVEL_WORDS = [
    (re.compile(r"\bcap (xa|huyen)\b|\bcong an (cap )?(xa|huyen)\b|\bubnd (cap )?(xa|huyen)\b"), LEVEL_XA),
    (re.compile(r"\bcap tinh\b|\bcong an (cap )?tinh\b|\bphong quan ly xuat nhap canh\b"), LEVEL_TINH),
    (re.compile(r"\bcap (trung uong|bo)\b|\btrung uong\b|\bcuc quan ly xuat nhap canh\b|\bbo cong an\b"), LEVEL_BO),
]
_LEVEL_FIELD = {"cap xa": LEVEL_XA, "cap tinh": LEVEL_TINH, "cap bo": LEVEL_BO, "co quan khac": LEVEL_OTHER}

# Pieces removed from a folded name to get its group key.
_STRIP = [
    re.compile(r"\((?:[^()]*\b(?:cap|trung uong|thuc hien)\b[^()]*)\)"),          # "(thực hiện tại cấp tỉnh)"
    re.compile(r"\b(?:duoc )?thuc hien (?:tai|o) (?:cap )?(?:xa|huyen|tinh|trung uong|bo)\b.*$"),
    re.compile(r"\btai (?:cong an|ubnd|uy ban nhan dan) (?:cap )?(?:xa|huyen|tinh)\b.*$"),
    re.compile(r"\btai cuc quan ly xuat nhap canh\b.*$|\btai phong quan ly xuat nhap canh\b.*$"),
    re.compile(r"\bco yeu to nuoc ngoai\b"),
    re.compile(r"^\W*thu tuc\b:?"),
]
_ACTION = re.compile(r"^(cap moi|cap lai|cap doi|cap|doi)\b")
_FOREIGN = re.compile(r"\bco yeu to nuoc ngoai\b")


@dataclass(frozen=True)
class VariantInfo:
    group: str          # group key shared by variants
    level: int          # most citizen-facing level the procedure is carried out at
    foreign: bool       # "có yếu tố nước ngoài"
    action: str         # "new" | "again" (cấp lại) | "exchange" (cấp đổi / đổi) | ""


def _level_of(proc: Procedure, folded_name: str) -> int:
    for pattern, level in _LEVEL_WORDS:
        if pattern.search(folded_name):
            return level
    ranks = [_LEVEL_FIELD.get(fold(lv).strip(), LEVEL_OTHER) for lv in proc.levels]
    return min(ranks) if ranks else LEVEL_OTHER


def variant_info(proc: Procedure) -> VariantInfo:
    name = squash_spaces(re.sub(r"[^0-9a-z()%/ ]+", " ", fold(proc.name)))
    key = name
    for pattern in _STRIP:
        key = pattern.sub(" ", key)
    key = squash_spaces(key)
    action = ""
    m = _ACTION.match(key)
    if m:
        word = m.group(1)
        action = {"cap lai": "again", "cap doi": "exchange", "doi": "exchange"}.get(word, "new")
        key = "cap" + key[m.end():]
    return VariantInfo(group=squash_spaces(key), level=_level_of(proc, name),
                       foreign=bool(_FOREIGN.search(name)), action=action)


_BUSINESS_CUE = re.compile(r"\b(công ty|doanh nghiệp|tổ chức|hợp tác xã|ngân hàng|chi nhánh|nhà đầu tư|cơ sở|đơn vị|"
                           r"trung tâm|văn phòng|nhà thầu|startup|hãng|xưởng|nhà máy|dự án|quỹ)\b")


@dataclass(frozen=True)
class QueryCues:
    """What the citizen said about the variant dimensions and about who and what the procedure is for;
    read once per query."""
    level: int | None
    foreign: bool
    action: str | None
    operations: frozenset[str] = frozenset()   # operations hinted at ("làm lại", "gia hạn"...)
    age: int | None = None                     # the age the question is about (stated or assumed)
    age_stated: bool = False                   # ... said in the question, not the adult default
    business: bool = False                     # the question is about a company, organisation...

    @classmethod
    def from_text(cls, text: str, whole: str | None = None) -> "QueryCues":
        """Cues from the understood query (lower-case, diacritics restored, aspect words removed);
        the age is read from `whole` (the whole restored question) when given."""
        level = None
        if re.search(r"\b(xã|phường|thị trấn|huyện|quận)\b", text):
            level = LEVEL_XA
        elif re.search(r"\btỉnh\b", text):
            level = LEVEL_TINH
        elif re.search(r"\btrung ương\b|\bbộ công an\b|\bcấp bộ\b|\bcục\b", text):
            level = LEVEL_BO
        foreign = bool(re.search(r"\bnước ngoài\b|\bngoại quốc\b|\bviệt kiều\b|\bngoại kiều\b", text))
        action = None
        if re.search(r"\b(lại|mất|hỏng|rách|thất lạc|hư)\b", text):
            action = "again"
        elif re.search(r"\b(đổi|hết hạn)\b", text):
            action = "exchange"
        whole = text if whole is None else whole
        age = query_age(whole)
        return cls(level, foreign, action, query_operations(text), age if age is not None else assumed_age(whole),
                   age is not None, bool(_BUSINESS_CUE.search(text)))


class VariantIndex:
    def __init__(self, procedures: Sequence[Procedure]):
        self.info: dict[str, VariantInfo] = {p.code: variant_info(p) for p in procedures}
        self.members: dict[str, list[str]] = {}
        for code, info in self.info.items():
            self.members.setdefault(info.group, []).append(code)

    def group_of(self, code: str) -> str:
        return self.info[code].group

    def siblings(self, code: str) -> list[str]:
        return self.members.get(self.info[code].group, [code])

    def preference(self, code: str, cues: QueryCues) -> tuple[int, int, int]:
        """Lower is better: action match, foreign match, level match/citizen-facing default."""
        info = self.info[code]
        wanted_action = cues.action or "new"
        action_rank = 0 if info.action == wanted_action or (wanted_action == "new" and info.action == "") else 1
        foreign_rank = 0 if info.foreign == cues.foreign else 1
        if cues.level is not None:
            level_rank = 0 if info.level == cues.level else 1 + info.level
        else:
            level_rank = info.level
        return action_rank, foreign_rank, level_rank

    def prefer(self, ranked: list[tuple[str, float]], cues: QueryCues, closeness: float = 0.9) -> list[tuple[str, float]]:
        """Reorder hits: the top hit's close-scoring variants compete on `preference`.

        Only members of the top hit's group scoring >= closeness * top score move; the chosen one
        takes the first place and inherits the top score (others keep their order)."""
        if len(ranked) < 2:
            return ranked
        top_code, top_score = ranked[0]
        group = self.info[top_code].group
        close = [(c, s) for c, s in ranked if self.info[c].group == group and s >= closeness * top_score]
        if len(close) < 2:
            return ranked
        best = min(close, key=lambda cs: (self.preference(cs[0], cues), -cs[1]))
        if best[0] == top_code:
            return ranked
        rest = [(c, s) for c, s in ranked if c != best[0]]
        return [(best[0], top_score)] + rest


# ---------------------------------------------------------------------- operations
# What a procedure does to its object, read from the head of its name. A procedure whose name
# starts with an operation the citizen never hinted at ("Cấp lại ..." when they ask how to get a
# first card) is demoted. Each operation: (name patterns, query cues), lower-case WITH diacritics:
# folded matching confuses "dựng" (xây dựng) with "dừng" (stop) and "đối với" with "đổi" (exchange).
_OPERATIONS: dict[str, tuple[list[str], list[str]]] = {
    "again": (["cấp lại", "đăng ký lại", "cấp, cấp lại"],
              ["lại", "mất", "hỏng", "rách", "thất lạc", "cháy", "bị mất", "cấp lại"]),
    "exchange": (["cấp đổi", "đổi"], ["đổi", "hết hạn", "cấp đổi", "sai", "chuyển sang", "hư"]),
    "extend": (["gia hạn"], ["gia hạn", "hết hạn", "kéo dài", "thêm"]),
    "adjust": (["điều chỉnh", "sửa đổi", "thay đổi", "hiệu đính", "cập nhật", "đính chính", "bổ sung"],
               ["điều chỉnh", "sửa", "thay đổi", "đổi", "bổ sung", "cập nhật", "sai", "chuyển", "thêm", "thay"]),
    "delete": (["xóa", "xoá"], ["xóa", "xoá", "cắt", "hủy", "huỷ", "bỏ", "chuyển đi"]),
    "revoke": (["thu hồi", "trả lại", "hủy", "huỷ"], ["thu hồi", "trả lại", "nộp lại", "hủy", "huỷ", "bán", "rút"]),
    "stop": (["chấm dứt", "tạm ngừng", "tạm dừng", "giải thể", "dừng thực hiện", "thôi"],
             ["chấm dứt", "ngừng", "dừng", "nghỉ", "đóng", "giải thể", "thôi", "bỏ", "kết thúc"]),
    "restore": (["khôi phục", "trở lại"], ["khôi phục", "tìm thấy", "dùng lại", "lấy lại", "trở lại", "lại"]),
    "repair": (["sửa chữa cải tạo", "sửa chữa"], ["sửa", "cải tạo", "nâng", "nới thêm", "cơi nới"]),
    "convert": (["chuyển đổi"], ["chuyển đổi", "chuyển"]),
    "report_loss": (["trình báo mất"], ["mất", "trình báo", "báo mất", "thất lạc"]),
    "mobile": (["đăng ký khai sinh lưu động", "đăng ký khai tử lưu động", "đăng ký kết hôn lưu động"],
               ["lưu động", "tại nhà", "đến nhà"]),
}


def _compile(phrases: list[str]) -> re.Pattern:
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")


_OP_NAME = {op: _compile(names) for op, (names, _) in _OPERATIONS.items()}
_OP_CUE = {op: _compile(cues) for op, (_, cues) in _OPERATIONS.items()}


def _words(text: str) -> str:
    return squash_spaces(re.sub(r"[^\w,]+", " ", nfc(text).lower()).replace("_", " "))


def name_operations(name: str) -> frozenset[str]:
    """Operations named at the head of a procedure name ("Cấp lại thẻ căn cước" -> {"again"})."""
    head = re.sub(r"^thủ tục\s+", "", _words(name))
    head = " ".join(head.split()[:8])
    ops = {op for op, pat in _OP_NAME.items() if pat.search(head)}
    if head.startswith("cấp, cấp lại"):      # "Cấp, cấp lại ...": first issue as well
        ops.discard("again")
    return frozenset(ops)


def query_operations(query: str) -> frozenset[str]:
    """Operations the citizen hints at (understood query with diacritics, expansions included)."""
    text = _words(query)
    return frozenset(op for op, pat in _OP_CUE.items() if pat.search(text))


# ---------------------------------------------------------------------- ages
# Age limits written in names ("cho người dưới 14 tuổi", "từ đủ 14 tuổi trở lên") and ages in questions.
_AGE_UNDER = re.compile(r"\bdưới (\d{1,3}) tuổi\b", re.IGNORECASE)
_AGE_FROM = re.compile(r"\btừ (?:đủ )?(\d{1,3}) tuổi trở lên\b", re.IGNORECASE)
_QUERY_AGE = re.compile(r"\b(\d{1,3}) tuổi\b")
# Nobody in the question could be a minor: the citizen asks for themselves, an adult.
_MAYBE_MINOR = re.compile(r"\b(?:con|cháu|bé|trẻ|học sinh|sinh viên|thiếu niên|vị thành niên)\b")
ADULT_AGE = 30
_SMALL_CHILD = re.compile(r"\b(?:em bé|trẻ em|trẻ nhỏ|con nhỏ|sơ sinh|mới sinh|cháu bé|bé)\b")


def age_range(name: str) -> tuple[int, int] | None:
    """The ages a procedure is for, when its name says so."""
    if m := _AGE_UNDER.search(name):
        return 0, int(m.group(1)) - 1
    if m := _AGE_FROM.search(name):
        return int(m.group(1)), 200
    return None


def query_age(text: str) -> int | None:
    """The age a question is about: "bé nhà tôi 5 tuổi" -> 5; "làm căn cước cho bé" -> a small child."""
    if m := _QUERY_AGE.search(text):
        return int(m.group(1))
    return 3 if _SMALL_CHILD.search(text) else None


def assumed_age(text: str) -> int | None:
    """The adult default when the question mentions nobody who could be a minor ("làm căn cước lần đầu")."""
    return None if _MAYBE_MINOR.search(text) else ADULT_AGE
