"""What a citizen and an officer meet in Chromium, keyboard only where it matters: the widget (its conversation
restored after a reload, a message queued while one is pending, a long answer opened at its top, visible focus,
Esc, used choices disabled) and the hand-over page (queue, claim, reply, hand back); then axe-core on every page at
desktop and phone sizes, with a screenshot of each in tests/browser/screenshots (git-ignored)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from handover.desk import CLAIMED_TEXT, OFFICER_PREFIX, RELEASED_TEXT
from scripts.stack import Stack
from tests.integration.conftest import STAFF_ADMIN, register_dossier
from tests.integration.test_widget import CHROMIUM, FLAGS

BROWSER_DIR = Path(__file__).resolve().parents[1] / "browser"
AXE = BROWSER_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = BROWSER_DIR / "screenshots"
SIZES = {"desktop": {"viewport": {"width": 1366, "height": 768}},
         "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}
ANSWER_WAIT = 30_000
LONG_QUESTION = "đăng ký khai sinh cần giấy tờ gì"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def officer_state(browser: Browser, stack: Stack) -> dict:
    """A signed-in officer's cookies, for every staff page opened later."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(stack.config.app_url + "/staff/login")
    page.get_by_label("Tên đăng nhập").fill(STAFF_ADMIN[0])
    page.get_by_label("Mật khẩu").fill(STAFF_ADMIN[1])
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_label("Tìm thủ tục")).to_be_visible()
    state = context.storage_state()
    context.close()
    return state


def chat_page(browser: Browser, stack: Stack, size: str = "desktop", audited: bool = False) -> Page:
    """The chat page; `audited`: ready for axe-core, which the test injects past the page's CSP (the pages' own
    compliance with their CSP is tests/channels/test_security_headers.py's)."""
    page = browser.new_context(bypass_csp=audited, **SIZES[size]).new_page()
    page.goto(stack.config.app_url + "/")
    expect(page.locator(".tthc-bot .tthc-bubble").first).to_contain_text("Xin chào")
    return page


def send(page: Page, text: str) -> None:
    page.get_by_label("Câu hỏi").fill(text)
    page.get_by_label("Câu hỏi").press("Enter")


def bot_bubbles(page: Page):
    return page.locator(".tthc-bot .tthc-bubble")


def focused(page: Page) -> dict:
    """The focused element: what it is and whether a focus mark is drawn."""
    return page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
        return {tag: e.tagName, text: (e.getAttribute('aria-label') || e.textContent || '').trim(), id: e.id,
                cls: e.className && e.className.baseVal === undefined ? e.className : '',
                ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}; }""")


def tab_until(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching `selector` has the focus (only the keyboard moves)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_widget_by_keyboard_only(browser: Browser, stack: Stack) -> None:
    page = chat_page(browser, stack)
    launcher = page.locator(".tthc-launcher")
    assert focused(page)["text"] == "Câu hỏi" and focused(page)["ring"]        # open at load, the input ringed
    expect(launcher).to_be_hidden()                                             # not under the panel, not tabbable
    panel, snippet = (page.locator(s).bounding_box() for s in (".tthc-panel", "main code"))
    assert snippet["x"] + snippet["width"] <= panel["x"] or snippet["y"] >= panel["y"] + panel["height"]  # in view
    page.keyboard.press("Escape")
    expect(page.locator(".tthc-panel")).to_be_hidden()
    assert focused(page)["text"] == "Mở trợ lý ảo thủ tục hành chính" and focused(page)["ring"]
    page.keyboard.press("Enter")
    expect(page.get_by_label("Câu hỏi")).to_be_focused()
    page.keyboard.type("xin chào")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Gửi" and focused(page)["ring"]
    page.keyboard.press("Enter")
    choices = page.locator(".tthc-buttons").last.locator("button")
    expect(choices.first).to_be_visible(timeout=ANSWER_WAIT)
    answered = bot_bubbles(page).count()
    expect(page.get_by_label("Câu hỏi")).to_be_focused()                        # ready for the next question …
    page.keyboard.press("Shift+Tab")                                            # … or, back past the photo button,
    assert focused(page)["text"] == "Ảnh phiếu hẹn" and focused(page)["ring"]
    page.keyboard.press("Shift+Tab")                                            # … the last choice
    picked = focused(page)
    assert picked["tag"] == "BUTTON" and picked["ring"] and picked["text"] == choices.last.inner_text()
    page.keyboard.press("Enter")
    expect(page.locator(".tthc-user .tthc-bubble").last).to_have_text(picked["text"])
    for i in range(choices.count()):                                            # a used menu cannot be used again
        expect(choices.nth(i)).to_be_disabled()
    expect(bot_bubbles(page).nth(answered)).to_be_visible(timeout=ANSWER_WAIT)     # the picked one answered
    tab_until(page, ".tthc-close")
    assert focused(page)["ring"]
    page.keyboard.press("Enter")
    expect(page.locator(".tthc-panel")).to_be_hidden()
    expect(launcher).to_be_focused()


def test_a_long_answer_opens_at_its_top_and_a_message_sent_meanwhile_waits_its_turn(browser: Browser,
                                                                                  stack: Stack) -> None:
    page = chat_page(browser, stack, "phone")
    send(page, LONG_QUESTION)
    answer = bot_bubbles(page).filter(has_text="Giấy chứng sinh")
    expect(answer).to_have_count(1, timeout=ANSWER_WAIT)
    tops = page.evaluate("""() => { const log = document.querySelector('.tthc-log').getBoundingClientRect();
        const rows = document.querySelectorAll('.tthc-bot'); const last = rows[rows.length - 1].getBoundingClientRect();
        return {log: log.top, answer: last.top, tall: last.height > log.height}; }""")
    assert tops["tall"], "the answer should be taller than the log for this check to mean anything"
    assert tops["log"] <= tops["answer"] <= tops["log"] + 40                   # its first line is in view

    user = page.locator(".tthc-user .tthc-bubble")
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:                                  # the next question waits at the door
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/chat", hold_the_first)
    send(page, "đăng ký kết hôn cần giấy tờ gì")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    send(page, "mất bao lâu")                                                   # typed while the first is pending
    expect(page.locator(".tthc-queued")).to_have_count(1)
    held[0].continue_()
    expect(page.get_by_label("Câu hỏi")).to_have_value("")
    expect(user).to_have_count(3)
    rating = page.get_by_role("button", name="👎 Chưa hữu ích")                # the second answer: rating due
    expect(rating).to_be_visible(timeout=2 * ANSWER_WAIT)
    expect(page.locator(".tthc-queued")).to_have_count(0)
    order = page.evaluate("""() => Array.from(document.querySelectorAll('.tthc-msg'))
        .map(r => (r.classList.contains('tthc-user') ? 'U:' : 'B:') + r.textContent.slice(0, 60))""")
    asked = [i for i, line in enumerate(order) if line.startswith("U:")]
    assert [order[i][2:] for i in asked] == [LONG_QUESTION, "đăng ký kết hôn cần giấy tờ gì", "mất bao lâu"]
    assert order[asked[1] + 1].startswith("B:") and order[asked[2] + 1].startswith("B:")  # each answered in turn
    heights = page.locator(".tthc-buttons").last.locator("button").evaluate_all(
        "bs => bs.map(b => b.getBoundingClientRect().height)")
    assert heights and min(heights) >= 44                                       # rating chips a thumb can hit
    answers = bot_bubbles(page).count()
    rating.click()
    expect(rating).to_be_disabled()
    expect(page.get_by_role("button", name="👍 Hữu ích")).to_be_disabled()
    expect(bot_bubbles(page)).to_have_count(answers + 1, timeout=ANSWER_WAIT)

    shown = page.evaluate("() => Array.from(document.querySelectorAll('.tthc-bubble')).map(b => b.textContent)")
    page.reload()
    expect(bot_bubbles(page)).to_have_count(answers + 1, timeout=10_000)
    restored = page.evaluate("() => Array.from(document.querySelectorAll('.tthc-bubble')).map(b => b.textContent)")
    assert restored == shown                                                    # the same bubbles, same order


def test_the_hand_over_page_by_keyboard_and_the_officer_words_after_a_reload(browser: Browser, stack: Stack,
                                                                            officer_state: dict) -> None:
    citizen = chat_page(browser, stack)
    send(citizen, "cho tôi gặp cán bộ tư vấn")
    expect(bot_bubbles(citizen).last).to_contain_text("vị trí số", timeout=ANSWER_WAIT)
    sender = citizen.evaluate("window.localStorage.getItem('tthc-session')")

    officer = browser.new_context(storage_state=officer_state, **SIZES["desktop"]).new_page()
    officer.goto(stack.config.app_url + "/staff/handoff")
    request = officer.locator("#queue li.waiting").last
    expect(request).to_be_visible(timeout=10_000)
    request_id = request.get_attribute("data-id")
    tab_until(officer, f'#queue li[data-id="{request_id}"] button')
    assert focused(officer)["ring"]
    officer.keyboard.press("Enter")
    claim, release, close = (officer.locator(s) for s in ("#claim", "#release", "#close"))
    expect(claim).to_be_visible()
    for hidden in (release, close, officer.locator("#reply-form")):           # only what a waiting request allows
        expect(hidden).to_be_hidden()
    tab_until(officer, "#claim")
    officer.keyboard.press("Enter")
    expect(bot_bubbles(citizen).last).to_have_text(CLAIMED_TEXT, timeout=15_000)
    expect(claim).to_be_hidden()
    expect(officer.get_by_label("Trả lời công dân")).to_be_focused()
    officer.keyboard.type("Dạ, khoảng 8 ngày làm việc ạ.")
    officer.keyboard.press("Tab")
    officer.keyboard.press("Enter")
    expect(bot_bubbles(citizen).last).to_have_text(OFFICER_PREFIX + "Dạ, khoảng 8 ngày làm việc ạ.", timeout=15_000)
    officer.locator("#messages").focus()                                        # the pane takes the focus …
    assert focused(officer)["id"] == "messages" and focused(officer)["ring"]
    tab_until(officer, "#release")                                              # … and Tab goes on from it
    officer.keyboard.press("Enter")
    expect(bot_bubbles(citizen).last).to_have_text(RELEASED_TEXT, timeout=15_000)
    for hidden in (claim, release, close, officer.locator("#reply-form")):     # a handed-back request: nothing
        expect(hidden).to_be_hidden()
    expect(officer.locator("#actions-none")).to_be_visible()

    history = httpx.get(f"{stack.config.app_url}/api/chat/{sender}/history", timeout=30).json()
    texts = [(m["from_citizen"], m["text"]) for m in history["messages"]]
    assert texts[0] == (True, "cho tôi gặp cán bộ tư vấn") and texts[-1] == (False, RELEASED_TEXT)
    assert (False, OFFICER_PREFIX + "Dạ, khoảng 8 ngày làm việc ạ.") in texts
    assert [m["id"] for m in history["messages"]] == sorted(m["id"] for m in history["messages"])
    citizen.reload()
    expect(bot_bubbles(citizen).last).to_have_text(RELEASED_TEXT, timeout=10_000)
    expect(bot_bubbles(citizen).filter(has_text=OFFICER_PREFIX)).to_have_count(1)
    citizen.wait_for_timeout(1500)                                              # a pushed message is not shown twice
    expect(bot_bubbles(citizen).filter(has_text=RELEASED_TEXT)).to_have_count(1)
    assert httpx.get(f"{stack.config.app_url}/api/chat/{'A' * 32}/history", timeout=30).status_code == 403


def test_the_favicon_is_served(stack: Stack) -> None:
    response = httpx.get(stack.config.app_url + "/favicon.ico", timeout=30)
    assert response.status_code == 200 and response.headers["content-type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"


# ------------------------------------------------------------------------------------------------ axe-core


def axe_violations(page: Page) -> list[str]:
    """Every axe-core violation on the page (all rules but the experimental ones), one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                          ".map(v => v.id + ' x' + v.nodes.length + ': ' + v.nodes.slice(0, 3)"
                          ".map(n => n.target.join(' ')).join(', '))")
    return found


@pytest.fixture(scope="module")
def dossier(stack: Stack) -> str:
    return register_dossier(stack)


def staff_pages(dossier: str) -> dict[str, tuple[str, str]]:
    """name -> (path, a selector that shows the page is ready)."""
    return {"staff-search": ("/staff?q=dang+ky+khai+sinh", "#results li"),
            "procedure": ("/staff/procedures/1.001193", ".checklist li"),
            "procedure-print": ("/staff/procedures/1.001193/print?noprint=1", ".printout h1"),
            "dossiers": ("/staff/dossiers", "table.board tbody tr"),
            "dossier": (f"/staff/dossiers/{dossier}", "h1"),
            "analytics": ("/staff/analytics", "svg.chart"),
            "teach": ("/staff/teach?question=lam+lai+can+cuoc", "#teach-results li")}


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_has_no_axe_violation(browser: Browser, stack: Stack, officer_state: dict, dossier: str,
                                         size: str) -> None:
    assert AXE.exists(), "axe-core is missing: make test installs it (npm ci --prefix tests/browser)"
    SCREENSHOTS.mkdir(exist_ok=True)
    found: dict[str, list[str]] = {}

    citizen = chat_page(browser, stack, size, audited=True)
    send(citizen, LONG_QUESTION)
    expect(bot_bubbles(citizen).filter(has_text="Giấy chứng sinh")).to_have_count(1, timeout=ANSWER_WAIT)
    found["chat"] = axe_violations(citizen)
    citizen.screenshot(path=str(SCREENSHOTS / f"chat-{size}.png"))

    officer = browser.new_context(storage_state=officer_state, bypass_csp=True, **SIZES[size]).new_page()
    for name, (path, ready) in staff_pages(dossier).items():
        officer.goto(stack.config.app_url + path)
        expect(officer.locator(ready).first).to_be_visible(timeout=15_000)
        found[name] = axe_violations(officer)
        officer.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True)
        width = SIZES[size]["viewport"]["width"]                                # usable on a phone:
        cut = officer.locator("main *").evaluate_all("""(els, width) => els.filter(e => {
            for (let up = e.parentElement; up && up.tagName !== 'MAIN'; up = up.parentElement)
                if (['auto', 'scroll'].includes(getComputedStyle(up).overflowX)) return false;   // scrolls sideways
            return e.getBoundingClientRect().right > width + 1; }).map(e => e.tagName + '.' + e.className)""", width)
        assert cut == [], f"{name} ({size}) is cut off at the right"
        menu = officer.locator(".topbar nav a").evaluate_all("links => links.map(a => a.getBoundingClientRect().top)")
        assert len(set(menu)) <= 1, f"the menu wraps on {name} ({size})"

    send(citizen, "cho tôi gặp cán bộ tư vấn")
    expect(bot_bubbles(citizen).last).to_contain_text("vị trí số", timeout=ANSWER_WAIT)
    officer.goto(stack.config.app_url + "/staff/handoff")
    request = officer.locator("#queue li.waiting").last
    expect(request).to_be_visible(timeout=10_000)
    request.click()
    officer.locator("#claim").click()
    expect(officer.locator("#reply-form")).to_be_visible()
    expect(officer.locator("#messages li").first).to_be_visible()
    found["handoff"] = axe_violations(officer)
    officer.screenshot(path=str(SCREENSHOTS / f"handoff-{size}.png"), full_page=True)
    officer.locator("#release").click()
    expect(bot_bubbles(citizen).last).to_have_text(RELEASED_TEXT, timeout=15_000)

    for name, violations in found.items():                                     # the list, for the report (-s)
        print(f"axe {size} {name}: {violations or 'none'}")
    assert {name: v for name, v in found.items() if v} == {}
