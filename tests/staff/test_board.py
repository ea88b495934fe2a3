"""The overdue board's rows say which is late: the dossier or the stage it is at (no server needed)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dossiers.models import Dossier, Stage
from staff.board import DUE_TODAY, LATE, board
from tests.dossiers.fixtures import CODE, dossier_data

DUE = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)                   # 16:00 on 3/12 in Vietnam


def a_dossier(stage_due: datetime) -> Dossier:
    stage = Stage(name="Thẩm định", office="Phòng Tư pháp", started_at=DUE - timedelta(days=5), due_at=stage_due)
    return Dossier(code=CODE, **dossier_data(received_at=DUE - timedelta(days=6), due_at=DUE,
                                             stages=[stage]).model_dump())


def test_the_board_says_the_dossier_is_overdue_or_the_stage_is_slow() -> None:
    next_morning = DUE + timedelta(hours=18)                              # 10:00 on 4/12
    [overdue] = board([a_dossier(DUE + timedelta(days=2))], next_morning)
    assert (overdue.state, overdue.lateness) == (LATE, ["quá hạn 1 ngày"])
    [slow] = board([a_dossier(DUE - timedelta(days=4))], DUE)
    assert (slow.state, slow.lateness) == (LATE, ["chậm 4 ngày ở khâu thẩm định"])
    [both] = board([a_dossier(DUE - timedelta(days=4))], next_morning)
    assert both.lateness == ["chậm 5 ngày ở khâu thẩm định", "quá hạn 1 ngày"]


def test_on_its_due_date_a_dossier_is_due_today_not_late() -> None:
    [row] = board([a_dossier(DUE)], DUE + timedelta(hours=4))             # 20:00 on 3/12
    assert (row.state, row.lateness) == (DUE_TODAY, [])
