"""Parsing of the fused portal tables, with real snippets taken from procedures.jsonl.gz."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from knowledge_base.catalogue.build import build_catalogue, iter_raw, load_catalogue
from knowledge_base.catalogue.models import Procedure
from knowledge_base.catalogue.parse import (
    clean_result,
    parse_channels,
    parse_documents,
    parse_legal_basis,
    parse_levels,
    parse_record,
    parse_steps,
)

SOURCE = Path(__file__).resolve().parents[2] / "knowledge_base" / "data" / "procedures.jsonl.gz"
CH = "Hình thức nộpThời gianPhí, lệ phíMô tả"
DOC = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
LEGAL = "Tên văn bản pháp lýMã văn bản"


@pytest.fixture(scope="module")
def raw_records() -> dict[str, dict]:
    return {r["ma_thu_tuc"]: r for r in iter_raw(SOURCE)}


@pytest.fixture(scope="module")
def parsed(raw_records: dict[str, dict]) -> dict[str, Procedure]:
    return {code: parse_record(raw) for code, raw in raw_records.items()}


# ---------------------------------------------------------------- channels

def test_channels_without_unit_keep_the_number_and_mark_unit_unknown() -> None:
    rows = parse_channels(f"{CH}Trực tuyến1Miễn phíDịch vụ bưu chính1Miễn phíTrực tiếp1Miễn phí")
    assert [r.channel for r in rows] == ["Trực tuyến", "Dịch vụ bưu chính", "Trực tiếp"]
    assert all(r.time_value == 1 and r.time_unit is None and r.time_text == "1" for r in rows)
    assert all(r.fee == "Miễn phí" and r.description is None for r in rows)


def test_channels_with_units_and_different_times() -> None:
    rows = parse_channels(f"{CH}Trực tuyến40 NgàyMiễn phíDịch vụ bưu chính30 NgàyMiễn phí"
                          "Trực tiếp40 Ngày làm việcMiễn phí")
    assert [(r.time_value, r.time_unit) for r in rows] == [(40, "Ngày"), (30, "Ngày"), (40, "Ngày làm việc")]
    assert rows[2].time_text == "40 ngày làm việc"


def test_channels_with_different_fees_per_channel() -> None:
    rows = parse_channels(f"{CH}Trực tuyến5 Ngày làm việc30,000 Việt Nam ĐồngDịch vụ bưu chính5 Ngày làm việc"
                          "300,000 Việt Nam ĐồngTrực tiếp5 Ngày làm việc300,000 Việt Nam Đồng")
    assert [r.fee for r in rows] == ["30.000 đồng", "300.000 đồng", "300.000 đồng"]


def test_fee_note_in_brackets_and_description_after_it() -> None:
    text = (f"{CH}Trực tuyến2 Ngày làm việc70,000 VNĐ(70.000 đồng/Giấy chứng nhận)Dịch vụ bưu chính"
            "2 Ngày làm việc70,000 VNĐ(70.000 đồng/Giấy chứng nhận)")
    row = parse_channels(text)[0]
    assert (row.fee, row.fee_note, row.description) == ("70.000 đồng", "70.000 đồng/Giấy chứng nhận", None)
    nested = parse_channels(
        f"{CH}Trực tiếp20 Ngày làm việc2,500,000 Việt Nam Đồng(Phí : Đồng (Từ ngày 01/7/2025 đến hết ngày "
        "31/12/2026 áp dụng theo quy định tại Thông tư số 64/2025/TT-BTC))20 ngày làm việc kể từ khi nhận đủ "
        "hồ sơ hợp lệ.")[0]
    assert nested.fee == "2.500.000 đồng"
    assert nested.fee_note.startswith("Phí : Đồng (Từ ngày 01/7/2025") and nested.fee_note.endswith("TT-BTC)")
    assert nested.description == "20 ngày làm việc kể từ khi nhận đủ hồ sơ hợp lệ."


def test_missing_fee_and_time_become_none_and_descriptions_do_not_start_rows() -> None:
    text = (f"{CH}Trực tiếpKhông có thông tinKhông có thông tinnộp hồ sơ trực tiếp tại trụ sở Cục Quản lý "
            "xuất nhập cảnh.Dịch vụ bưu chínhKhông có thông tinKhông có thông tinGửi hồ sơ và nhận kết quả qua "
            "đường bưu điện.Trực tuyếnKhông có thông tinKhông có thông tinTrực tuyến: nộp hồ sơ trực tuyến qua "
            "Cổng dịch vụ công quốc gia hoặc Cổng dịch vụ công Bộ Công an.")
    rows = parse_channels(text)
    assert [r.channel for r in rows] == ["Trực tiếp", "Dịch vụ bưu chính", "Trực tuyến"]
    assert all(r.time_text is None and r.time_value is None and r.fee is None for r in rows)
    assert rows[2].description.startswith("Trực tuyến: nộp hồ sơ trực tuyến")
    assert "Không có thông tin" not in json.dumps([r.__dict__ for r in rows], ensure_ascii=False)


def test_fee_unknown_followed_by_description() -> None:
    row = parse_channels(f"{CH}Trực tuyến3 Ngày làm việcKhông có thông tin- Nộp hồ sơ trên Cổng dịch vụ công.")[0]
    assert (row.time_text, row.fee, row.description) == ("3 ngày làm việc", None, "Nộp hồ sơ trên Cổng dịch vụ công.")


def test_bare_time_glued_to_a_numeric_fee_is_split_using_the_note() -> None:
    rows = parse_channels(f"{CH}Trực tuyến120 VNĐ(20.000 vnđ /tờ khai)Trực tiếp220 VNĐ(lệ phí hải quan "
                          "20.000 đồng/ tờ khai hải quan.)")
    assert [(r.time_value, r.time_unit, r.fee) for r in rows] == [(1, None, "20 VNĐ"), (2, None, "20 VNĐ")]
    assert rows[0].fee_note == "20.000 vnđ /tờ khai"
    fused = parse_channels(f"{CH}Trực tuyến120,000 VNĐ(Theo khoản 1 Điều 3 Thông tư số 172/2010/TT-BTC)")[0]
    assert (fused.time_value, fused.fee) == (1, "20.000 đồng")


def test_free_text_time_and_decimal_time() -> None:
    row = parse_channels(f"{CH}Trực tuyếnKhông phải trả kết quả cho người nộp thuếMiễn phíBằng phương thức "
                         "điện tử qua Cổng dịch vụ công Quốc gia.")[0]
    assert (row.time_value, row.time_text, row.fee) == (None, "Không phải trả kết quả cho người nộp thuế",
                                                        "Miễn phí")
    half = parse_channels(f"{CH}Trực tiếp1.5 Ngày làm việcMiễn phí")[0]
    assert (half.time_value, half.time_text) == (1.5, "1,5 ngày làm việc")


# ---------------------------------------------------------------- documents

def test_documents_with_several_case_groups() -> None:
    text = (f"* Giấy tờ phải nộp:{DOC}- Trường hợp trẻ em bị bỏ rơi thì phải có biên bản về việc trẻ bị bỏ rơi "
            "do cơ quan có thẩm quyền lập.1 bản chính- Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì "
            "nộp văn bản của người làm chứng xác nhận về việc sinh.1 bản chính* Giấy tờ phải xuất trình:"
            f"{DOC}- Hộ chiếu/Thẻ căn cước công dân/Thẻ căn cước còn giá trị sử dụng1 bản chính--{DOC}"
            "Tờ khai đăng ký khai sinh theo mẫu1 bản chính")
    docs = parse_documents(text)
    assert [(d.group, d.original) for d in docs] == [
        ("Giấy tờ phải nộp", 1), ("Giấy tờ phải nộp", 1), ("Giấy tờ phải xuất trình", 1), (None, 1)]
    assert docs[1].name.startswith("Giấy chứng sinh;") and not docs[1].name.endswith(".")
    assert docs[0].name.startswith("Trường hợp trẻ em")          # leading "- " removed
    assert docs[3].name == "Tờ khai đăng ký khai sinh theo mẫu"


def test_document_copies_and_zero_quantity_rows() -> None:
    docs = parse_documents(f"--{DOC}Đơn đăng ký cấp sao tài liệu1 bản chínhChứng minh nhân dân/Căn cước công "
                           "dân0 bản chính,1 bản saoThông tin vụ/việc0 bản chính")
    assert [(d.name, d.original, d.copy) for d in docs] == [
        ("Đơn đăng ký cấp sao tài liệu", 1, None),
        ("Chứng minh nhân dân/Căn cước công dân", 0, 1),
        ("Thông tin vụ/việc", 0, None)]


def test_alternative_quantity_shapes() -> None:
    # Shapes the parser accepts although the current crawl only uses "N bản chính[,M bản sao]".
    docs = parse_documents(f"--{DOC}Tờ khai thuế Bản chính: 1 Bản sao: 0Giấy ủy quyền1 bản sao")
    assert [(d.name, d.original, d.copy) for d in docs] == [("Tờ khai thuế", 1, 0), ("Giấy ủy quyền", 0, 1)]


def test_form_template_files_are_split_from_the_name() -> None:
    docs = parse_documents(
        f"--{DOC}Giấy đề nghị đăng ký hành nghề quản lý, thanh lý tài sản với tư cách cá nhânMẫu TP-QTV-06.docx"
        "1 bản chínhTờ khai đề nghị cấp tài khoản điện tử (NA20).Mau NA20-BCA.docx1 bản chínhHồ sơ đề nghị "
        "khen thưởng; b) Số lượng hồ sơ: 01 bộ.Mẫu số 1.1 To trinh.docxMẫu số 1.2- Bien ban.docx1 bản chính")
    assert [(d.name, d.form) for d in docs] == [
        ("Giấy đề nghị đăng ký hành nghề quản lý, thanh lý tài sản với tư cách cá nhân", "Mẫu TP-QTV-06"),
        ("Tờ khai đề nghị cấp tài khoản điện tử (NA20)", "Mau NA20-BCA"),
        ("Hồ sơ đề nghị khen thưởng; b) Số lượng hồ sơ: 01 bộ", "Mẫu số 1.1 To trinh; Mẫu số 1.2- Bien ban")]


def test_quantities_quoted_inside_a_name_are_not_cells() -> None:
    docs = parse_documents(f"--{DOC}+ Văn bản đề nghị xin tái xuất (01 bản chính)0 bản chính+ Hóa đơn thương "
                           "mại: 01 bản chính, và 01 bản sao;0 bản chính")
    assert [d.name for d in docs] == ["Văn bản đề nghị xin tái xuất (01 bản chính)",
                                      "Hóa đơn thương mại: 01 bản chính, và 01 bản sao"]


def test_a_date_glued_to_the_quantity_stays_in_the_name() -> None:
    docs = parse_documents(f"--{DOC}Báo cáo theo Mẫu số 01 Nghị định số 56/2023/NĐ-CP ngày 24/7/20231 bản chính"
                           "Danh sách cá nhân tham gia huấn luyện1 bản chính")
    assert [d.original for d in docs] == [1, 1]
    assert docs[0].name.endswith("ngày 24/7/2023") and docs[1].name == "Danh sách cá nhân tham gia huấn luyện"


def test_empty_document_tables() -> None:
    assert parse_documents("--") == []
    assert parse_documents("") == []
    assert parse_documents("Không có thông tin") == []


# ---------------------------------------------------------------- legal basis

def test_legal_numbers_are_cut_where_the_next_title_starts() -> None:
    items = parse_legal_basis(
        f"{LEGAL}Thông tư Hướng dẫn về phí và lệ phí thuộc thẩm quyền quyết định của Hội đồng nhân dân tỉnh, "
        "thành phố trực thuộc Trung ương85/2019/TT-BTCNghị định số 123/2015/NĐ-CP ngày 15/11/2015 của  Chính phủ "
        "quy định chi tiết một số điều và biện pháp thi  hành Luật Hộ tịch123/2015/NĐ-CPLuật 60/2014/QH13"
        "60/2014/QH13Nghị quyết số 66.7/2025/NQ-CP của Chính phủ: Quy định cắt giảm66.7/2025/NQ-CP")
    assert [i.number for i in items] == ["85/2019/TT-BTC", "123/2015/NĐ-CP", "60/2014/QH13", "66.7/2025/NQ-CP"]
    assert items[1].title == ("Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ quy định chi tiết một "
                              "số điều và biện pháp thi hành Luật Hộ tịch")
    assert items[2].title == "Luật 60/2014/QH13"


def test_legal_numbers_with_lowercase_suffix_and_glued_prefix() -> None:
    items = parse_legal_basis(
        f"{LEGAL}Quyết định Quy định về chế độ đối với cán bộ, chiến sĩ Công an nhân dân53/2010/QĐ-TTgNghị định "
        "quy định về thanh toán không dùng tiền mặtNghị định 52/2024/NĐ-CP")
    assert [(i.number, i.title) for i in items] == [
        ("53/2010/QĐ-TTg", "Quyết định Quy định về chế độ đối với cán bộ, chiến sĩ Công an nhân dân"),
        ("52/2024/NĐ-CP", "Nghị định quy định về thanh toán không dùng tiền mặt")]


def test_legal_numbers_glued_to_a_year_or_to_a_capitalised_title() -> None:
    items = parse_legal_basis(
        f"{LEGAL}Luật Công chứng năm 202446/2024/QH15Thông tư số 22/2023/TT-BCA22/2023/TT-BCAQUY ĐỊNH MỨC THU, "
        "CHẾ ĐỘ THU, NỘP PHÍ25/2021/TT-BTCThông tư 13/2022/TT-BNNPTNT13/2022/TT-BNNPTNTsửa đổi bổ sung một số "
        "điều18/2018/TT-BNNPTNT")
    assert [i.number for i in items] == ["46/2024/QH15", "22/2023/TT-BCA", "25/2021/TT-BTC",
                                         "13/2022/TT-BNNPTNT", "18/2018/TT-BNNPTNT"]
    assert items[0].title == "Luật Công chứng năm 2024"
    assert items[2].title.startswith("QUY ĐỊNH MỨC THU")
    assert items[4].title == "sửa đổi bổ sung một số điều"


def test_legal_basis_missing_or_followed_by_chrome() -> None:
    assert parse_legal_basis("Không có thông tin") == []
    assert parse_legal_basis("Không có thông tinCơ quan thực hiệnTòa án nhân dân tỉnh, thành phố") == []
    items = parse_legal_basis(f"{LEGAL}Lệnh 21/2014/L-CTN21/2014/L-CTNCơ quan thực hiệnTòa án nhân dân tối cao")
    assert [(i.number, i.title) for i in items] == [("21/2014/L-CTN", "Lệnh 21/2014/L-CTN")]


# ---------------------------------------------------------------- steps, result, levels

def test_steps_split_on_buoc_markers_with_sub_items_attached() -> None:
    steps = parse_steps("- Bước 1: Tổ chức nộp hồ sơ trên cổng Dịch vụ công quốc gia. \n- Bước 2: Cán bộ tiếp "
                        "nhận kiểm tra tính hợp lệ của hồ sơ.\n+ Nếu hồ sơ hợp lệ thì tiếp nhận.\n+ Nếu hồ sơ "
                        "chưa đầy đủ thì hướng dẫn bằng văn bản.\n- Bước 3: Trả kết quả.")
    assert len(steps) == 3
    assert steps[0] == "Bước 1: Tổ chức nộp hồ sơ trên cổng Dịch vụ công quốc gia."
    assert steps[1].endswith("+ Nếu hồ sơ chưa đầy đủ thì hướng dẫn bằng văn bản.")


def test_steps_join_lines_broken_by_the_crawler_and_split_notes() -> None:
    steps = parse_steps("- Người vận tải nộp hồ sơ đến cơ quan cấp Giấy phép vận \nchuyển hàng hóa nguy hiểm.\n"
                        "- Cơ quan cấp phép giải quyết.\n* Lưu ý:\n- Trường hợp hồ sơ chưa hợp lệ thì trả lại.")
    assert steps[0] == "Người vận tải nộp hồ sơ đến cơ quan cấp Giấy phép vận chuyển hàng hóa nguy hiểm."
    assert steps[2] == "Lưu ý:" and len(steps) == 4
    assert parse_steps("Không có thông tin") == []


def test_result_strips_codes_and_page_chrome() -> None:
    assert clean_result("Giấy khai sinhMã: KQ.G15.000031Từ khóaKhông có thông tinMô tảKhông có thông tinChọn cơ "
                        "quan thực hiệnTỉnh/ Thành phốBộ ngành-- Chọn Tỉnh/ Thành phố --Nộp hồ sơ") == "Giấy khai sinh"
    two = clean_result("Thông báo về việc giải quyết đơn trình báo mất thẻ ABTC (mẫu CV05)Mã: KQ.G01.000079Thông "
                       "báo về việc chuyển đơn trình báo mất thẻ ABTC (mẫu CV04)Mã: KQ.G01.000103Từ khóaKhông có "
                       "thông tinMô tảKhông có thông tin")
    assert two.split("\n") == ["Thông báo về việc giải quyết đơn trình báo mất thẻ ABTC (mẫu CV05)",
                               "Thông báo về việc chuyển đơn trình báo mất thẻ ABTC (mẫu CV04)"]
    assert clean_result("Quyết định hành chínhMã: 000.00.00.G11-KQ1711Từ khóaXét hưởng trợ cấp") \
        == "Quyết định hành chính"
    assert clean_result("Văn bản tố tụng của Tòa án theo tiến trình giải quyếtMã: VBTT") \
        == "Văn bản tố tụng của Tòa án theo tiến trình giải quyết"
    assert clean_result("") is None


def test_levels_are_split() -> None:
    assert parse_levels("Cấp bộ, Cấp tỉnh, Cấp xã") == ["Cấp bộ", "Cấp tỉnh", "Cấp xã"]


# ---------------------------------------------------------------- whole records

def test_birth_registration_record(parsed: dict[str, Procedure]) -> None:
    proc = parsed["1.001193"]
    assert proc.name == "Thủ tục đăng ký khai sinh" and proc.levels == ["Cấp xã"]
    assert proc.url.startswith("https://dichvucong.gov.vn/")
    assert any(d.name.startswith("Giấy chứng sinh") and d.original == 1 for d in proc.documents)
    assert {d.group for d in proc.documents} >= {"Giấy tờ phải nộp", "Giấy tờ phải xuất trình"}
    assert [c.channel for c in proc.channels] == ["Trực tuyến", "Dịch vụ bưu chính", "Trực tiếp"]
    assert "123/2015/NĐ-CP" in [b.number for b in proc.legal_basis]
    assert proc.result == "Giấy khai sinh"
    assert proc.agencies is None and proc.conditions is None and proc.related is None  # "Không có thông tin"


def test_conditions_lose_the_page_chrome(parsed: dict[str, Procedure]) -> None:
    assert parsed["1.000916"].conditions is None            # was "Không có thông tinTừ khóa...Nộp hồ sơ"
    assert parsed["1.001765"].conditions.endswith("sát hạch lái xe.")   # "\nTừ khóa:" cut


def test_crawler_splits_are_repaired(parsed: dict[str, Procedure], raw_records: dict[str, dict]) -> None:
    # "Căn cứ pháp lý" inside a fee note cut the channel table in two.
    assert raw_records["3.000344"]["cach_thuc_thuc_hien"].endswith("(")
    assert [c.channel for c in parsed["3.000344"].channels] == ["Trực tuyến", "Dịch vụ bưu chính", "Trực tiếp"]
    assert parsed["3.000344"].legal_basis == []
    # "(Thành phần hồ sơ)" inside the steps: the real document table comes from raw_text.
    assert "Tên giấy tờ" not in raw_records["1.001521"]["thanh_phan_ho_so"]
    assert len(parsed["1.001521"].documents) > 5
    assert "mục 5.3 (Thành phần hồ sơ); nộp hồ sơ" in parsed["1.001521"].steps[0]


def test_no_placeholder_and_only_nfc_text_in_any_record(parsed: dict[str, Procedure]) -> None:
    for proc in parsed.values():
        text = json.dumps(proc.to_dict(), ensure_ascii=False)
        assert "Không có thông tin" not in text, proc.code
        assert unicodedata.is_normalized("NFC", text), proc.code
        assert "Chọn cơ quan thực hiện" not in text, proc.code


def test_parse_coverage_on_the_whole_catalogue(parsed: dict[str, Procedure]) -> None:
    procs = list(parsed.values())
    assert len(procs) == 2642
    assert sum(bool(p.documents) for p in procs) / len(procs) > 0.97
    assert all(p.channels for p in procs)
    assert sum(bool(p.legal_basis) for p in procs) / len(procs) > 0.95
    numbered = [b for p in procs for b in p.legal_basis if b.number]
    assert len(numbered) / sum(len(p.legal_basis) for p in procs) > 0.98


def test_build_and_load_catalogue_round_trip(tmp_path: Path, parsed: dict[str, Procedure]) -> None:
    dest = tmp_path / "catalogue.json.gz"
    report = build_catalogue(SOURCE, dest)
    loaded = load_catalogue(dest)
    assert report.total == len(loaded) == 2642
    assert {p.code: p for p in loaded}["1.001193"] == parsed["1.001193"]
    table = report.format()
    assert "documents" in table and "channel times with unit" in table and "legal basis" in table
    assert report.anomalies["'Không có thông tin' left in output"] == 0
    assert not list(tmp_path.glob("*.tmp"))                 # written atomically, no leftovers
