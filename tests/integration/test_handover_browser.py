"""The handover round trip with both sides in the browser: a citizen on the web widget, an officer on the staff
console (Debian's Chromium, Playwright)."""
from __future__ import annotations

import re

from playwright.sync_api import expect, sync_playwright

from handover.desk import CLAIMED_TEXT, OFFICER_PREFIX, RELEASED_TEXT
from scripts.stack import Stack
from tests.integration.conftest import STAFF_ADMIN
from tests.integration.test_widget import CHROMIUM, FLAGS


def test_citizen_widget_and_officer_console_talk_through_the_gateway(stack: Stack) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        officer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        officer.goto(stack.config.app_url + "/staff/handoff")
        officer.get_by_label("Tên đăng nhập").fill(STAFF_ADMIN[0])
        officer.get_by_label("Mật khẩu").fill(STAFF_ADMIN[1])
        officer.get_by_role("button", name="Đăng nhập").click()
        expect(officer.get_by_role("heading", name="Hàng chờ")).to_be_visible()

        citizen = browser.new_context(viewport={"width": 420, "height": 800}).new_page()
        citizen.goto(stack.config.app_url + "/")
        citizen_bot = citizen.locator(".tthc-bot .tthc-bubble")

        def citizen_says(text: str) -> None:
            citizen.get_by_label("Câu hỏi").fill(text)
            citizen.get_by_role("button", name="Gửi").click()

        waiting = officer.locator("#queue li.waiting")
        officer.wait_for_timeout(2500)                                    # the queue has been read at least once
        before = waiting.count()
        citizen_says("cho tôi gặp cán bộ tư vấn")
        expect(citizen_bot.last).to_contain_text("vị trí số", timeout=30_000)
        expect(waiting).to_have_count(before + 1, timeout=10_000)        # the citizen's request: the newest
        waiting.last.click()
        officer.get_by_role("button", name="Nhận hỗ trợ").click()
        expect(citizen_bot.last).to_have_text(CLAIMED_TEXT, timeout=15_000)

        shown = citizen_bot.count()
        citizen_says("hộ chiếu làm mất mấy ngày ạ")
        expect(officer.locator("#messages li.in").last).to_have_text("hộ chiếu làm mất mấy ngày ạ", timeout=10_000)
        expect(citizen_bot).to_have_count(shown)                          # the assistant stays silent
        expect(citizen.locator(".tthc-typing")).to_have_count(0)

        officer.get_by_label("Trả lời công dân").fill("Dạ, khoảng 8 ngày làm việc ạ.")
        officer.locator("#reply-form").get_by_role("button", name="Gửi").click()
        expect(citizen_bot.last).to_have_text(OFFICER_PREFIX + "Dạ, khoảng 8 ngày làm việc ạ.", timeout=15_000)

        officer.get_by_role("button", name="Trả lại cho trợ lý ảo").click()
        expect(citizen_bot.last).to_have_text(RELEASED_TEXT, timeout=15_000)
        citizen_says("đăng ký khai sinh cần giấy tờ gì")
        expect(citizen_bot.filter(has_text="Giấy chứng sinh")).to_have_count(1, timeout=30_000)
        expect(officer.locator("#conversation-meta")).to_have_text(re.compile("Đã trả lại trợ lý ảo"))
        browser.close()
