"""Analytics over real stored events: the numbers, the page's charts, the CSV without personal data."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
import pytest

from dossiers.timing import VIETNAM
from feedback.store import FeedbackStore
from staff.web.charts import top_procedures
from storage.conversations import ConversationLog
from tests.fakes.app import RunningApp
from tests.staff.conftest import NOW

QUESTIONS = [("web:a", "đăng ký khai sinh cần gì", "answer", "1.001193"),
             ("web:a", "lệ phí khai sinh", "answer", "1.001193"),
             ("zalo:b", "con mèo đi lạc", "no_match", None),
             ("telegram:c", "làm hộ chiếu ở đâu", "answer", "1.000889")]


@pytest.fixture(scope="module")
def seeded(staff_app: RunningApp) -> RunningApp:
    feedback, log = FeedbackStore(staff_app.services.db), ConversationLog(staff_app.services.db)
    for conversation, question, kind, code in QUESTIONS:
        channel, sender = conversation.split(":")
        staff_app.call(lambda c=channel, s=sender, q=question: log.record(c, s, "in", q))
        staff_app.call(lambda c=conversation, q=question, k=kind, p=code: feedback.answered(c, q, k, p, NOW))
    staff_app.call(lambda: feedback.rate("web:a", "đăng ký khai sinh cần gì", "1.001193", "up", NOW))
    staff_app.call(lambda: feedback.rate("telegram:c", "làm hộ chiếu ở đâu", "1.000889", "down", NOW))
    staff_app.call(lambda: feedback.explain("telegram:c", "wrong_procedure"))
    return staff_app


def test_the_report_counts_what_happened(seeded: RunningApp, officer: httpx.Client) -> None:
    body = officer.get("/api/staff/analytics").json()
    summary = body["summary"]
    assert (summary["answers"], summary["no_match"], summary["ratings_up"], summary["ratings_down"]) == (4, 1, 1, 1)
    assert summary["fallback_rate"] == 0.25 and summary["satisfaction"] == 0.5
    assert summary["conversations"] >= 3 and summary["messages"] >= 4
    assert body["top_procedures"][0] == {"code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "answers": 2}
    work = {(w["question"], w["why"], w["reason"]) for w in body["work"]}
    assert {("con mèo đi lạc", "no_match", None), ("làm hộ chiếu ở đâu", "down", "wrong_procedure")} <= work


def test_the_csv_has_aggregates_and_no_personal_text(seeded: RunningApp, officer: httpx.Client) -> None:
    response = officer.get("/api/staff/analytics.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {"conversations", "messages", "procedure_answers", "fallback_rate", "satisfaction"} <= {r["metric"] for r in rows}
    assert "khai sinh" not in response.text and "con mèo" not in response.text and "Lê Thị" not in response.text


def test_the_page_draws_its_charts_and_ranges_are_checked(seeded: RunningApp, officer: httpx.Client,
                                                          anonymous: httpx.Client) -> None:
    page = officer.get("/staff/analytics").text
    assert page.count("<svg") == 2 and page.count("<rect") >= 3 and "Dạy trợ lý" in page
    later = (NOW + timedelta(days=30)).date()
    assert officer.get("/api/staff/analytics", params={"start": later.isoformat()}).status_code == 422
    empty = officer.get("/api/staff/analytics", params={"start": later.isoformat(), "end": later.isoformat()})
    assert empty.json()["summary"]["answers"] == 0
    assert anonymous.get("/api/staff/analytics").status_code == 401
    assert anonymous.get("/api/staff/analytics.csv").status_code == 401


def test_the_schema_documents_the_csv_as_csv(anonymous: httpx.Client) -> None:
    ok = anonymous.get("/openapi.json").json()["paths"]["/api/staff/analytics.csv"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["text/csv"]           # it said application/json


def test_questions_to_improve_are_grouped_most_frequent_first_and_paged(staff_app: RunningApp, officer: httpx.Client,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    day = NOW - timedelta(days=120)                                 # a day of its own: no other test's events
    feedback = FeedbackStore(staff_app.services.db)
    asked = ["giấy phép nuôi chó", "Giấy phép  nuôi chó", "giấy phép nuôi chó ", "xin phép mở karaoke",
             "đổi tên con mèo", "đổi tên con mèo"]
    for n, question in enumerate(asked):
        staff_app.call(lambda q=question, n=n: feedback.answered(f"zalo:g{n}", q, "no_match", None,
                                                                 day + timedelta(minutes=n)))
    monkeypatch.setattr("staff.web.analytics.WORK_PAGE", 2)
    local = day.astimezone(VIETNAM).date().isoformat()
    when = {"start": local, "end": local}
    first = officer.get("/staff/analytics", params=when).text
    rows = re.findall(r'<td class="count">(\d+)</td>.*?<td class="question">([^<]*)</td>', first, re.S)
    assert rows == [("3", "giấy phép nuôi chó "), ("2", "đổi tên con mèo")]   # as last asked, the most first
    following = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert following == f"/staff/analytics?start={when['start']}&end={when['end']}&page=2"
    second = officer.get(following).text
    assert re.findall(r'<td class="question">([^<]*)</td>', second) == ["xin phép mở karaoke"]
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_the_top_chart_leaves_room_for_counts_and_names_the_shortened() -> None:
    long_name = "Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất lần đầu"
    chart = top_procedures([("1.000001", 1_234_567, long_name), ("1.000002", 3, "Đăng ký khai sinh")])
    count = next(label for label in chart.labels if label.text == "1234567")
    assert count.x + 7 * 8 <= chart.width                           # seven digits at ~8 px each stay inside
    name = next(label for label in chart.labels if label.text.startswith("Cấp giấy"))
    assert name.text.endswith("…") and name.title == long_name
    assert next(label for label in chart.labels if label.text == "Đăng ký khai sinh").title is None
