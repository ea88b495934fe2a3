"""Security headers on every page and answer of the gateway, HSTS only over HTTPS, and pages that still work under
the Content-Security-Policy in a real browser (Debian's Chromium)."""
from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from channels.security_headers import HSTS, SecurityHeaders
from tests.fakes.app import RunningApp

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.parametrize("path", ["/", "/static/widget.js", "/api/procedures/search?q=khai+sinh", "/staff/login",
                                  "/no-such-page", "/health/live"])
def test_every_answer_carries_the_headers(client: httpx.Client, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in headers                   # plain HTTP: no HSTS


def test_hsts_only_over_https() -> None:
    app = SecurityHeaders(Starlette(routes=[Route("/", lambda _: PlainTextResponse("ok"))]))
    assert TestClient(app, base_url="https://tthc.example.gov.vn").get("/").headers[
        "Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in TestClient(app, base_url="http://localhost").get("/").headers


def test_the_chat_page_and_the_staff_login_work_under_the_policy(gateway_app: RunningApp) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            violations: list[str] = []
            page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
            page.goto(gateway_app.url + "/")
            page.get_by_label("Câu hỏi").wait_for()                        # the widget ran and drew itself
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(243, 245, 248)"
            page.goto(gateway_app.url + "/staff/login")
            page.locator("form").first.wait_for()
            assert violations == []
        finally:
            browser.close()
