"""Parse one raw portal record (fused table cells, page chrome) into a typed `Procedure`.

The crawler flattened every HTML table into one string without separators, e.g.
`Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến1Miễn phíTrực tiếp1Miễn phí`.
Each parser below recovers the cells from the shapes observed across all 2,642 records;
see tests/knowledge_base/test_parse.py for real snippets of every shape handled.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from knowledge_base.catalogue.models import Channel, Document, LegalBasis, Procedure
from knowledge_base.text import nfc

MISSING = "Không có thông tin"

# Lower-case Latin letters incl. Vietnamese ones; a range like "à-ỹ" would also cover capitals (Đ, Ư, Ấ).
_LOWER = "".join(chr(c) for lo, hi in ((0x61, 0x7B), (0xDF, 0x250), (0x1E00, 0x1F00))
                 for c in range(lo, hi) if chr(c).islower())
_LOWER_CLASS = "[" + re.escape(_LOWER) + "]"

# ---------------------------------------------------------------- generic cleaning

# Word bullets (private-use area), odd spaces and tabs -> plain space; zero-width marks -> nothing.
_ODD_SPACE_RE = re.compile("[\ue000-\uf8ff\u00a0\u2002-\u2009\u3000\t]")
_ZERO_WIDTH_RE = re.compile("[\u200b-\u200f\ufeff]")
_SPACES_RE = re.compile(r" {2,}")
# Drop-down labels of the portal page glued after the last field.
_CHROME_RE = re.compile(r"Từ khóa(?=:|Không có thông tin|\s*$)|Chọn cơ quan thực hiện|Hệ thống chỉ hiển thị")
_NEWLINES_RE = re.compile(r" *\r?\n[ \r\n]*")


def clean_text(text: str | None) -> str | None:
    """NFC, normalise spaces, keep line breaks; None for empty or "Không có thông tin"."""
    if not text:
        return None
    text = _ZERO_WIDTH_RE.sub("", _ODD_SPACE_RE.sub(" ", nfc(text)))
    chrome = _CHROME_RE.search(text)
    if chrome:
        text = text[:chrome.start()]
    text = _NEWLINES_RE.sub("\n", _SPACES_RE.sub(" ", text)).strip()
    if not text or text.strip(" .-") == "" or text.rstrip(".") == MISSING:
        return None
    return text


def clean_inline(text: str | None) -> str | None:
    """Like clean_text but on one line."""
    cleaned = clean_text(text)
    return " ".join(cleaned.split()) if cleaned else None


# ---------------------------------------------------------------- channels

CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
CHANNEL_NAMES = ("Trực tuyến", "Dịch vụ bưu chính", "Trực tiếp")
TIME_UNITS = ("Ngày làm việc", "Ngày", "Giờ", "Tháng", "Năm", "Tuần", "Phút")

# A row starts with a channel name glued to its time cell (digit, "Không ..." or a known free-text
# time). Mentions inside descriptions ("Trực tiếp tại ...", "Trực tuyến: nộp ...") are not glued.
_ROW_START_RE = re.compile("(" + "|".join(CHANNEL_NAMES) + r")(?=\d|Không|Hệ thống)")
_TIME_RE = re.compile(r"(?P<value>\d+(?:[.,]\d+)?)\s?(?P<unit>" + "|".join(TIME_UNITS) + r")?")
_CURRENCIES = r"Việt Nam Đồng|VNĐ|USD|EUR|Đồng"
_FEE_HEAD_RE = re.compile(rf"Miễn phí|{MISSING}|(?P<amount>\d[\d.,]*)?\s?(?P<cur>{_CURRENCIES})")
_TIME_MISSING = (MISSING, "Không quy định", "Không")


def _split_rows(text: str) -> list[tuple[str, str]]:
    starts = list(_ROW_START_RE.finditer(text))
    rows = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        rows.append((match.group(1), text[match.end():end]))
    return rows


def _balanced_paren(text: str) -> int:
    """Index just after the bracket group opening text[0] == '(' (len(text) when unbalanced)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _format_amount(amount: str, currency: str) -> str:
    """"2,000,000 Việt Nam Đồng" -> "2.000.000 đồng". Amounts under 1.000 đồng keep the portal's
    "VNĐ" label: several are thousands ("20 VNĐ" next to a note "20.000 đ/tờ khai") or USD."""
    value = int(re.sub(r"[.,]", "", amount))
    if currency in ("USD", "EUR"):
        return f"{value:,} {currency}".replace(",", ".")
    if value < 1000:
        return f"{value} VNĐ"
    return f"{value:,} đồng".replace(",", ".")


def _numbers_in(text: str) -> set[int]:
    return {int(re.sub(r"[.,]", "", n)) for n in re.findall(r"\d[\d.,]*\d|\d", text or "")}


def _split_fused_time_fee(digits: str, note: str | None) -> tuple[str, str]:
    """A bare time glued to a numeric fee ("120 VNĐ" = time 1, fee 20): choose the split.

    Prefer a split whose fee (or fee x 1000, the portal often shows thousands) appears in the
    bracketed note; otherwise assume a one-digit time, by far the most common bare time.
    """
    plain = digits.replace(",", "").replace(".", "")
    known = _numbers_in(note or "")
    candidates = []
    for k in range(1, len(plain)):
        fee = plain[k:]
        if fee.startswith("0") and fee != "0":
            continue
        candidates.append((plain[:k], fee))
    for time, fee in candidates:
        if int(fee) in known or int(fee) * 1000 in known:
            return time, fee
    return candidates[0] if candidates else (plain, "")


def _format_value(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value).replace(".", ",")


def _parse_row(channel: str, body: str) -> Channel:
    row = Channel(channel=channel)
    rest = body
    time = _TIME_RE.match(rest)
    fused_digits: str | None = None
    if time:
        value = time.group("value")
        row.time_unit = time.group("unit")
        rest = rest[time.end():]
        if row.time_unit is None and re.match(rf"\s?({_CURRENCIES})", rest):
            fused_digits = value           # the fee amount was swallowed by the time number
        else:
            row.time_value = float(value.replace(",", "."))
    else:
        for word in _TIME_MISSING:
            if rest.startswith(word) and _FEE_HEAD_RE.match(rest[len(word):].lstrip()):
                row.time_text = "Không quy định" if word == "Không quy định" else None
                rest = rest[len(word):].lstrip()
                break
        else:
            fee_at = _FEE_HEAD_RE.search(rest)
            cut = fee_at.start() if fee_at else len(rest)
            row.time_text = clean_inline(rest[:cut].rstrip(". ")) or None
            rest = rest[cut:]
    fee = _FEE_HEAD_RE.match(rest)
    fee_text: str | None = None
    amount: str | None = None
    currency: str | None = None
    if fee:
        head = fee.group(0)
        rest = rest[fee.end():]
        if head == "Miễn phí":
            fee_text = "Miễn phí"
        elif head != MISSING:
            amount, currency = fee.group("amount"), fee.group("cur")
    if rest.startswith("("):
        end = _balanced_paren(rest)
        inner = rest[1:end - 1] if rest[end - 1:end] == ")" else rest[1:end]
        while inner.startswith("(") and _balanced_paren(inner) == len(inner):
            inner = inner[1:-1]                                # "((...))" -> "..."
        row.fee_note = clean_inline(inner.strip(" -;"))
        rest = rest[end:]
    if fused_digits is not None:
        time_part, fee_part = _split_fused_time_fee(fused_digits, row.fee_note)
        row.time_value = float(time_part)
        amount = fee_part or None
    if currency:
        fee_text = _format_amount(amount, currency) if amount else None
    row.fee = fee_text
    row.description = clean_text(rest.strip(" -"))
    if row.time_value is not None and row.time_text is None:
        value_text = _format_value(row.time_value)
        row.time_text = f"{value_text} {row.time_unit.lower()}" if row.time_unit else value_text
    return row


def parse_channels(text: str | None) -> list[Channel]:
    """Submission channel rows from the fused `cach_thuc_thuc_hien` table."""
    text = nfc(text or "")
    if text.startswith(CHANNEL_HEADER):
        text = text[len(CHANNEL_HEADER):]
    return [_parse_row(channel, body) for channel, body in _split_rows(text)]


# ---------------------------------------------------------------- documents

DOC_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
# Quantity cell: "1 bản chính", "0 bản chính,1 bản sao"; "1 bản sao" and "Bản chính: 1 Bản sao: 0"
# are accepted too although the current data only uses the first two.
_QTY_RE = re.compile(r"(\d) ?bản chính(?:,(\d) ?bản sao)?|Bản chính: ?(\d+),? ?Bản sao: ?(\d+)"
                     r"|(\d) ?bản sao")
_FILE_EXT_RE = re.compile(r"\.(?i:docx|doc|pdf|xlsx|xls|rar|zip)(?![a-z])")
_FORM_WORD_RE = re.compile(r"(?:Mẫu|Mau|mẫu|mau|MẪU|Phụ lục|Phu luc|Phụ Lục|Phlc|PL\d|Mus|Ms\d|TK\s?\d|M\d|DON|Don|TTHC\d)")
_BULLET_RE = re.compile(r"^(?:[-+*•–.,;:/]+|\d{1,2}[.)]\s|[a-zđ][.)]\s|\(\w{1,4}\)\s)\s*")
_FILE_MAX = 100


def _is_cell(text: str, match: re.Match[str]) -> bool:
    """True when a quantity match is a table cell, not a mention inside a name ("(01 bản chính)")."""
    if match.group(3) is not None:
        return True
    nxt = text[match.end():match.end() + 1]
    prev = text[match.start() - 1:match.start()]
    if match.group(5) is not None and prev.isdigit():
        return False                                            # "nộp 01 bản sao" inside a name
    if nxt == "":
        return True
    if nxt == " ":
        after = text[match.end():].lstrip()[:1]
        return not prev.isdigit() and (after.isupper() or after in ("*", "-", "+", ""))
    if nxt in ";,):":
        return False
    if nxt == "." and prev.isdigit():
        return False
    return True


def _file_start(region: str) -> int | None:
    """Where the file name glued to the end of a document name begins, or None."""
    candidates = []
    for i in range(max(1, len(region) - _FILE_MAX), len(region)):
        prev, cur = region[i - 1], region[i]
        if cur.isspace() or prev.isspace() or prev in "(/-_'\"“":
            continue
        form_word = _FORM_WORD_RE.match(region, i) is not None
        if prev in ".;:)”" or (prev.islower() and cur.isupper()) \
                or (form_word and (prev.isupper() or prev.isdigit())):
            candidates.append(i)
    for i in candidates:
        if len(region) - i <= _FILE_MAX and ";" not in region[i + 1:] \
                and not re.search(r"[.;] [A-ZĐ]", region[i:]):
            return i
    return None


def _split_form(row: str) -> tuple[str, str | None]:
    """Split "<name><file.docx>[<file2.pdf>]" into name and form (file names without extension)."""
    exts = list(_FILE_EXT_RE.finditer(row))
    if not exts or exts[-1].end() != len(row):
        return row, None
    chain = [exts[-1]]
    for ext in reversed(exts[:-1]):                       # "Mẫu 1.docxMẫu 2.docx": several files
        gap = row[ext.end():chain[0].start()]
        if 0 < len(gap) <= _FILE_MAX and not gap[0].isspace() and not re.search(r"[.;] [A-ZĐ]", gap):
            chain.insert(0, ext)
        else:
            break
    region = row[:chain[0].start()]
    start = _file_start(region)
    if start is None:
        return region, None                               # keep the name, drop the bare extension
    names = [region[start:]] + [row[a.end():b.start()] for a, b in zip(chain, chain[1:])]
    forms = [n.strip(" -_.;,:") for n in names if n.strip(" -_.;,:")]
    return row[:start], "; ".join(forms) or None


def _clean_doc_name(text: str) -> str | None:
    name = clean_inline(text) or ""
    for _ in range(3):
        name = _BULLET_RE.sub("", name).strip()
    name = name.rstrip(" ;,:/-").strip()
    name = re.sub(r"[.]{2,}$", ".", name)
    if name.endswith(".") and not name.endswith(("v.v.", "...")):
        name = name[:-1]
    return name or None


def _clean_group(text: str) -> str | None:
    group = clean_inline(text) or ""
    group = group.strip(" -*:•").strip()
    return group or None


def parse_documents(text: str | None) -> list[Document]:
    """Required documents from the fused `thanh_phan_ho_so` table (possibly several case groups)."""
    text = nfc(text or "")
    if DOC_HEADER not in text:
        return []
    parts = text.split(DOC_HEADER)
    group = _clean_group(parts[0])
    docs: list[Document] = []
    for index, part in enumerate(parts[1:], start=1):
        last = index == len(parts) - 1
        cells = [m for m in _QTY_RE.finditer(part) if _is_cell(part, m)]
        pos = 0
        for cell in cells:
            raw = part[pos:cell.start()]
            pos = cell.end()
            name, form = _split_form(raw.strip())
            name = _clean_doc_name(name)
            if not name:
                continue
            if cell.group(3) is not None:
                original, copy = int(cell.group(3)), int(cell.group(4))
            elif cell.group(5) is not None:
                original, copy = 0, int(cell.group(5))
            else:
                original = int(cell.group(1))
                copy = int(cell.group(2)) if cell.group(2) is not None else None
            docs.append(Document(name=name, original=original, copy=copy, form=form, group=group))
        tail = part[pos:]
        if last:
            note = _clean_doc_name(tail)
            if note and note != MISSING:
                docs.append(Document(name=note, group=group))   # trailing row without a quantity
        else:
            group = _clean_group(tail)
    return docs


# ---------------------------------------------------------------- legal basis

LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"
# Document number: 123/2015/NĐ-CP, 60/2014/QH13, 66.7/2025/NQ-CP, 601/QĐ-BTC, 09/2015/TTLT-BCA-BYT-BTC.
# A segment is a run of capitals not starting a Titlecase word (so "TT-BTCNghị định" stops before
# "Nghị"), plus "Tg" for QĐ-TTg; only National Assembly numbers carry digits ("QH1360/2014/QH13"
# -> "QH13" then the next cell).
_SEG = rf"[A-ZĐ]*QH\d{{1,2}}|(?:[A-ZĐ](?!{_LOWER_CLASS}))+(?:Tg)?|Tg"
_NUMBER_RE = re.compile(
    rf"(?P<digits>\d+(?:\.\d+)?)(?:(?:/\d{{4}})?/(?:{_SEG})(?:-\s?(?:{_SEG}))*|/\d{{4}}(?=[A-ZĐ]|\s*$))")
_NUMBER_PREFIX_RE = re.compile(
    r"(?:Nghị định|Nghị quyết|Thông tư liên tịch|Thông tư|Quyết định|Luật|Lệnh|Pháp lệnh|NĐ|TT|QĐ|Số|số)"
    r"(?: số)?:? ?$")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")


def _is_glued(text: str, pos: int) -> bool:
    """True when the cell at `pos` touches the previous cell (no space), or follows ". "."""
    prev = text[pos - 1:pos]
    if prev == " ":
        return text[pos - 2:pos - 1] in (".", ";")
    return prev != "" and not prev.isspace() and prev not in "(/-"


def _mentioned_elsewhere(text: str, number: str, at: int, followed_ok: Callable[[str], bool]) -> bool:
    """`number` occurs at another position than `at`, followed by a character accepted by followed_ok."""
    found = text.find(number)
    while found != -1:
        if found != at and followed_ok(text[found + len(number):found + len(number) + 1]):
            return True
        found = text.find(number, found + 1)
    return False


def _not_capital(ch: str) -> bool:
    return not (ch.isalpha() and ch.isupper())


def _not_lower(ch: str) -> bool:
    return not (ch.isalpha() and ch.islower())


def _fix_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """Repair glue at both ends of a matched number, using other mentions of it in the table."""
    digits = re.match(r"\d+(?:\.\d+)?", text[start:end]).group(0)
    head = digits.split(".")[0]
    if "." in digits and _YEAR_RE.fullmatch(head):                # "15/5/2026.55/2026/TT-BTC"
        start += len(head) + 1
    elif len(digits) > 4 and _YEAR_RE.match(digits):               # "năm 202446/2024/QH15"
        start += 4
    nxt = text[end:end + 1]
    if nxt.isalpha() and nxt.isupper() and text[end + 1:end + 2].islower() \
            and _mentioned_elsewhere(text, text[start:end + 1], start, _not_lower):
        end += 1                                                   # "TT-BNNPTNTsửa đổi ..."
    elif nxt.isalpha() or nxt.isspace():
        last_sep = max(text.rfind("-", start, end), text.rfind("/", start, end))
        for cut in range(end - 1, last_sep + 1, -1):              # "TT-BCAQUY ĐỊNH ..."
            if text[cut - 1].isupper() and _mentioned_elsewhere(text, text[start:cut], start, _not_capital):
                if not _mentioned_elsewhere(text, text[start:end], start, _not_capital):
                    end = cut
                break
    return start, end


def parse_legal_basis(text: str | None) -> list[LegalBasis]:
    """Legal documents from the fused `can_cu_phap_ly` table: title followed by its number cell."""
    text = nfc(text or "")
    if LEGAL_HEADER in text:
        text = text.split(LEGAL_HEADER, 1)[1]
    text = text.split("Cơ quan thực hiện", 1)[0]               # page chrome glued after the table
    if clean_text(text) is None:
        return []
    items: list[LegalBasis] = []
    pos = 0
    for match in _NUMBER_RE.finditer(text):
        start, end = _fix_edges(text, match.start(), match.end())
        nxt = text[end:end + 1]
        if nxt in (",", ";", ")") or (nxt.isspace() and not text[end:].lstrip()[:1].isupper()
                                           and text[start - 1:start] != ";"):
            continue                                             # "... số 123/2015/NĐ-CP ngày 15/11/2015"
        prefix = _NUMBER_PREFIX_RE.search(text, pos, start)
        if prefix and prefix.end() == start and _is_glued(text, prefix.start()):
            if nxt.isspace():
                continue
            cell_start = prefix.start()                          # "...tiền mặtNghị định 52/2024/NĐ-CP"
        elif _is_glued(text, start):
            cell_start = start
        else:
            continue                                             # a number quoted inside a title
        if cell_start < pos:
            continue
        number = re.sub(r"\s+", "", text[start:end])
        title = clean_inline(text[pos:cell_start]) or clean_inline(text[cell_start:end]) or ""
        title = title.strip(" ;,:.").strip()
        if "/" in number and not re.search(r"[A-ZĐ]", number):   # "167/2025": complete from the title
            full = re.search(re.escape(number) + rf"/(?:{_SEG})(?:-(?:{_SEG}))*", title)
            number = full.group(0) if full else number
        items.append(LegalBasis(title=title or number, number=number))
        pos = end
        while pos < len(text) and text[pos] in ". ":
            pos += 1
    tail = clean_inline(text[pos:])
    if tail and tail.strip(" .;,"):
        items.append(LegalBasis(title=tail.strip(" ;,.")))
    # Drop repeated rows ("14/2025/TT-BNNMT14/2025/TT-BNNMT": a title cell holding only the number).
    deduped: list[LegalBasis] = []
    for item in items:
        if deduped and item.number and item.number == deduped[-1].number and item.title == item.number:
            continue
        deduped.append(item)
    return deduped


# ---------------------------------------------------------------- steps

_STEP_MARK_RE = re.compile(r"(?<!\w)(?=Bước\s*\d+\s*[:.\-–)])")
_STEP_LINE_RE = re.compile(r"^[-+*•\s]*Bước\s*\d+")
_DASH_RE = re.compile(r"^-\s?")
_NUMBERED_RE = re.compile(r"^\d{1,2}[.)]\s")
_LETTERED_RE = re.compile(r"^[a-zđ]\)\s")
_CONTINUATION_RE = re.compile(rf"^(?:{_LOWER_CLASS}|\()")


def _lines(text: str) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line.strip("-+*•.;:"):
            continue                                             # empty or a lone bullet
        if out and _CONTINUATION_RE.match(line) and not re.match(r"^(?:[a-zđ]\)|\(\w{1,4}\))", line):
            out[-1] += " " + line                                # crawler broke a sentence
        else:
            out.append(line)
    return out


def _chunk(lines: list[str], is_start: Callable[[str], bool]) -> list[str]:
    """Group lines into steps; a "* ..." line (section such as "* Lưu ý:") always starts a new one."""
    steps: list[str] = []
    for line in lines:
        if not steps or is_start(line) or line.startswith("*"):
            steps.append(line)
        else:
            steps[-1] += "\n" + line
    return steps


def parse_steps(text: str | None) -> list[str]:
    """Split `trinh_tu_thuc_hien` into steps ("Bước 1", "- ...", "1. ..." or one per line)."""
    cleaned = clean_text(text)
    if not cleaned:
        return []
    cleaned = _STEP_MARK_RE.sub("\n", cleaned)
    lines = _lines(cleaned)
    if sum(bool(_STEP_LINE_RE.match(line)) for line in lines) >= 2:
        steps = _chunk(lines, lambda line: bool(_STEP_LINE_RE.match(line)))
    elif sum(bool(_DASH_RE.match(line)) for line in lines) >= 2:
        steps = _chunk(lines, lambda line: bool(_DASH_RE.match(line)))
    elif sum(bool(_NUMBERED_RE.match(line)) for line in lines) >= 2:
        steps = _chunk(lines, lambda line: bool(_NUMBERED_RE.match(line)))
    elif sum(bool(_LETTERED_RE.match(line)) for line in lines) >= 2:
        steps = _chunk(lines, lambda line: bool(_LETTERED_RE.match(line)))
    else:
        steps = lines
    out: list[str] = []
    carry = ""
    for step in steps:
        step = re.sub(r"^[-+*•]\s*", "", step).strip()
        if len(step) <= 4:                                       # a bare marker like "a)": keep for next
            carry = f"{carry} {step}".strip()
            continue
        if step != MISSING:
            out.append(f"{carry} {step}".strip() if carry else step)
            carry = ""
    return out


# ---------------------------------------------------------------- result, levels, misc

_RESULT_CODE_RE = re.compile(r"Mã: ?(?:[A-Z0-9]+[.\-_])*[A-Z0-9]*\d|Mã: ?[A-Z]+")
_RESULT_CHROME = ("Từ khóa", "Chọn cơ quan thực hiện", "Mô tả", "Nộp hồ sơ")


def clean_result(text: str | None) -> str | None:
    """Result document(s) from `ket_qua_xu_ly`, without result codes and page chrome."""
    text = nfc(text or "")
    for marker in _RESULT_CHROME:
        text = text.split(marker, 1)[0]
    results: list[str] = []
    for part in _RESULT_CODE_RE.split(text):
        part = re.sub(r"^[-+*•]\s*", "", clean_inline(part) or "").strip(" ;")
        if part.strip(" .;-") and part not in results and part != MISSING:
            results.append(part)
    return "\n".join(results) or None


def parse_levels(text: str | None) -> list[str]:
    """"Cấp bộ, Cấp tỉnh" -> ["Cấp bộ", "Cấp tỉnh"]."""
    return [lvl for lvl in (clean_inline(p) for p in nfc(text or "").split(",")) if lvl]


def clean_agency(text: str | None) -> str | None:
    agency = clean_inline(text)
    if agency:
        agency = re.sub(r"\s*\.\s*,", ",", agency).strip(" ,.")
    return agency or None


def clean_related(text: str | None) -> str | None:
    related = clean_text(text)
    if related:
        related = re.sub(r"^#?Tên thủ tục\s*", "", related)
        related = re.sub(r"^\d+(?=\w)", "", related) if related[:1].isdigit() else related
    return related or None


# ---------------------------------------------------------------- record

def _section_from_page(raw: dict[str, Any], after: str, title: str, ends: tuple[str, ...]) -> str | None:
    """The text of section `title` in the whole-page text, right after the text `after`."""
    page = raw.get("raw_text") or ""
    at = page.find(after) if after else -1
    if at < 0:
        return None
    rest = page[at + len(after):]
    if not rest.lstrip().startswith(title):
        return None
    start = at + len(after) + (len(rest) - len(rest.lstrip())) + len(title)
    stops = [i for i in (page.find(end, start) for end in ends) if i >= 0]
    return page[start:min(stops)] if stops else page[start:]


def repair_fields(raw: dict[str, Any]) -> dict[str, str]:
    """Undo the crawler's splits of a field at a section title quoted inside the text.

    - "Căn cứ pháp lý" inside a fee note: the channel table continues in `can_cu_phap_ly`.
    - "(Thành phần hồ sơ)" inside the steps: `thanh_phan_ho_so` holds the rest of the steps and the
      real document table is only in `raw_text`.
    """
    fields = {k: raw.get(k) or "" for k in
              ("trinh_tu_thuc_hien", "cach_thuc_thuc_hien", "thanh_phan_ho_so", "can_cu_phap_ly")}
    channels, legal = fields["cach_thuc_thuc_hien"], fields["can_cu_phap_ly"]
    if channels.endswith("(") and legal.startswith(":") and LEGAL_HEADER not in legal:
        fields["cach_thuc_thuc_hien"] = channels + "Căn cứ pháp lý" + legal
        fields["can_cu_phap_ly"] = ""
    docs = fields["thanh_phan_ho_so"]
    if DOC_HEADER not in docs and docs.strip(" -") and raw.get("raw_text"):
        page_docs = _section_from_page(raw, channels, "Thành phần hồ sơ",
                                       ("Căn cứ pháp lýTên văn bản", "Căn cứ pháp lýKhông có thông tin"))
        if page_docs is not None:
            fields["trinh_tu_thuc_hien"] += "Thành phần hồ sơ" + docs
            fields["thanh_phan_ho_so"] = page_docs
    return fields


def parse_record(raw: dict[str, Any]) -> Procedure:
    """Typed procedure from one line of procedures.jsonl.gz."""
    fields = repair_fields(raw)
    return Procedure(
        code=clean_inline(raw.get("ma_thu_tuc")) or "",
        name=clean_inline(raw.get("ten_thu_tuc")) or "",
        field=clean_inline(raw.get("linh_vuc")) or "",
        levels=parse_levels(raw.get("cap_thuc_hien")),
        source_group=clean_inline(raw.get("source_group")) or "",
        url=clean_inline(raw.get("detail_url")) or "",
        decision=clean_inline(raw.get("so_quyet_dinh")),
        kind=clean_inline(raw.get("loai_thu_tuc")),
        applicants=clean_inline(raw.get("doi_tuong_thuc_hien")),
        steps=parse_steps(fields["trinh_tu_thuc_hien"]),
        channels=parse_channels(fields["cach_thuc_thuc_hien"]),
        documents=parse_documents(fields["thanh_phan_ho_so"]),
        legal_basis=parse_legal_basis(fields["can_cu_phap_ly"]),
        conditions=clean_text(raw.get("yeu_cau_dieu_kien")),
        result=clean_result(raw.get("ket_qua_xu_ly")),
        agencies=clean_agency(raw.get("co_quan_thuc_hien")),
        competent_agency=clean_agency(raw.get("co_quan_co_tham_quyen")),
        address=clean_text(raw.get("dia_chi_tiep_nhan")),
        related=clean_related(raw.get("thu_tuc_lien_quan")),
    )
