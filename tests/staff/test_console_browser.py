"""The staff console in a real browser (Debian's Chromium, Playwright): sign in, search as you type without
accents, open a result from the keyboard, print the checklist, read the overdue board."""
from __future__ import annotations

import asyncio
import random
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from feedback.store import FeedbackStore
from storage.conversations import ConversationLog
from tests.fakes.app import RunningApp
from tests.staff.conftest import ADMIN, EXPECTED_ORDER, NOW, OFFICER, signed_in
from tools.slip_photos import slip_photo

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture
def page(staff_app: RunningApp):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        yield page
        browser.close()


def sign_in(page: Page, app: RunningApp, target: str = "/staff", who: tuple[str, str] = OFFICER) -> None:
    page.goto(app.url + target)
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.get_by_label("Tên đăng nhập").fill(who[0])
    page.get_by_label("Mật khẩu").fill(who[1])
    page.get_by_role("button", name="Đăng nhập").click()


def test_sign_in_then_search_as_you_type_open_and_print(page: Page, staff_app: RunningApp, tmp_path: Path) -> None:
    sign_in(page, staff_app)
    search = page.get_by_label("Tìm thủ tục")
    expect(search).to_be_visible()
    search.press_sequentially("dang ky ket hon", delay=40)            # typed without accents, key by key
    first = page.locator("#results li").first
    expect(first).to_contain_text("kết hôn", timeout=10_000)
    assert "q=dang+ky+ket+hon" in page.url                            # the query is in the URL, ready to share
    page.screenshot(path=str(tmp_path / "search.png"))
    name = first.locator(".name").inner_text()
    search.press("ArrowDown")
    expect(first).to_have_class(re.compile(r"\bactive\b"))
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("heading", name="Thành phần hồ sơ")).to_be_visible()
    expect(page.locator(".checklist li").first).to_be_visible()
    code = page.url.rsplit("/", 1)[1]
    page.goto(f"{staff_app.url}/staff/procedures/{code}/print?noprint=1")
    expect(page.locator(".printout h1")).to_have_text(name)
    expect(page.locator(".topbar")).to_have_count(0)
    page.emulate_media(media="print")
    page.screenshot(path=str(tmp_path / "print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + \
        pdf.count(b"/Type/Page") >= 1


def test_escape_clears_and_the_overdue_board_shows_late_first(page: Page, staff_app: RunningApp) -> None:
    sign_in(page, staff_app, "/staff/dossiers")
    expect(page).to_have_url(re.compile(r"/staff/dossiers$"))
    rows = page.locator("table.board tbody tr")
    expect(rows).to_have_count(len(EXPECTED_ORDER))
    assert [rows.nth(i).get_attribute("data-code") for i in range(len(EXPECTED_ORDER))] == EXPECTED_ORDER
    expect(rows.first.locator(".badge.late")).to_have_text("Chậm 5 ngày ở khâu thẩm định hồ sơ")
    expect(rows.nth(2).locator(".badge.today")).to_be_visible()
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {EXPECTED_ORDER[0]}")
    expect(page.get_by_text("Lê Thị Hồng Nhung")).to_be_visible()
    page.goto(staff_app.url + "/staff?q=khai+sinh")
    expect(page.locator("#results li").first).to_be_visible()
    page.get_by_label("Tìm thủ tục").press("Escape")
    expect(page.locator("#results li")).to_have_count(0)
    assert page.url.endswith("/staff")


def test_analytics_charts_then_teach_a_missed_question(page: Page, staff_app: RunningApp) -> None:
    question = "hàng xóm xây lấn sang đất nhà tôi thì nộp đơn ở đâu"
    feedback = FeedbackStore(staff_app.services.db)
    staff_app.call(lambda: ConversationLog(staff_app.services.db).record("zalo", "u-browser", "in", question))
    staff_app.call(lambda: feedback.answered("zalo:u-browser", question, "no_match", None, NOW))
    sign_in(page, staff_app, "/staff/analytics")
    expect(page.get_by_role("heading", name="Thống kê trợ lý ảo")).to_be_visible()
    expect(page.locator("svg.chart").first.locator("rect").first).to_be_visible()
    row = page.locator("table.work tr", has_text=question)
    row.get_by_role("link", name="Dạy trợ lý").click()
    expect(page.get_by_label("Câu hỏi của công dân")).to_have_value(question)
    page.get_by_label("Tìm thủ tục đúng").fill("giải quyết tranh chấp đất đai")
    choice = page.locator("#teach-results li input").first
    expect(choice).to_be_visible(timeout=10_000)
    code = choice.get_attribute("value")
    choice.check()
    page.get_by_role("button", name="Lưu ví dụ").click()
    expect(page.locator("#taught tbody tr").first).to_contain_text(question)
    found = staff_app.call(lambda: asyncio.to_thread(staff_app.services.knowledge_base.search, question))
    assert found.hits[0].code == code
    page.locator("#taught tbody tr").first.get_by_role("button", name="Hoàn tác").click()
    expect(page.locator("#taught tbody tr").first).to_contain_text("Đã hoàn tác")


def test_scanning_a_slip_at_the_counter_opens_its_dossier_page(page: Page, staff_app: RunningApp,
                                                               tmp_path: Path) -> None:
    code = EXPECTED_ORDER[0]
    photo = tmp_path / "phieu-hen.jpg"
    photo.write_bytes(slip_photo("qr", random.Random(8), code=code).jpeg)
    unreadable = tmp_path / "khong-phai-anh.jpg"
    unreadable.write_bytes(b"\xff\xd8\xff\xe0" + b"\x13" * 5000)
    sign_in(page, staff_app, "/staff/dossiers")
    expect(page).to_have_url(re.compile(r"/staff/dossiers$"))
    page.locator("#slip-scan input[type=file]").set_input_files(str(unreadable))
    expect(page.locator("#slip-scan-status")).to_contain_text("JPEG")             # the reason, and the board stays
    page.locator("#slip-scan input[type=file]").set_input_files(str(photo))
    expect(page).to_have_url(re.compile(f"/staff/dossiers/{re.escape(code)}$"), timeout=30_000)
    expect(page.get_by_text("Lê Thị Hồng Nhung").first).to_be_visible()


def fresh_officer(app: RunningApp) -> tuple[str, str]:
    who = ("canbo." + uuid.uuid4().hex[:8], "mat-khau-" + uuid.uuid4().hex[:8])
    app.call(lambda: app.services.staff.accounts.create(*who, "officer", NOW))
    return who


def test_an_officer_changes_the_password_then_signs_out_everywhere(page: Page, staff_app: RunningApp) -> None:
    who = fresh_officer(staff_app)
    elsewhere = signed_in(staff_app, who)
    sign_in(page, staff_app, "/staff/account", who)
    page.get_by_label("Mật khẩu hiện tại").fill(who[1])
    page.get_by_label("Mật khẩu mới").fill("mat-khau-moi-trinh")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator("#password-result")).to_have_text("Đã đổi mật khẩu; các phiên khác đã được đăng xuất.")
    assert elsewhere.get("/api/staff/me").status_code == 401
    page.get_by_role("button", name="Đăng xuất khỏi mọi thiết bị").click()
    expect(page).to_have_url(re.compile(r"/staff/login$"))
    page.goto(staff_app.url + "/staff/account")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    elsewhere.close()


def test_an_administrator_disables_an_account_from_the_list(page: Page, staff_app: RunningApp) -> None:
    who = fresh_officer(staff_app)
    victim = signed_in(staff_app, who)
    sign_in(page, staff_app, "/staff/users", ADMIN)
    row = page.locator("tr", has_text=who[0])
    row.get_by_role("button", name="Khoá tài khoản").click()
    expect(row).to_contain_text("Đã khoá")
    assert victim.get("/api/staff/me").status_code == 401
    row.get_by_role("button", name="Mở khoá").click()
    expect(row).to_contain_text("Đang hoạt động")
    victim.close()
