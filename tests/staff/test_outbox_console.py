"""Messages the assistant gave up on, in the staff console: listed with their reason (no personal data), put back
in the queue with a button and a route (CSRF-checked, audited). That the relay then sends them is proven in
tests/channels/test_outbox_relay.py."""
from __future__ import annotations

import httpx

from storage.outbox import FAILED, PENDING, Outbox
from tests.fakes.app import RunningApp
from tests.staff.conftest import OFFICER


def test_a_failed_message_is_listed_and_put_back_in_the_queue(staff_app: RunningApp, officer: httpx.Client,
                                                             admin: httpx.Client) -> None:
    outbox = Outbox(staff_app.services.db)
    entry = staff_app.call(lambda: outbox.add("zalo", "zalo-user-4711", {"text": "Hồ sơ đã có kết quả"}, FAILED))
    listed = officer.get("/api/staff/outbox").json()
    assert {"id": entry, "channel": "zalo"}.items() <= next(m for m in listed if m["id"] == entry).items()
    assert "zalo-user-4711" not in str(listed) and "Hồ sơ đã có kết quả" not in str(listed)
    page = officer.get("/staff/outbox").text
    assert f'data-retry="{entry}"' in page and "Gửi lại" in page

    assert officer.post(f"/api/staff/outbox/{entry}/retry", headers={"X-CSRF-Token": ""}).status_code == 403
    retried = officer.post(f"/api/staff/outbox/{entry}/retry")
    assert retried.status_code == 200 and retried.json() == {"id": entry, "status": PENDING}  # no Zalo here
    assert staff_app.call(lambda: outbox.status(entry)) == (PENDING, 0)
    again = officer.post(f"/api/staff/outbox/{entry}/retry")
    assert again.status_code == 409 and "không ở trạng thái gửi thất bại" in again.json()["detail"]
    assert officer.post("/api/staff/outbox/999999/retry").status_code == 404
    assert all(m["id"] != entry for m in officer.get("/api/staff/outbox").json())
    trail = admin.get("/api/staff/audit", params={"subject": f"outbox:{entry}"}).json()
    assert [(e["username"], e["action"]) for e in trail] == [(OFFICER[0], "retry_message")]
