"""Citizen-facing answers composed from real parsed procedures: structured content, and how it reads as text."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge_base.answers.compose import MAX_DOCUMENTS, case_title, compose_answer, compose_choice_title
from knowledge_base.answers.sheet import procedure_sheet
from knowledge_base.catalogue.build import iter_raw
from knowledge_base.catalogue.models import Channel, Document, LegalBasis, Procedure
from knowledge_base.catalogue.parse import parse_channels, parse_record
from knowledge_base.types import Aspect
from replies.model import Bullets, Checklist, Content, Facts, Paragraph, Steps
from replies.text import content_text

SOURCE = Path(__file__).resolve().parents[2] / "knowledge_base" / "data" / "procedures.jsonl.gz"
BIRTH = "1.001193"


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Procedure]:
    return {raw["ma_thu_tuc"]: parse_record(raw) for raw in iter_raw(SOURCE)}


@pytest.fixture(scope="module")
def birth(catalogue: dict[str, Procedure]) -> Procedure:
    return catalogue[BIRTH]


def text(proc: Procedure, aspect: Aspect, also: tuple[Aspect, ...] = ()) -> str:
    """The answer as plain text (what the web chat shows)."""
    return content_text(compose_answer(proc, aspect, also))


def blocks(content: Content, kind: type) -> list:
    return [b for b in content.blocks if isinstance(b, kind)]


def minimal(**fields) -> Procedure:
    base = dict(code="9.999999", name="Thủ tục thử nghiệm", field="Hộ tịch", levels=["Cấp xã"],
                source_group="bo-tu-phap", url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/test")
    base.update(fields)
    return Procedure(**base)


def test_birth_documents_are_checklists_per_case_group(birth: Procedure) -> None:
    content = compose_answer(birth, Aspect.DOCUMENTS)
    assert content.title == "Thủ tục đăng ký khai sinh (cấp xã)" and content.source_url == birth.url
    assert content.blocks[0] == Paragraph(text="Dạ, hồ sơ anh/chị cần chuẩn bị gồm:")
    checklists = {c.title: c.items for c in blocks(content, Checklist)}
    # The declaration form, which the portal lists last and outside any group, comes first.
    assert list(checklists) == ["Giấy tờ chung", "Giấy tờ phải nộp", "Giấy tờ phải xuất trình"]
    assert checklists["Giấy tờ chung"][0].name.startswith("Tờ khai đăng ký khai sinh theo mẫu")
    certificate = next(i for i in checklists["Giấy tờ phải nộp"] if i.name.startswith("Giấy chứng sinh"))
    assert certificate.quantity == "1 bản chính" and certificate.form is None
    assert any(i.name.startswith("Tờ khai đăng ký khai sinh theo mẫu") for items in checklists.values() for i in items)
    # Zero-quantity rows ("... thì không phải nộp bản giấy") are notes, not checklist items: only counted.
    assert all(i.quantity for items in checklists.values() for i in items)
    assert "ghi chú, lưu ý" in content.blocks[-1].text
    rendered = content_text(content)
    assert rendered.startswith("Thủ tục đăng ký khai sinh (cấp xã)\n\nDạ, hồ sơ anh/chị cần chuẩn bị gồm:")
    assert "▸ Giấy tờ phải nộp:\n☐ " in rendered and "— 1 bản chính" in rendered
    assert "không phải nộp bản giấy" not in rendered
    assert rendered.endswith(f"\n\nNguồn: {birth.url}") and "📋" not in rendered


def test_birth_fee_collapses_identical_channels(birth: Procedure) -> None:
    assert compose_answer(birth, Aspect.FEE).blocks == [Paragraph(
        text="Dạ, thủ tục này miễn phí cho cả 3 hình thức nộp (trực tuyến, qua bưu chính và trực tiếp).")]


def test_birth_duration_says_the_unit_is_unknown(birth: Procedure) -> None:
    rendered = text(birth, Aspect.DURATION)
    assert ": 1 (" in rendered and "không ghi rõ đơn vị" in rendered


def test_duration_with_unit_and_portal_description(catalogue: dict[str, Procedure]) -> None:
    content = compose_answer(catalogue["1.014240"], Aspect.DURATION)
    rendered = content_text(content)
    assert "34 ngày làm việc" in rendered and "không ghi rõ đơn vị" not in rendered
    assert content.blocks[-1].text.startswith("Mô tả trên Cổng: “")


def test_fee_per_channel_when_fees_differ(catalogue: dict[str, Procedure]) -> None:
    content = compose_answer(catalogue["1.003204"], Aspect.FEE)
    assert content.blocks[0].text == "Dạ, phí, lệ phí theo từng hình thức nộp:"
    facts = {f.label: f.value for f in blocks(content, Facts)[0].items}
    assert facts == {"Trực tuyến": "30.000 đồng", "Qua bưu chính và trực tiếp": "300.000 đồng"}
    assert "phí, lệ phí theo từng hình thức nộp:\n• Trực tuyến: 30.000 đồng\n" in content_text(content)


def test_fee_note_is_shown_next_to_the_amount() -> None:
    proc = minimal(channels=parse_channels(
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến2 Ngày làm việc70,000 VNĐ(70.000 đồng/Giấy chứng nhận)"
        "Trực tiếp2 Ngày làm việc70,000 VNĐ(70.000 đồng/Giấy chứng nhận)"))
    rendered = text(proc, Aspect.FEE)
    assert "như nhau cho cả 2 hình thức nộp" in rendered
    assert "70.000 đồng — ghi chú: 70.000 đồng/Giấy chứng nhận" in rendered


def test_missing_field_is_said_politely_with_what_is_known(birth: Procedure) -> None:
    content = compose_answer(birth, Aspect.CONDITIONS)
    assert "không nêu yêu cầu, điều kiện riêng" in content.blocks[0].text
    known = {f.label: f.value for f in blocks(content, Facts)[0].items}
    assert known["Cách nộp"] == "trực tuyến, qua bưu chính và trực tiếp"
    assert "những thông tin đã có:\n• Lĩnh vực: Hộ tịch\n" in content_text(content)
    empty = minimal()
    for aspect in Aspect:
        content = compose_answer(empty, aspect)
        assert content.title == "Thủ tục thử nghiệm (cấp xã)"
        assert content.source_url == "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/test"
        rendered = content_text(content)
        assert "None" not in rendered and "Không có thông tin" not in rendered
    assert "chưa có thông tin về thành phần hồ sơ" in text(empty, Aspect.DOCUMENTS)


def test_a_procedure_without_a_page_names_the_portal_as_its_source() -> None:
    content = compose_answer(minimal(url=None), Aspect.OVERVIEW)
    assert content.source_url is None
    assert content.blocks[-1] == Paragraph(text="Nguồn: Cổng Dịch vụ công Quốc gia (dichvucong.gov.vn)")


def test_legal_basis_lists_number_then_title(birth: Procedure) -> None:
    content = compose_answer(birth, Aspect.LEGAL_BASIS)
    items = blocks(content, Bullets)[0].items
    assert "123/2015/NĐ-CP — Nghị định số 123/2015/NĐ-CP ngày 15/11/2015" in " ".join(items)
    assert items[0] == "Luật 60/2014/QH13"      # laws first, title is only the number: no "60/2014/QH13 —"
    assert items.index("87/2020/NĐ-CP — Nghị định quy định về Cơ sở dữ liệu hộ tịch điện tử, đăng ký hộ "
                       "tịch trực tuyến") < min(i for i, item in enumerate(items) if "/TT-" in item)
    assert len(items) == 10 and content.blocks[-1].text == "… và 5 văn bản khác tại đường dẫn nguồn."
    assert "căn cứ pháp lý của thủ tục:\n• Luật 60/2014/QH13\n" in content_text(content)


def test_steps_are_numbered_trimmed_and_stop_at_notes(birth: Procedure) -> None:
    content = compose_answer(birth, Aspect.STEPS)
    steps = blocks(content, Steps)[0].items
    assert len(steps) == 5 and all(len(step) <= 300 for step in steps)
    assert not any(re.match(r"Bước\s*\d", step) for step in steps)       # the portal's own numbering is dropped
    assert "lưu ý" in content.blocks[-1].text.lower()
    numbered = re.findall(r"^(\d+)\. ", content_text(content), flags=re.MULTILINE)
    assert numbered == ["1", "2", "3", "4", "5"]


def test_long_lists_are_truncated_with_a_pointer_to_the_source(catalogue: dict[str, Procedure]) -> None:
    docs = compose_answer(catalogue["3.000042"], Aspect.DOCUMENTS)      # 19 documents
    assert sum(len(c.items) for c in blocks(docs, Checklist)) == MAX_DOCUMENTS == 12
    assert "… và 7 mục khác" in content_text(docs)
    many_steps = minimal(steps=[f"Bước {i}: Làm việc số {i}." for i in range(1, 12)])
    content = compose_answer(many_steps, Aspect.STEPS)
    assert blocks(content, Steps)[0].items == [f"Làm việc số {i}." for i in range(1, 9)]
    assert "còn 3 bước nữa" in content.blocks[-1].text


def test_many_case_groups_show_the_first_and_name_the_others(catalogue: dict[str, Procedure]) -> None:
    content = compose_answer(catalogue["2.002011"], Aspect.DOCUMENTS)
    assert len(blocks(content, Checklist)) == 1
    intro = next(b for b in content.blocks if isinstance(b, Paragraph) and "trường hợp khác" in b.text)
    assert intro.text.endswith("mỗi trường hợp một bộ hồ sơ riêng:")
    cases = content.blocks[content.blocks.index(intro) + 1]
    assert isinstance(cases, Bullets) and "Trường hợp đăng ký thay đổi thành viên hợp danh" in cases.items
    assert len(cases.items) == 7 and cases.items[-1] == "… và 12 trường hợp khác"


def test_online_and_where(birth: Procedure, catalogue: dict[str, Procedure]) -> None:
    assert "nộp trực tuyến được" in text(birth, Aspect.ONLINE)
    offline = text(catalogue["1.000889"], Aspect.ONLINE)
    assert "chưa nhận hồ sơ trực tuyến" in offline and "trực tiếp" in offline
    where = text(catalogue["1.014240"], Aspect.WHERE)
    assert "Cục Địa chất và Khoáng sản Việt Nam" in where and "Anh/chị có thể nộp hồ sơ" in where


def test_result_and_applicants(birth: Procedure) -> None:
    assert "kết quả anh/chị nhận được: Giấy khai sinh" in text(birth, Aspect.RESULT)
    assert "Công dân Việt Nam, Người Việt Nam định cư ở nước ngoài" in text(birth, Aspect.APPLICANTS)


def test_overview_summarises_and_invites_a_follow_up(birth: Procedure) -> None:
    content = compose_answer(birth, Aspect.OVERVIEW)
    facts = {f.label: f.value for f in blocks(content, Facts)[0].items}
    assert facts["Cách nộp"] == "trực tuyến, qua bưu chính và trực tiếp" and facts["Phí, lệ phí"] == "Miễn phí"
    assert re.fullmatch(r"\d+ loại giấy tờ.*", facts["Hồ sơ"])
    assert content.blocks[-1].text.endswith("ạ?")
    assert "• Phí, lệ phí: Miễn phí" in content_text(content)


def test_small_vnd_amounts_are_flagged_without_a_note() -> None:
    proc = minimal(channels=[Channel(channel="Trực tiếp", time_value=1, time_text="1", fee="20 VNĐ")])
    assert "kiểm tra lại tại đường dẫn nguồn" in text(proc, Aspect.FEE)


def test_documents_every_applicant_hands_in_come_before_the_cases() -> None:
    proc = minimal(documents=[
        Document(name="Văn bản ủy quyền cho cá nhân", group="Trường hợp ủy quyền", copy=1),
        Document(name="Giấy đề nghị đăng ký hộ kinh doanh", original=1),
        Document(name="Hợp đồng dịch vụ bưu chính", group="Trường hợp nộp qua bưu chính", copy=1),
        Document(name="Hợp đồng với tổ chức làm dịch vụ", group="Trường hợp ủy quyền", copy=1),
    ])
    checklists = [(c.title, [i.name for i in c.items]) for c in blocks(compose_answer(proc, Aspect.DOCUMENTS),
                                                                      Checklist)]
    assert checklists == [
        ("Giấy tờ chung", ["Giấy đề nghị đăng ký hộ kinh doanh"]),
        ("Nếu ủy quyền", ["Văn bản ủy quyền cho cá nhân", "Hợp đồng với tổ chức làm dịch vụ"]),
        ("Nếu nộp qua bưu chính", ["Hợp đồng dịch vụ bưu chính"]),
    ]
    sheet = procedure_sheet(proc)                           # the staff console's sheet, in the same order
    assert [(g.title and case_title(g.title), [d.name for d in g.documents]) for g in sheet.document_groups] == \
        [(None if title == "Giấy tờ chung" else title, names) for title, names in checklists]


def test_documents_without_quantity_are_still_listed_when_nothing_else_is() -> None:
    proc = minimal(documents=[Document(name="Văn bản đề nghị", original=0)],
                   legal_basis=[LegalBasis(title="Luật Hộ tịch", number="60/2014/QH13")])
    content = compose_answer(proc, Aspect.DOCUMENTS)
    item = blocks(content, Checklist)[0].items[0]
    assert item.name == "Văn bản đề nghị" and item.quantity is None
    assert "• Văn bản đề nghị" in content_text(content) and "☐" not in content_text(content)


def test_choice_titles_are_short_and_carry_the_level(birth: Procedure, catalogue: dict[str, Procedure]) -> None:
    assert compose_choice_title(birth) == "Đăng ký khai sinh (cấp xã)"
    assert compose_choice_title(catalogue["1.014232"]) == "Cấp Giấy phép thăm dò khoáng sản (cấp bộ)"
    assert compose_choice_title(catalogue["1.000889"]) == "Cấp đổi thẻ căn cước (cấp trung ương)"
    long_title = compose_choice_title(catalogue["2.002011"])
    assert long_title.endswith("… (cấp bộ, tỉnh)") and len(long_title) <= 60


def test_every_answer_for_every_procedure_is_clean(catalogue: dict[str, Procedure]) -> None:
    for proc in catalogue.values():
        assert len(compose_choice_title(proc)) <= 60, proc.code
        for aspect in Aspect:
            content = compose_answer(proc, aspect)
            assert content.title and content.source_url == proc.url and content.blocks, (proc.code, aspect)
            rendered = content_text(content)
            assert "Không có thông tin" not in rendered, (proc.code, aspect)
            assert "None" not in rendered, (proc.code, aspect)


def test_a_second_asked_aspect_is_answered_after_the_first(birth: Procedure) -> None:
    where = compose_answer(birth, Aspect.WHERE)
    both = compose_answer(birth, Aspect.WHERE, also=[Aspect.FEE])
    assert both.blocks[:len(where.blocks)] == where.blocks
    assert both.blocks[len(where.blocks):] == [Paragraph(     # no second "Dạ,"
        text="Thủ tục này miễn phí cho cả 3 hình thức nộp (trực tuyến, qua bưu chính và trực tiếp).")]
    assert content_text(both).count("Nguồn: ") == 1
    missing = text(minimal(), Aspect.FEE, also=(Aspect.DOCUMENTS,))
    assert "Về thành phần hồ sơ: Cổng Dịch vụ công Quốc gia chưa có thông tin." in missing


def test_the_counter_sheet_lists_every_document_uncapped(catalogue: dict[str, Procedure]) -> None:
    many = catalogue["3.000042"]                                       # 19 documents; the chat shows 12
    sheet = procedure_sheet(many)
    assert sum(len(g.documents) for g in sheet.document_groups) == len(many.documents) == 19
    text = sheet.checklist_text()
    assert text.startswith(many.name) and text.endswith(f"Nguồn: {many.url}")
    assert text.count("☐") == sum(1 for d in many.documents if d.original or d.copy)
    birth = procedure_sheet(catalogue[BIRTH])
    assert birth.online and [c.channel for c in birth.channels] == ["Trực tuyến", "Dịch vụ bưu chính", "Trực tiếp"]
    assert birth.steps and not birth.steps[0].startswith("Bước") and birth.legal_basis[0] == "Luật 60/2014/QH13"


ID_CARD_AGAIN = "2.001194"                # cấp lại thẻ căn cước (cấp tỉnh): one document only for a minor's representative


def test_a_document_for_one_case_keeps_its_case_as_on_the_staff_sheet(catalogue: dict[str, Procedure]) -> None:
    proc = catalogue[ID_CARD_AGAIN]
    content = compose_answer(proc, Aspect.DOCUMENTS)
    minor = next(c for c in blocks(content, Checklist) if any("dưới 14 tuổi" in i.name for i in c.items))
    assert minor.title == ("Nếu người đề nghị cấp, cấp đổi, cấp lại thẻ căn cước là người đại diện hợp pháp của "
                           "người dưới 14 tuổi")
    sheet_group = next(g for g in procedure_sheet(proc).document_groups
                       if any("dưới 14 tuổi" in d.name for d in g.documents))
    assert case_title(sheet_group.title) == minor.title                      # the staff page's group, as a condition
    assert "▸ Nếu người đề nghị cấp, cấp đổi, cấp lại thẻ căn cước là người đại diện hợp pháp của người dưới 14 " \
           "tuổi:\n☐ Giấy tờ, tài liệu có giá trị pháp lý" in content_text(content)


def _cut_at_a_clause_end(shown: str, original: str) -> bool:
    """`shown` is `original` whole, or its beginning up to where a clause ends, marked " …"."""
    original = " ".join(original.split())
    if shown == original or not shown.endswith(" …"):
        return shown == original
    head = shown[:-2]
    rest = original[len(head):] if original.startswith(head) else ""
    return bool(re.match(r"^(?:[.;:!?,]\s|\s[-–—]\s)", rest + " ")) or head.endswith((".", "!", "?"))


def test_document_names_and_fee_notes_are_never_cut_inside_a_phrase(catalogue: dict[str, Procedure]) -> None:
    checked = cut = 0
    for proc in catalogue.values():
        originals = {" ".join(d.name.split()) for d in proc.documents}
        for checklist in blocks(compose_answer(proc, Aspect.DOCUMENTS), Checklist):
            for item in checklist.items:
                assert any(_cut_at_a_clause_end(item.name, o) for o in originals), (proc.code, item.name)
                checked += 1
                cut += item.name.endswith(" …")
        for row in proc.channels:
            if row.fee and row.fee_note:                                # the note as a one-row answer shows it
                fact = blocks(compose_answer(minimal(channels=[row]), Aspect.FEE), Facts)[0].items[0]
                shown = fact.value.split(" — ghi chú: ", 1)[1]
                assert _cut_at_a_clause_end(shown, row.fee_note), (proc.code, shown)
    assert checked > 10_000 and cut > 0                                     # long names were met, and cut well
    fee = content_text(compose_answer(catalogue[ID_CARD_AGAIN], Aspect.FEE))
    assert "bằng 50% mức thu lệ phí quy định. …" in fee and "Kể từ…" not in fee


def test_the_form_is_not_repeated_when_the_document_name_gives_it(catalogue: dict[str, Procedure]) -> None:
    items = [i for c in blocks(compose_answer(catalogue[ID_CARD_AGAIN], Aspect.DOCUMENTS), Checklist)
             for i in c.items]
    application = next(i for i in items if "Mẫu DC02" in i.name)
    assert application.form is None
    assert "(mẫu: Mẫu DC02" not in content_text(compose_answer(catalogue[ID_CARD_AGAIN], Aspect.DOCUMENTS))
    named = minimal(documents=[Document(name="Tờ khai đăng ký", original=1, form="Mẫu TK01 Tờ khai đăng ký")])
    assert blocks(compose_answer(named, Aspect.DOCUMENTS), Checklist)[0].items[0].form == "Mẫu TK01 Tờ khai đăng ký"
