"""An administrator takes over or reassigns a handover request from the console (audited); officers cannot."""
from __future__ import annotations

import httpx

from tests.fakes.app import RunningApp
from tests.staff.conftest import ADMIN, OFFICER


def test_an_administrator_takes_over_and_reassigns_a_claim(staff_app: RunningApp, officer: httpx.Client,
                                                          admin: httpx.Client) -> None:
    desk = staff_app.services.handover
    staff_app.call(lambda: desk.request("web:reassign-me", "asked", None))
    handoff = staff_app.call(lambda: desk.store.open_for("web", "reassign-me"))
    assert officer.post(f"/api/staff/handoffs/{handoff.id}/claim").json()["claimed_by"] == OFFICER[0]
    path = f"/api/staff/handoffs/{handoff.id}/reassign"
    assert officer.post(path, json={}).status_code == 403
    assert admin.post(path, json={}, headers={"X-CSRF-Token": ""}).status_code == 403
    taken = admin.post(path)                                                    # as the console's button sends it
    assert taken.status_code == 200 and (taken.json()["claimed_by"], taken.json()["mine"]) == (ADMIN[0], True)
    refused = officer.post(f"/api/staff/handoffs/{handoff.id}/messages", json={"text": "Chào anh"})
    assert refused.status_code == 409                                           # no longer the officer's
    assert admin.post(path, json={"to": "khong.co.ai"}).status_code == 422
    back = admin.post(path, json={"to": OFFICER[0]})
    assert back.status_code == 200 and back.json()["claimed_by"] == OFFICER[0]
    assert officer.post(f"/api/staff/handoffs/{handoff.id}/messages", json={"text": "Chào anh"}).status_code == 201
    trail = admin.get("/api/staff/audit", params={"subject": f"handoff:{handoff.id}"}).json()
    assert [(e["username"], e["action"]) for e in trail if e["action"] == "reassign_handoff"] == \
        [(ADMIN[0], "reassign_handoff")] * 2
    assert officer.post(f"/api/staff/handoffs/{handoff.id}/close").status_code == 200
    assert admin.post(path, json={}).status_code == 409
