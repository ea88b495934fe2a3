"""The web chat page in a real browser (Debian's Chromium driven by Playwright)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from scripts.stack import Stack
from storage.database import Database
from storage.tables import Rating
from tools.slip_photos import slip_photo

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, stack: Stack) -> Page:
    context = browser.new_context(viewport={"width": 420, "height": 800})
    page = context.new_page()
    page.goto(stack.config.app_url + "/")
    return page


def send(page: Page, text: str) -> None:
    page.get_by_label("Câu hỏi").fill(text)
    page.get_by_role("button", name="Gửi").click()


def session_id(page: Page) -> str | None:
    return page.evaluate("window.localStorage.getItem('tthc-session')")


def test_widget_answers_a_question_with_a_clickable_source_link(page: Page, tmp_path: Path) -> None:
    bot = page.locator(".tthc-bot .tthc-bubble")
    expect(bot.first).to_contain_text("Xin chào")
    send(page, "xin chào")
    expect(page.locator(".tthc-user .tthc-bubble").first).to_have_text("xin chào")
    expect(bot).to_have_count(2, timeout=30_000)

    send(page, "đăng ký khai sinh cần giấy tờ gì")
    answer = bot.filter(has_text="Giấy chứng sinh")
    expect(answer).to_have_count(1, timeout=30_000)
    link = answer.locator("a[href^='https://dichvucong.gov.vn/']")
    expect(link).to_have_count(1)
    page.screenshot(path=str(tmp_path / "widget.png"))


def test_the_server_issued_conversation_survives_a_reload(page: Page) -> None:
    assert session_id(page) is None
    send(page, "đăng ký khai sinh cần giấy tờ gì")
    expect(page.locator(".tthc-bot .tthc-bubble").filter(has_text="Giấy chứng sinh")).to_have_count(1, timeout=30_000)
    issued = session_id(page)
    assert issued and len(issued) >= 32
    page.reload()
    send(page, "còn lệ phí thì sao")                            # a follow-up: needs the same conversation
    expect(page.locator(".tthc-bot .tthc-bubble").filter(has_text="miễn phí")).to_have_count(1, timeout=30_000)
    assert session_id(page) == issued


def test_a_forgotten_conversation_starts_anew_without_an_error(page: Page) -> None:
    page.evaluate("window.localStorage.setItem('tthc-session', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')")
    page.reload()
    send(page, "xin chào")
    expect(page.locator(".tthc-bot .tthc-bubble")).to_have_count(2, timeout=30_000)
    expect(page.locator(".tthc-bot .tthc-bubble").last).to_contain_text("Em là trợ lý ảo tra cứu")
    assert session_id(page) not in (None, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")


def test_widget_buttons_send_their_payload_and_show_their_title(page: Page) -> None:
    send(page, "xin chào")
    buttons = page.locator(".tthc-buttons button")
    expect(buttons.first).to_be_visible(timeout=30_000)
    title = buttons.first.inner_text()
    replies_before = page.locator(".tthc-bot .tthc-bubble").count()
    menus_before = page.locator(".tthc-buttons").count()
    buttons.first.click()
    expect(page.locator(".tthc-user .tthc-bubble").last).to_have_text(title)
    # The greeting's first button is a procedure question: its answer, offering other procedures as the turn's one
    # menu ("was it useful?" waits for an answer without choices).
    expect(page.locator(".tthc-bot .tthc-bubble")).to_have_count(replies_before + 1, timeout=30_000)
    expect(page.locator(".tthc-buttons")).to_have_count(menus_before + 1)
    expect(page.get_by_role("button", name="👎 Chưa hữu ích")).to_have_count(0)


def test_on_a_phone_the_send_button_is_not_covered_and_icons_are_drawn(browser, stack: Stack,
                                                                       tmp_path: Path) -> None:
    page = browser.new_context(**PHONE).new_page()
    page.goto(stack.config.app_url + "/")
    send_button = page.get_by_role("button", name="Gửi")
    expect(send_button).to_be_visible()
    box = send_button.bounding_box()
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).textContent",
                        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert hit == "Gửi"                                         # nothing (the launcher) lies on top of it
    send(page, "xin chào")
    expect(page.locator(".tthc-bot .tthc-bubble")).to_have_count(2, timeout=30_000)
    assert page.locator(".tthc-header svg").count() >= 1 and page.locator(".tthc-launcher svg").count() == 1
    page.screenshot(path=str(tmp_path / "phone.png"))
    page.get_by_role("button", name="Đóng khung trò chuyện").click()
    expect(page.locator(".tthc-panel")).to_be_hidden()
    page.get_by_role("button", name="Mở trợ lý ảo thủ tục hành chính").click()
    expect(send_button).to_be_visible()


def test_rating_an_answer_with_a_thumbs_down_and_a_reason(page: Page, gateway_db: Database) -> None:
    send(page, "đăng ký kết hôn cần giấy tờ gì")
    expect(page.locator(".tthc-bot .tthc-bubble")).to_have_count(2, timeout=30_000)
    send(page, "mất bao lâu")                     # a follow-up answer without choices of its own: the rating is due
    down = page.get_by_role("button", name="👎 Chưa hữu ích")
    expect(down).to_be_visible(timeout=30_000)
    down.click()
    reason = page.get_by_role("button", name="Thiếu thông tin")
    expect(reason).to_be_visible(timeout=30_000)
    reason.click()
    expect(page.locator(".tthc-bot .tthc-bubble").last).to_contain_text("đã ghi nhận", timeout=30_000)
    sender = session_id(page)
    stored = gateway_db.call(lambda s: [(r.rating, r.reason, r.procedure_code, r.question) for r in s.scalars(
        select(Rating).where(Rating.sender_id == sender))])
    assert stored == [("down", "missing_info", "1.000894", "mất bao lâu")]


def test_the_photo_button_sends_a_slip_and_the_code_read_is_shown(page: Page, tmp_path: Path) -> None:
    slip = slip_photo("qr", random.Random(4), code="000.00.31.H45-261121-0005")
    photo = tmp_path / "phieu-hen.jpg"
    photo.write_bytes(slip.jpeg)
    expect(page.locator(".tthc-bot .tthc-bubble").first).to_contain_text("Xin chào")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Ảnh phiếu hẹn").click()
    chooser.value.set_files(str(photo))
    expect(page.locator(".tthc-user .tthc-bubble").last).to_have_text("📷 phieu-hen.jpg")
    expect(page.locator(".tthc-bot .tthc-bubble", has_text="em đọc được mã hồ sơ 000.00.31.H45-261121-0005")) \
        .to_have_count(1, timeout=30_000)
    assert session_id(page)
