"""Lateness computed from deadlines, and how the status answer says it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dossiers.models import Delivery, Dossier, Stage, Status
from dossiers.privacy import mask_name
from dossiers.replies import status_reply
from dossiers.timing import days_late, timing
from replies.model import Choice
from replies.text import reply_text
from tests.dossiers.fixtures import CODE, NOW, dossier_data


def dossier(**changes: object) -> Dossier:
    return Dossier(code=CODE, **dossier_data(**changes).model_dump())


def text(d: Dossier, now: datetime = NOW) -> str:
    return reply_text(status_reply(d, "Thủ tục đăng ký khai sinh", timing(d, now)))


@pytest.mark.parametrize("name, masked", [("Nguyễn Văn Tám", "Nguyễn V. T."), ("Lê Thị Ngọc Hân", "Lê T. N. H."),
                                          ("Tám", "T."), ("  Trần   An ", "Trần A."), ("", "")])
def test_names_are_masked(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_days_late_count_vietnamese_calendar_days() -> None:
    due = datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc)             # 23:00 on 1/12 in Vietnam
    assert days_late(due, due - timedelta(minutes=1)) == 0
    assert days_late(due, due + timedelta(hours=1)) == 1                # 00:00 on 2/12: one day
    assert days_late(due, due + timedelta(days=3)) == 3
    assert days_late(None, due) == 0


def test_on_time_dossier_says_nothing_about_delay_and_offers_to_follow() -> None:
    reply = status_reply(dossier(), "Thủ tục đăng ký khai sinh", timing(dossier(), NOW))
    body = reply_text(reply)
    assert "chậm" not in body and "quá hạn" not in body
    assert "chưa cần làm gì thêm" in body
    assert reply.choices == [Choice(title="Báo cho tôi khi có kết quả", intent="subscribe_dossier",
                                    entities={"dossier_code": CODE})]


def test_a_late_stage_and_an_overdue_dossier_are_both_said() -> None:
    late = dossier(due_at=NOW - timedelta(days=2), received_at=NOW - timedelta(days=10),
                   stages=[Stage(name="Thẩm định hồ sơ", office="Phòng Tư pháp", started_at=NOW - timedelta(days=9),
                                 due_at=NOW - timedelta(days=4))])
    body = text(late)
    assert "Hồ sơ đang chậm 4 ngày ở khâu thẩm định hồ sơ (Phòng Tư pháp)." in body
    assert "Hồ sơ đã quá hạn 2 ngày so với ngày hẹn trả kết quả." in body
    assert "xin lỗi" in body


def test_a_closed_dossier_is_never_late() -> None:
    done = dossier(status=Status.RETURNED, due_at=NOW - timedelta(days=2), received_at=NOW - timedelta(days=10))
    assert "quá hạn" not in text(done) and "đã trả kết quả" in text(done)
    assert not timing(done, NOW).late
    assert status_reply(done, None, timing(done, NOW)).choices == []


@pytest.mark.parametrize("status, delivery, expected", [
    (Status.NEED_SUPPLEMENT, Delivery.AT_CENTRE, "Hồ sơ cần bổ sung giấy tờ. Thiếu bản sao giấy khai sinh."),
    (Status.RESULT_READY, Delivery.AT_CENTRE, "mang phiếu hẹn và giấy tờ tùy thân đến UBND phường Lộc Thọ"),
    (Status.RESULT_READY, Delivery.BY_POST, "gửi qua bưu điện"),
    (Status.RESULT_READY, Delivery.ONLINE, "https://dichvucong.gov.vn"),
    (Status.REJECTED, Delivery.AT_CENTRE, "Lý do: Thiếu bản sao giấy khai sinh."),
    (Status.WITHDRAWN, Delivery.AT_CENTRE, "đã được rút"),
])
def test_what_to_do_next_follows_status_and_delivery(status: Status, delivery: Delivery, expected: str) -> None:
    assert expected in text(dossier(status=status, delivery_method=delivery, note="Thiếu bản sao giấy khai sinh"))


def test_due_today_is_known() -> None:
    today = dossier(due_at=NOW + timedelta(hours=2))
    assert timing(today, NOW).due_today and not timing(today, NOW).late


def test_a_dossier_due_on_a_date_is_not_late_on_that_date() -> None:
    due = datetime(2026, 12, 3, 3, 0, tzinfo=timezone.utc)               # 10:00 on 3/12 in Vietnam
    evening = datetime(2026, 12, 3, 13, 0, tzinfo=timezone.utc)          # 20:00 the same day
    d = dossier(due_at=due, received_at=due - timedelta(days=5))
    assert days_late(due, evening) == 0
    assert timing(d, evening).due_today and not timing(d, evening).late
    body = text(d, evening)
    assert "quá hạn" not in body and "Hẹn trả kết quả: 03/12/2026" in body
    assert timing(d, datetime(2026, 12, 3, 17, 0, tzinfo=timezone.utc)).overdue_days == 1   # 00:00 on 4/12


def test_waiting_for_the_citizens_supplement_moves_the_deadlines_and_stops_the_clocks() -> None:
    received = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    due = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)              # 16:00 on 30/11
    stage = Stage(name="Thẩm định hồ sơ", office="Phòng Tư pháp", started_at=received, due_at=due)
    asked, arrived = received + timedelta(days=3), received + timedelta(days=8)    # 23/11 → 28/11: 5 days
    waited = Dossier(code=CODE, **dossier_data(received_at=received, due_at=due, stages=[stage]).model_dump(),
                     pauses=[{"started_at": asked, "ended_at": arrived}])
    on_5_12 = datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc)
    moved = timing(waited, on_5_12)
    assert moved.due_at == due + timedelta(days=5) and moved.due_today and not moved.late
    assert "Hẹn trả kết quả: 05/12/2026" in text(waited, on_5_12)
    later = timing(waited, on_5_12 + timedelta(days=2))
    assert (later.overdue_days, later.stage_late_days) == (2, 2)
    still_waiting = Dossier(code=CODE, **dossier_data(received_at=received, due_at=due, stages=[stage],
                                                      status=Status.NEED_SUPPLEMENT).model_dump(),
                            pauses=[{"started_at": asked}])
    frozen = timing(still_waiting, on_5_12 + timedelta(days=30))
    assert not frozen.late and frozen.waiting_since == asked
