"""Dossier codes: the shapes citizens paste, what is not a code, and properties checked with Hypothesis."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from dossiers.codes import extract_dossier_code, extract_dossier_codes, mask_dossier_code, normalise_dossier_code

# An independent oracle for the normalised form (ASCII only, upper case, plain hyphens, no spaces).
NORMALISED = re.compile(r"(?:[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.)?[A-Z][0-9]{2}(?:\.[0-9]{1,3})*-[0-9]{6}-[0-9]{4,5}",
                        re.ASCII)

SHORT = "H45.22-231015-0012"
FULL = "000.00.12.H45-231015-0012"
SENTENCE = "mã hồ sơ của tôi là h45.22 – 231015 – 0012 ạ"

SHAPES = [
    # plain codes
    (SHORT, SHORT),
    (FULL, FULL),
    ("K23-231231-0001", "K23-231231-0001"),
    ("G01.123-240229-00123", "G01.123-240229-00123"),          # leap day, 5-digit sequence
    ("T01.5.12-231015-0012", "T01.5.12-231015-0012"),          # several .d groups
    ("000.20.35.h56.3-231015-0012", "000.20.35.H56.3-231015-0012"),
    # case, dashes, spaces
    ("h45.22-231015-0012", SHORT),
    ("H45.22 - 231015 - 0012", SHORT),
    ("H45.22 – 231015 – 0012", SHORT),                          # en dash
    ("H45.22—231015—0012", SHORT),                              # em dash
    ("H45.22−231015−0012", SHORT),                              # minus sign
    ("H45.22‐231015‐0012", SHORT),                              # hyphen U+2010
    ("H45.22‑231015‑0012", SHORT),                              # non-breaking hyphen U+2011
    ("H45.22\u200b-\u200b231015-0012", SHORT),                  # zero-width spaces
    ("H45.22\u00a0-\u00a0231015\u00a0-\u00a00012", SHORT),      # NBSP
    ("000.00.12.h45 - 231015 -0012", FULL),
    ("H45.22 231015 0012", SHORT),                              # spaces only, no dash
    ("000.00.31.H45 261121 0005", "000.00.31.H45-261121-0005"),
    ("hồ sơ 000.00.31.H45\u00a0261121\u00a00005 khi nào được nhận?", "000.00.31.H45-261121-0005"),
    # inside sentences, NFC and NFD, punctuation around
    (SENTENCE, SHORT),
    (unicodedata.normalize("NFD", SENTENCE), SHORT),
    ("ma ho so cua toi la H45.22-231015-0012 nhe", SHORT),
    ("Mã hồ sơ: H45.22-231015-0012.", SHORT),
    ("H45.22-231015-0012, cảm ơn", SHORT),
    ("(H45.22-231015-0012)", SHORT),
    ('"H45.22-231015-0012"', SHORT),
    ("“H45.22-231015-0012”", SHORT),
    ("Mã HS:H45.22-231015-0012?", SHORT),
    ("H45.22-231015-0012.Cảm ơn ạ", SHORT),                     # sentence end without its space
    ("\tH45.22-231015-0012\n", SHORT),
    ("Mã - H45.22-231015-0012 - đã nộp", SHORT),
    # invalid dates
    ("H45.22-231315-0012", None),                               # month 13
    ("H45.22-231000-0012", None),                               # day 00
    ("H45.22-231032-0012", None),                               # day 32
    ("H45.22-230229-0012", None),                               # 29 Feb 2023
    ("H45.22-230015-0012", None),                               # month 00
    # other numbers citizens type
    ("0912345678", None),
    ("số điện thoại 0912 345 678", None),
    ("1.001193", None),
    ("thủ tục 1.001193 ngày 15/10/2023", None),
    ("15/10/2023", None),
    ("231015-0012", None),                                      # no unit: too ambiguous
    ("mã 231015 - 0012", None),
    # malformed codes
    ("H45.22-231015-012", None),                                # 3-digit sequence
    ("H45.22-231015-001234", None),                             # 6-digit sequence
    ("H4.22-231015-0012", None),                                # unit letter + 1 digit
    ("H45.2222-231015-0012", None),                             # unit group of 4 digits
    ("00.00.12.H45-231015-0012", None),                         # truncated prefix
    ("mã 231015 0012", None),                                   # spaces, but no unit
    ("H45.22  231015", None),                                   # no sequence
    ("H45.22--231015-0012", None),                              # two dashes
    ("H45.22-2310150012", None),
    ("H45.22_231015_0012", None),
    ("H٤٥.22-231015-0012", None),                               # non-ASCII digits
    ("", None),
    # glued to longer alphanumerics
    ("XH45.22-231015-00123456", None),
    ("XH45.22-231015-0012", None),
    ("ĐH45.22-231015-0012", None),
    ("làH45.22-231015-0012", None),
    (unicodedata.normalize("NFD", "làH45.22-231015-0012"), None),
    (unicodedata.normalize("NFD", "H45.22-231015-0012ạ"), None),
    ("1.000.00.12.H45-231015-0012", None),
    ("ab-H45.22-231015-0012", None),
    ("H45.22-231015-00123456", None),
    ("H45.22-231015-0012A", None),
    ("H45.22-231015-0012.5", None),
    ("H45.22-231015-0012-7", None),
    ("H45.22-231015-0012-ab", None),
    ("H45.22-231015-0012_x", None),
]


@pytest.mark.parametrize(("text", "expected"), SHAPES)
def test_shapes(text: str, expected: str | None) -> None:
    assert extract_dossier_code(text) == expected
    assert extract_dossier_codes(text) == ([expected] if expected else [])


@pytest.mark.parametrize(("raw", "expected"), [
    (" h45.22 – 231015 – 0012 ", SHORT),
    ("\u200b000.00.12.H45-231015-0012\u00a0", FULL),
    (SHORT.lower(), SHORT),
    ("G01.123 — 240229 — 00123", "G01.123-240229-00123"),
    ("H45.22-231015-0012.", None),          # a code alone: no punctuation
    (SENTENCE, None),                       # a sentence is not a code; extract from it instead
    ("H45.22-231315-0012", None),
    ("XH45.22-231015-0012", None),
    ("0912345678", None),
    ("", None),
])
def test_normalise(raw: str, expected: str | None) -> None:
    assert normalise_dossier_code(raw) == expected


def test_several_codes_in_order_without_repeats() -> None:
    text = ("Tôi có 2 hồ sơ: H45.22-231015-0012 và 000.00.12.h45 - 231016 - 0013; "
            "hồ sơ h45.22 – 231015 – 0012 là hồ sơ đầu,H45.22-231015-0014")
    assert extract_dossier_codes(text) == [SHORT, "000.00.12.H45-231016-0013", "H45.22-231015-0014"]
    assert extract_dossier_code(text) == SHORT


def test_an_invalid_code_does_not_hide_the_next() -> None:
    assert extract_dossier_codes("H45.22-231315-0012 hay H45.22-231015-0012") == [SHORT]


@pytest.mark.parametrize(("code", "masked"), [
    (SHORT, "H45.22-231015-****"),
    (FULL, "000.00.12.H45-231015-****"),
    ("g01.123 – 240229 – 00123", "G01.123-240229-****"),
    ("0912345678", "****"),                 # not a code: nothing of it is logged
    ("Nguyễn Văn Tám", "****"),
])
def test_mask(code: str, masked: str) -> None:
    assert mask_dossier_code(code) == masked


# --- properties -----------------------------------------------------------------------------------------------

DASHES = ["-", "–", "—", "−", "‐", "‑"]
SPACES = ["", " ", "  ", "\u00a0", "\u200b", " \u200b", "\u00a0\u200b"]
BEFORE = ["", "mã hồ sơ của tôi là ", "ma ho so cua toi la ", "Mã hồ sơ: ", "Hồ sơ số\u00a0", "(", '"', "“",
          "cho em hỏi hồ sơ ", "tra cứu giúp mình mã\u200b", "Mã HS:", "\n", "hồ sơ 1.001193 mã "]
AFTER = ["", ".", ",", ")", '"', "”", " ạ", " nhé, cảm ơn!", "…", "?", " đã nộp ngày 15/10/2023", ".Cảm ơn",
         "\n", " - đt 0912345678"]

units = st.builds(
    lambda prefix, letter, digits, groups: prefix + letter + digits + "".join("." + g for g in groups),
    st.one_of(st.just(""), st.from_regex(r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.", fullmatch=True)),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.from_regex(r"[0-9]{2}", fullmatch=True),
    st.lists(st.from_regex(r"[0-9]{1,3}", fullmatch=True), max_size=3),
)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)).map(lambda d: d.strftime("%y%m%d"))
sequences = st.from_regex(r"[0-9]{4,5}", fullmatch=True)


@st.composite
def typed_codes(draw: st.DrawFn) -> tuple[str, str]:
    """(the code as a citizen might type it, its normalised form)."""
    unit, day, seq = draw(units), draw(dates), draw(sequences)
    typed_unit = "".join(c.lower() if c.isalpha() and draw(st.booleans()) else c for c in unit)

    def sep() -> str:
        return draw(st.sampled_from(SPACES)) + draw(st.sampled_from(DASHES)) + draw(st.sampled_from(SPACES))

    return f"{typed_unit}{sep()}{day}{sep()}{seq}", f"{unit}-{day}-{seq}"


@settings(max_examples=300)
@given(typed_codes(), st.sampled_from(BEFORE), st.sampled_from(AFTER), st.sampled_from(["NFC", "NFD"]))
def test_a_typed_code_is_found_in_any_sentence(code: tuple[str, str], before: str, after: str, form: str) -> None:
    typed, expected = code
    text = unicodedata.normalize(form, before + typed + after)
    assert extract_dossier_codes(text) == [expected]
    assert extract_dossier_code(text) == expected


@settings(max_examples=300)
@given(typed_codes(), st.sampled_from(["", " ", "\u00a0", "\u200b", "\t"]))
def test_normalise_is_idempotent(code: tuple[str, str], padding: str) -> None:
    typed, expected = code
    once = normalise_dossier_code(padding + typed + padding)
    assert once == expected
    assert normalise_dossier_code(once) == once


@given(st.text())
def test_normalise_is_idempotent_on_any_text(text: str) -> None:
    once = normalise_dossier_code(text)
    if once is not None:
        assert normalise_dossier_code(once) == once


# Text biased towards code fragments, so that near-codes are actually generated.
code_ish = st.text(alphabet="Hh45.20-13 –—\u200b\u00a0xĐạ,()9", max_size=60)


@settings(max_examples=300)
@given(st.one_of(st.text(), code_ish))
def test_extraction_never_raises_and_returns_normalised_codes(text: str) -> None:
    codes = extract_dossier_codes(text)
    assert isinstance(codes, list)
    assert len(codes) == len(set(codes))
    for code in codes:
        assert NORMALISED.fullmatch(code), code
        assert normalise_dossier_code(code) == code
        yy, mm, dd = (int(code.split("-")[-2][i:i + 2]) for i in (0, 2, 4))
        date(2000 + yy, mm, dd)             # a real date
    assert extract_dossier_code(text) == (codes[0] if codes else None)


@settings(max_examples=300)
@given(typed_codes(), sequences)
def test_mask_never_reveals_the_sequence(code: tuple[str, str], other_seq: str) -> None:
    typed, expected = code
    masked = mask_dossier_code(typed)
    unit_and_date = expected.rsplit("-", 1)[0]
    assert masked == unit_and_date + "-****"
    # The mask depends on nothing but the unit and date: another sequence gives the same mask.
    assert mask_dossier_code(f"{unit_and_date}-{other_seq}") == masked


@given(st.text())
def test_mask_of_anything_shows_no_sequence(text: str) -> None:
    masked = mask_dossier_code(text)
    assert masked.endswith("****")
    code = normalise_dossier_code(text)
    if code is None:
        assert masked == "****"
    else:
        assert masked == code.rsplit("-", 1)[0] + "-****"
