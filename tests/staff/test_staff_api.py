"""The staff console's routes: who may call them, CSRF, throttled sign-in, search, the overdue board, dossiers
with their audit trail, accounts."""
from __future__ import annotations

import re
import subprocess
import uuid
import sys

import httpx
import pytest
from sqlalchemy import delete

from settings import ROOT
from storage.tables import DossierAccess
from tests.fakes.app import RunningApp
from tests.staff.conftest import ADMIN, EXPECTED_ORDER, OFFICER

PROTECTED_API = ["/api/staff/me", "/api/staff/procedures/search?q=khai+sinh", "/api/staff/dossiers",
                 "/api/staff/dossiers/000.00.12.H45-261101-0001", "/api/staff/audit", "/api/staff/handoffs",
                 "/api/staff/handoffs/1", "/api/staff/outbox"]
PROTECTED_PAGES = ["/staff", "/staff?q=khai+sinh", "/staff/procedures/1.001193", "/staff/procedures/1.001193/print",
                   "/staff/dossiers", "/staff/dossiers/000.00.12.H45-261101-0001", "/staff/handoff",
                   "/staff/outbox"]


@pytest.mark.parametrize("path", PROTECTED_API)
def test_the_api_refuses_citizens(anonymous: httpx.Client, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 401 and "đăng nhập" in response.json()["detail"]
    forged = anonymous.get(path, cookies={"tthc_staff": "forged-session-token"})
    assert forged.status_code == 401


@pytest.mark.parametrize("path", PROTECTED_PAGES)
def test_pages_send_citizens_to_the_sign_in_page(anonymous: httpx.Client, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login?next=%2Fstaff")
    assert "Lê Thị" not in response.text and "Thành phần hồ sơ" not in response.text


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(staff_app: RunningApp) -> None:
    with httpx.Client(base_url=staff_app.url) as client:
        response = client.post("/api/staff/login", json={"username": OFFICER[0], "password": OFFICER[1]})
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie   # plain http here
        csrf = response.json()["csrf_token"]
        assert client.get("/api/staff/me").json()["username"] == OFFICER[0]
        assert client.post("/api/staff/logout").status_code == 403                       # no CSRF token
        assert client.post("/api/staff/logout", headers={"X-CSRF-Token": "x" * 32}).status_code == 403
        assert client.post("/api/staff/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        assert client.get("/api/staff/me").status_code == 401


def test_wrong_passwords_are_refused_then_throttled(anonymous: httpx.Client) -> None:
    statuses = [anonymous.post("/api/staff/login", json={"username": "ke.do.mat.khau", "password": f"sai-{n}"}
                               ).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    assert anonymous.post("/api/staff/login", json={"username": "x"}).status_code == 422


def test_officers_search_like_the_chat(officer: httpx.Client) -> None:
    body = officer.get("/api/staff/procedures/search", params={"q": "dang ky khai sinh"}).json()
    assert body["results"][0]["code"] == "1.001193" and body["took_ms"] >= 0
    land = officer.get("/api/staff/procedures/search", params={"q": "cấp giấy chứng nhận", "group": "bo-nong-nghiep-mt"})
    assert land.json()["results"] and all(r["source_group"] == "bo-nong-nghiep-mt" for r in land.json()["results"])
    assert officer.get("/api/staff/procedures/search", params={"q": " "}).status_code == 422


def test_the_board_puts_the_latest_first_then_due_today(officer: httpx.Client) -> None:
    rows = officer.get("/api/staff/dossiers").json()
    ours = [r for r in rows if r["code"] in EXPECTED_ORDER]
    assert [r["code"] for r in ours] == EXPECTED_ORDER
    assert [r["state"] for r in ours] == ["late", "late", "due_today", "on_time", "closed"]
    assert [r["days_late"] for r in ours][:2] == [5, 2]
    assert [r["lateness"] for r in ours] == [["chậm 5 ngày ở khâu thẩm định hồ sơ"],
                                             ["chậm 2 ngày ở khâu thẩm định hồ sơ"], [], [], []]
    assert all("applicant_name" not in r and "phone" not in r for r in rows)        # personal data: dossier page
    land = officer.get("/api/staff/dossiers", params={"office": "đất đai"}).json()
    assert {r["code"] for r in land} == {c for c in EXPECTED_ORDER if c.startswith("000.00.15")}
    assert [r["code"] for r in officer.get("/api/staff/dossiers", params={"status": "returned"}).json()] == \
        ["000.00.15.H45-261101-0005"]


def test_a_dossier_view_shows_the_person_and_is_audited(officer: httpx.Client, admin: httpx.Client) -> None:
    code = "000.00.12.H45-261101-0001"
    view = officer.get(f"/api/staff/dossiers/{code}").json()
    assert view["dossier"]["applicant_name"] == "Lê Thị Hồng Nhung" and view["days_late"] == 2
    assert view["history"][0]["changes"] == ["created"]
    page = officer.get(f"/staff/dossiers/{code}")
    assert "Lê Thị Hồng Nhung" in page.text and "nhật ký truy cập" in page.text
    assert "Chậm 2 ngày ở khâu thẩm định hồ sơ" in page.text and "Trễ" not in page.text
    assert "(tạo mới)" in page.text and "created" not in page.text
    trail = admin.get("/api/staff/audit", params={"subject": code}).json()
    assert [(e["username"], e["action"]) for e in trail[:2]] == [(OFFICER[0], "view_dossier")] * 2
    assert officer.get("/api/staff/dossiers/000.00.12.H45-261101-9999").status_code == 404


def test_only_administrators_read_the_audit_log_and_create_accounts(officer: httpx.Client,
                                                                    admin: httpx.Client) -> None:
    assert officer.get("/api/staff/audit").status_code == 403
    account = {"username": "canbo.binh", "password": "mat-khau-moi-123", "role": "officer"}
    assert officer.post("/api/staff/users", json=account).status_code == 403
    no_csrf = admin.post("/api/staff/users", json=account, headers={"X-CSRF-Token": ""})
    assert no_csrf.status_code == 403
    assert admin.post("/api/staff/users", json=account).status_code == 201
    assert admin.post("/api/staff/users", json=account).status_code == 409
    assert admin.post("/api/staff/users", json={**account, "username": "Có Dấu"}).status_code == 422


def test_pages_render_the_whole_procedure_and_a_print_view(officer: httpx.Client, staff_app: RunningApp) -> None:
    birth = staff_app.services.knowledge_base.get("1.001193")
    page = officer.get("/staff/procedures/1.001193").text
    assert page.count('<span class="box"') == len(birth.documents)                   # every document, uncapped
    assert "Sao chép danh sách giấy tờ" in page and birth.url in page
    printed = officer.get("/staff/procedures/1.001193/print").text
    assert "Danh sách giấy tờ cần chuẩn bị" in printed and 'class="topbar"' not in printed
    shared = officer.get("/staff", params={"q": "lam lai cccd bi mat"}).text
    assert "/staff/procedures/" in shared                                            # a shared URL opens with results
    assert officer.get("/staff/procedures/9.999999").status_code == 404


def test_the_command_line_creates_accounts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"TTHC_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}", "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "staff", "create-user", "canbo.cli", "--role", "admin", "--password-stdin"]
    ok = subprocess.run(command, input="mat-khau-dai-du\n", capture_output=True, text=True, env=env, cwd=ROOT)
    assert ok.returncode == 0 and "canbo.cli (admin)" in ok.stdout
    again = subprocess.run(command, input="mat-khau-dai-du\n", capture_output=True, text=True, env=env, cwd=ROOT)
    assert again.returncode == 1 and "đã tồn tại" in again.stderr
    short = subprocess.run(command[:4] + ["canbo.moi", "--password-stdin"], input="ngan\n", capture_output=True, text=True,
                           env=env, cwd=ROOT)
    assert short.returncode == 1 and "ít nhất 8" in short.stderr


@pytest.mark.parametrize("action", ["claim", "messages", "release", "close"])
def test_handover_actions_need_a_session_and_the_csrf_token(anonymous: httpx.Client, officer: httpx.Client,
                                                             action: str) -> None:
    body = {"text": "Chào anh"} if action == "messages" else None
    assert anonymous.post(f"/api/staff/handoffs/1/{action}", json=body).status_code == 401
    assert officer.post(f"/api/staff/handoffs/1/{action}", json=body, headers={"X-CSRF-Token": "forged"}
                        ).status_code == 403
    assert officer.post(f"/api/staff/handoffs/999999/{action}", json=body).status_code == 404


def test_the_handover_queue_and_page_are_there_for_officers(officer: httpx.Client, staff_app: RunningApp) -> None:
    queue = officer.get("/api/staff/handoffs").json()         # other tests of this app may have asked for officers
    assert [h["id"] for h in queue] == [h.id for h in staff_app.call(staff_app.services.handover.store.queue)]
    assert "Hàng chờ" in officer.get("/staff/handoff").text


@pytest.mark.parametrize("method, path", [("GET", ""), ("POST", "/claim"), ("POST", "/messages"), ("POST", "/release"),
                                          ("POST", "/close")])
def test_handover_ids_past_what_the_database_holds_are_refused_not_a_crash(officer: httpx.Client, method: str,
                                                                          path: str) -> None:
    body = {"text": "Chào anh"} if path == "/messages" else None
    for handoff_id in (2**64, 2**31, 0):              # 2**64 overflowed the SQLite driver: a 500 before
        response = officer.request(method, f"/api/staff/handoffs/{handoff_id}{path}", json=body)
        assert response.status_code == 422 and response.json()["detail"] == "Yêu cầu không hợp lệ.", response.text
    cursor = officer.get("/api/staff/handoffs/1", params={"after": 2**63})
    assert cursor.status_code == 422 and cursor.json()["errors"][0].startswith("after:")


def test_every_officer_read_of_a_conversation_and_each_contact_phone_shown_is_audited(
        staff_app: RunningApp, officer: httpx.Client, admin: httpx.Client) -> None:
    desk = staff_app.services.handover
    sender = "audit-" + uuid.uuid4().hex[:8]
    staff_app.call(lambda: desk.request(f"web:{sender}", "asked", None))
    staff_app.call(lambda: desk.note_contact("web", sender, "số em là 0912 345 678"))
    [handoff] = [h for h in officer.get("/api/staff/handoffs").json() if h["contact_phone"] == "0912345678"]
    subject = f"handoff:{handoff['id']}"

    def trail() -> list[tuple[str, str]]:
        return [(e["username"], e["action"]) for e in admin.get("/api/staff/audit", params={"subject": subject}).json()]

    assert trail() == [(OFFICER[0], "view_contact_phone")]
    assert officer.get(f"/api/staff/handoffs/{handoff['id']}", params={"after": 5}).status_code == 200
    assert trail() == [(OFFICER[0], "view_conversation"), (OFFICER[0], "view_contact_phone")]
    officer.get(f"/api/staff/handoffs/{handoff['id']}", params={"after": 6})    # a live update: already audited
    admin.get(f"/api/staff/handoffs/{handoff['id']}", params={"after": 6})      # another officer: audited
    assert trail() == [(ADMIN[0], "view_conversation"), (OFFICER[0], "view_conversation"),
                       (OFFICER[0], "view_contact_phone")]


def test_the_board_warns_while_dossier_lookups_are_paused(staff_app: RunningApp, officer: httpx.Client) -> None:
    assert 'id="lookups-paused"' not in officer.get("/staff/dossiers").text
    assistant = staff_app.services.dossier_assistant
    policy = assistant.policy
    for n in range(policy.max_wrong_per_minute):                  # a guesser across many codes and addresses
        staff_app.call(lambda n=n: assistant.verify(f"web:guess-{n}", f"H45.22-231015-{n:04d}", "1234", f"a{n}"))
    page = officer.get("/staff/dossiers").text
    assert 'id="lookups-paused"' in page and "tạm dừng" in page
    staff_app.call(lambda: staff_app.services.db.run(lambda s: s.execute(
        delete(DossierAccess).where(DossierAccess.conversation_id.like("web:guess-%")))))   # leave no pause behind


def test_the_overdue_board_is_paged_with_its_filters_in_the_links(officer: httpx.Client,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("staff.web.pages.BOARD_PAGE", 2)
    codes = lambda html: re.findall(r'<tr class="[^"]*" data-code="([^"]+)"', html)   # noqa: E731
    first = officer.get("/staff/dossiers", params={"office": "đất đai"}).text
    assert codes(first) == ["000.00.15.H45-261101-0003", "000.00.15.H45-261101-0004"]
    assert "3 hồ sơ, đang xem 1–2" in first
    following = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert following == "/staff/dossiers?office=%C4%91%E1%BA%A5t+%C4%91ai&page=2"
    assert codes(officer.get(following).text) == ["000.00.15.H45-261101-0005"]
    assert codes(officer.get("/staff/dossiers", params={"office": "đất đai", "page": 9}).text) == \
        ["000.00.15.H45-261101-0005"]                                       # past the end: the last page
