"""The staff console in a real browser (Debian's Chromium, Playwright): sign in, search as you type without
accents, open a result from the keyboard, print the checklist, read the overdue board."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.fakes.app import RunningApp
from tests.staff.conftest import EXPECTED_ORDER, OFFICER

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


def sign_in(page: Page, app: RunningApp, target: str = "/staff") -> None:
    page.goto(app.url + target)
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.get_by_label("Tên đăng nhập").fill(OFFICER[0])
    page.get_by_label("Mật khẩu").fill(OFFICER[1])
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
    expect(rows.first.locator(".badge.late")).to_have_text("Trễ 5 ngày")
    expect(rows.nth(2).locator(".badge.today")).to_be_visible()
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {EXPECTED_ORDER[0]}")
    expect(page.get_by_text("Lê Thị Hồng Nhung")).to_be_visible()
    page.goto(staff_app.url + "/staff?q=khai+sinh")
    expect(page.locator("#results li").first).to_be_visible()
    page.get_by_label("Tìm thủ tục").press("Escape")
    expect(page.locator("#results li")).to_have_count(0)
    assert page.url.endswith("/staff")
