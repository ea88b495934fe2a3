"""At the counter: an officer scans or photographs a slip and the dossier page opens; the scan and the view are
audited, the photo is not kept."""
from __future__ import annotations

import random

import httpx

from tests.staff.conftest import OFFICER
from tools.slip_photos import slip_photo

CODE = "000.00.12.H45-261101-0001"          # on the board (tests/staff/conftest.py)


def scan(client: httpx.Client, data: bytes, content_type: str = "image/jpeg") -> httpx.Response:
    return client.post("/api/staff/dossiers/photo", content=data, headers={"Content-Type": content_type})


def test_a_scanned_slip_opens_its_dossier_page_and_both_are_audited(officer: httpx.Client,
                                                                     admin: httpx.Client) -> None:
    response = scan(officer, slip_photo("qr", random.Random(5), code=CODE).jpeg)
    assert response.status_code == 200
    assert response.json() == {"code": CODE, "page": f"/staff/dossiers/{CODE}"}
    page = officer.get(response.json()["page"])
    assert page.status_code == 200 and "Lê Thị Hồng Nhung" in page.text
    trail = admin.get("/api/staff/audit", params={"subject": CODE}).json()
    assert [(e["username"], e["action"]) for e in trail[:2]] == [(OFFICER[0], "view_dossier"),
                                                                 (OFFICER[0], "scan_slip")]


def test_a_slip_of_an_unknown_dossier_or_without_a_code_is_refused_with_a_reason(officer: httpx.Client) -> None:
    unknown = scan(officer, slip_photo("qr", random.Random(6), code="000.00.12.H45-261101-9998").jpeg)
    assert unknown.status_code == 404 and "000.00.12.H45-261101-9998" in unknown.json()["detail"]
    codeless = scan(officer, b"\xff\xd8\xff\xe0" + b"\x13" * 5000)
    assert codeless.status_code == 422 and "JPEG" in codeless.json()["detail"]
    assert scan(officer, b"%PDF-1.7", "application/pdf").status_code == 415


def test_scanning_needs_a_session_and_the_csrf_token(anonymous: httpx.Client, officer: httpx.Client) -> None:
    photo = slip_photo("qr", random.Random(5), code=CODE).jpeg
    assert scan(anonymous, photo).status_code == 401
    del officer.headers["X-CSRF-Token"]
    assert scan(officer, photo).status_code == 403


def test_the_board_offers_the_scan(officer: httpx.Client) -> None:
    page = officer.get("/staff/dossiers")
    assert 'id="slip-scan"' in page.text and 'accept="image/jpeg,image/png,image/webp"' in page.text
