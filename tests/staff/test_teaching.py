"""Teaching the assistant from the console: examples validated, used at once by the running search and chat,
listed with who taught them, undone, exported in the repository's JSONL format."""
from __future__ import annotations

import json
import subprocess
import sys

import httpx

from settings import ROOT
from tests.fakes.app import RunningApp
from tests.staff.conftest import OFFICER

QUESTION = "ông bà để lại mảnh vườn giờ anh em muốn chia thì làm giấy gì"
TARGET = "1.001193"                # any procedure the ranking would not choose for it


def top(client: httpx.Client, q: str) -> str:
    return client.get("/api/staff/procedures/search", params={"q": q}).json()["results"][0]["code"]


def test_teach_use_at_once_list_undo_and_export(officer: httpx.Client, anonymous: httpx.Client,
                                                staff_app: RunningApp) -> None:
    assert top(officer, QUESTION) != TARGET
    assert anonymous.post("/api/staff/examples", json={"question": QUESTION, "codes": [TARGET]}).status_code == 401
    assert officer.post("/api/staff/examples", json={"question": QUESTION, "codes": [TARGET]},
                        headers={"X-CSRF-Token": "forged"}).status_code == 403
    unknown = officer.post("/api/staff/examples", json={"question": QUESTION, "codes": [TARGET, "9.999999"]})
    assert unknown.status_code == 422 and "9.999999" in unknown.json()["detail"]
    assert officer.post("/api/staff/examples", json={"question": QUESTION, "codes": []}).status_code == 422

    created = officer.post("/api/staff/examples", json={"question": QUESTION, "codes": [TARGET]})
    assert created.status_code == 201
    example = created.json()
    assert example["created_by"] == OFFICER[0] and example["names"] == ["Thủ tục đăng ký khai sinh"]
    assert top(officer, QUESTION) == TARGET                                          # at once, no rebuild
    assert top(officer, "anh em muốn chia mảnh vườn ông bà để lại thì làm giấy gì") == TARGET   # a rephrasing
    listed = officer.get("/api/staff/examples").json()
    assert [e["id"] for e in listed] == [example["id"]]

    env = {"TTHC_DATABASE_URL": staff_app.services.db.url, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    exported = subprocess.run([sys.executable, "-m", "feedback", "export-examples"], capture_output=True, text=True,
                              env=env, cwd=ROOT)
    assert exported.returncode == 0
    assert [json.loads(line) for line in exported.stdout.splitlines()] == [{"codes": [TARGET], "question": QUESTION}]

    assert officer.delete(f"/api/staff/examples/{example['id']}").status_code == 204
    assert top(officer, QUESTION) != TARGET                                          # undone at once too
    assert officer.delete(f"/api/staff/examples/{example['id']}").status_code == 404
    assert officer.get("/api/staff/examples").json() == []
    undone = officer.get("/api/staff/examples", params={"removed": True}).json()
    assert undone[0]["removed_by"] == OFFICER[0]
    assert "Đã hoàn tác" in officer.get("/staff/teach").text


def test_undoing_an_id_past_what_the_database_holds_is_refused_not_a_crash(officer: httpx.Client) -> None:
    for example_id in (2**64, 2**31, 0):              # 2**64 overflowed the SQLite driver: a 500 before
        response = officer.delete(f"/api/staff/examples/{example_id}")
        assert response.status_code == 422 and response.json()["detail"] == "Yêu cầu không hợp lệ.", response.text
