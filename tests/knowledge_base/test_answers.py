"""Citizen-facing replies composed from real parsed procedures."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge_base.answers import MAX_CHARS, compose_answer, compose_choice_title
from knowledge_base.catalogue import iter_raw
from knowledge_base.models import Channel, Document, LegalBasis, Procedure
from knowledge_base.parse import parse_channels, parse_record
from knowledge_base.types import Aspect

SOURCE = Path(__file__).resolve().parents[2] / "knowledge_base" / "data" / "procedures.jsonl.gz"
BIRTH = "1.001193"


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Procedure]:
    return {raw["ma_thu_tuc"]: parse_record(raw) for raw in iter_raw(SOURCE)}


@pytest.fixture(scope="module")
def birth(catalogue: dict[str, Procedure]) -> Procedure:
    return catalogue[BIRTH]


def body(text: str) -> str:
    """The reply without its heading line and source line."""
    return text.split("\n", 1)[1].rsplit("\nNguồn:", 1)[0]


def minimal(**fields) -> Procedure:
    base = dict(code="9.999999", name="Thủ tục thử nghiệm", field="Hộ tịch", levels=["Cấp xã"],
                source_group="bo-tu-phap", url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/test")
    base.update(fields)
    return Procedure(**base)


def test_birth_documents_are_a_grouped_checklist(birth: Procedure) -> None:
    text = compose_answer(birth, Aspect.DOCUMENTS)
    assert text.startswith("📋 Thủ tục đăng ký khai sinh (cấp xã)\n")
    assert "☐ Giấy chứng sinh" in text
    assert "☐ Tờ khai đăng ký khai sinh theo mẫu" in text
    assert "▸ Giấy tờ phải nộp:" in text and "▸ Giấy tờ phải xuất trình:" in text
    assert "— 1 bản chính" in text
    assert text.rstrip().endswith(f"Nguồn: {birth.url}")
    assert "Không có thông tin" not in text and len(text) <= MAX_CHARS
    # Zero-quantity rows ("... thì không phải nộp bản giấy") are notes, not checklist items.
    assert "không phải nộp bản giấy" not in text and "ghi chú, lưu ý" in text


def test_birth_fee_collapses_identical_channels(birth: Procedure) -> None:
    assert "miễn phí cho cả 3 hình thức nộp (trực tuyến, qua bưu chính và trực tiếp)" in compose_answer(
        birth, Aspect.FEE)


def test_birth_duration_says_the_unit_is_unknown(birth: Procedure) -> None:
    text = compose_answer(birth, Aspect.DURATION)
    assert ": 1 (" in text and "không ghi rõ đơn vị" in text


def test_duration_with_unit_and_portal_description(catalogue: dict[str, Procedure]) -> None:
    text = compose_answer(catalogue["1.014240"], Aspect.DURATION)
    assert "34 ngày làm việc" in text and "không ghi rõ đơn vị" not in text
    assert "Mô tả trên Cổng:" in text


def test_fee_per_channel_when_fees_differ(catalogue: dict[str, Procedure]) -> None:
    text = compose_answer(catalogue["1.003204"], Aspect.FEE)
    assert "• Trực tuyến: 30.000 đồng" in text
    assert "• Qua bưu chính và trực tiếp: 300.000 đồng" in text


def test_fee_note_is_shown_next_to_the_amount() -> None:
    proc = minimal(channels=parse_channels(
        "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến2 Ngày làm việc70,000 VNĐ(70.000 đồng/Giấy chứng nhận)"
        "Trực tiếp2 Ngày làm việc70,000 VNĐ(70.000 đồng/Giấy chứng nhận)"))
    text = compose_answer(proc, Aspect.FEE)
    assert "như nhau cho cả 2 hình thức nộp" in text
    assert "70.000 đồng — ghi chú: 70.000 đồng/Giấy chứng nhận" in text


def test_missing_field_is_said_politely_with_what_is_known(birth: Procedure) -> None:
    text = compose_answer(birth, Aspect.CONDITIONS)
    assert "không nêu yêu cầu, điều kiện riêng" in text
    assert "• Cách nộp: trực tuyến, qua bưu chính và trực tiếp" in text
    empty = minimal()
    for aspect in Aspect:
        reply = compose_answer(empty, aspect)
        assert reply.startswith("📋 Thủ tục thử nghiệm (cấp xã)")
        assert reply.rstrip().endswith("Nguồn: https://dichvucong.gov.vn/thu-tuc-hanh-chinh/test")
        assert "None" not in reply and "Không có thông tin" not in reply
    assert "chưa có thông tin về thành phần hồ sơ" in compose_answer(empty, Aspect.DOCUMENTS)


def test_legal_basis_lists_number_then_title(birth: Procedure) -> None:
    text = compose_answer(birth, Aspect.LEGAL_BASIS)
    assert "• 123/2015/NĐ-CP — Nghị định số 123/2015/NĐ-CP ngày 15/11/2015" in text
    assert "• Luật 60/2014/QH13" in text                    # title is only the number: no "60/2014/QH13 —"
    lines = [line for line in text.split("\n") if line.startswith("• ")]
    assert lines[0] == "• Luật 60/2014/QH13"                # laws first, then decrees, then circulars
    assert lines.index("• 87/2020/NĐ-CP — Nghị định quy định về Cơ sở dữ liệu hộ tịch điện tử, đăng ký hộ "
                       "tịch trực tuyến") < min(i for i, line in enumerate(lines) if "/TT-" in line)
    assert len(lines) == 10 and "… và 5 văn bản khác tại đường dẫn nguồn." in text


def test_steps_are_numbered_trimmed_and_stop_at_notes(birth: Procedure) -> None:
    text = compose_answer(birth, Aspect.STEPS)
    numbered = re.findall(r"^(\d+)\. (.*)$", text, flags=re.MULTILINE)
    assert [n for n, _ in numbered] == ["1", "2", "3", "4", "5"]
    assert all(len(step) <= 300 for _, step in numbered)
    assert "lưu ý" in text.lower()


def test_long_lists_are_truncated_with_a_pointer_to_the_source(catalogue: dict[str, Procedure]) -> None:
    docs = compose_answer(catalogue["3.000042"], Aspect.DOCUMENTS)    # 19 documents
    assert docs.count("☐") == 12 and "… và 7 mục khác" in docs
    many_steps = minimal(steps=[f"Bước {i}: Làm việc số {i}." for i in range(1, 12)])
    steps = compose_answer(many_steps, Aspect.STEPS)
    assert "8. Làm việc số 8." in steps and "9. " not in steps and "còn 3 bước nữa" in steps


def test_many_case_groups_show_the_first_and_name_the_others(catalogue: dict[str, Procedure]) -> None:
    text = compose_answer(catalogue["2.002011"], Aspect.DOCUMENTS)
    assert "trường hợp khác, mỗi trường hợp một bộ hồ sơ riêng" in text
    assert "▸ Trường hợp đăng ký thay đổi thành viên hợp danh" in text
    assert len(text) <= MAX_CHARS


def test_online_and_where(birth: Procedure, catalogue: dict[str, Procedure]) -> None:
    assert "nộp trực tuyến được" in compose_answer(birth, Aspect.ONLINE)
    offline = compose_answer(catalogue["1.000889"], Aspect.ONLINE)
    assert "chưa nhận hồ sơ trực tuyến" in offline and "trực tiếp" in offline
    where = compose_answer(catalogue["1.014240"], Aspect.WHERE)
    assert "Cục Địa chất và Khoáng sản Việt Nam" in where and "Anh/chị có thể nộp hồ sơ" in where


def test_result_and_applicants(birth: Procedure) -> None:
    assert "kết quả anh/chị nhận được: Giấy khai sinh" in compose_answer(birth, Aspect.RESULT)
    assert "Công dân Việt Nam, Người Việt Nam định cư ở nước ngoài" in compose_answer(birth, Aspect.APPLICANTS)


def test_overview_summarises_and_invites_a_follow_up(birth: Procedure) -> None:
    text = compose_answer(birth, Aspect.OVERVIEW)
    assert "• Cách nộp: trực tuyến, qua bưu chính và trực tiếp" in text
    assert "• Phí, lệ phí: Miễn phí" in text
    assert re.search(r"• Hồ sơ: \d+ loại giấy tờ", text)
    assert body(text).rstrip().endswith("ạ?")


def test_small_vnd_amounts_are_flagged_without_a_note() -> None:
    proc = minimal(channels=[Channel(channel="Trực tiếp", time_value=1, time_text="1", fee="20 VNĐ")])
    assert "kiểm tra lại tại đường dẫn nguồn" in compose_answer(proc, Aspect.FEE)


def test_documents_without_quantity_are_still_listed_when_nothing_else_is() -> None:
    proc = minimal(documents=[Document(name="Văn bản đề nghị", original=0)],
                   legal_basis=[LegalBasis(title="Luật Hộ tịch", number="60/2014/QH13")])
    text = compose_answer(proc, Aspect.DOCUMENTS)
    assert "• Văn bản đề nghị" in text and "☐" not in text


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
            text = compose_answer(proc, aspect)
            assert "Không có thông tin" not in text, (proc.code, aspect)
            assert text.rstrip().endswith(f"Nguồn: {proc.url}"), (proc.code, aspect)
            assert len(text) <= MAX_CHARS, (proc.code, aspect)
            assert "None" not in text, (proc.code, aspect)


def test_a_second_asked_aspect_is_answered_after_the_first(birth: Procedure) -> None:
    text = compose_answer(birth, Aspect.WHERE, also=[Aspect.FEE])
    first_line = body(compose_answer(birth, Aspect.WHERE)).strip().splitlines()[0]
    assert first_line and text.index(first_line) < text.index("miễn phí")
    assert text.count("Nguồn: ") == 1
    missing = compose_answer(minimal(), Aspect.FEE, also=[Aspect.DOCUMENTS])
    assert "Về thành phần hồ sơ: Cổng Dịch vụ công Quốc gia chưa có thông tin." in missing
