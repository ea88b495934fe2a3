"""The web chat page in a real browser (Debian's Chromium driven by Playwright)."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from scripts.stack import Stack

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture
def page(stack: Stack):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 420, "height": 800})
        page = context.new_page()
        page.goto(stack.config.app_url + "/")
        yield page
        browser.close()


def send(page: Page, text: str) -> None:
    page.get_by_label("Câu hỏi").fill(text)
    page.get_by_role("button", name="Gửi").click()


def test_widget_answers_a_question_with_a_clickable_source_link(page: Page, tmp_path: Path) -> None:
    bot = page.locator(".tthc-bot .tthc-bubble")
    expect(bot.first).to_contain_text("Xin chào")
    send(page, "xin chào")
    expect(page.locator(".tthc-user .tthc-bubble").first).to_have_text("xin chào")
    expect(bot).to_have_count(2, timeout=30_000)

    send(page, "đăng ký khai sinh cần giấy tờ gì")
    expect(bot.last).to_contain_text("Giấy chứng sinh", timeout=30_000)
    link = bot.last.locator("a[href^='https://dichvucong.gov.vn/']")
    expect(link).to_have_count(1)
    page.screenshot(path=str(tmp_path / "widget.png"))


def test_widget_buttons_send_their_payload_and_show_their_title(page: Page) -> None:
    send(page, "xin chào")
    buttons = page.locator(".tthc-buttons button")
    expect(buttons.first).to_be_visible(timeout=30_000)
    title = buttons.first.inner_text()
    replies_before = page.locator(".tthc-bot .tthc-bubble").count()
    buttons.first.click()
    expect(page.locator(".tthc-user .tthc-bubble").last).to_have_text(title)
    expect(page.locator(".tthc-bot .tthc-bubble")).to_have_count(replies_before + 1, timeout=30_000)
