"""The overdue board: late dossiers first (most days late first), then those due today, then the open rest by due
date, then the closed ones; the provinces' one-stop systems raise a red alert on exactly the first group. Each row
says what is late: the dossier ("quá hạn 1 ngày") or the stage it is at ("chậm 4 ngày ở khâu thẩm định")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dossiers.models import CLOSED, Dossier
from dossiers.timing import Timing, timing

LATE, DUE_TODAY, ON_TIME, DONE = "late", "due_today", "on_time", "closed"


@dataclass(frozen=True)
class BoardRow:
    dossier: Dossier
    timing: Timing

    @property
    def days_late(self) -> int:
        return max(self.timing.overdue_days, self.timing.stage_late_days)

    @property
    def lateness(self) -> list[str]:
        """What is late, in the officers' words: the current stage, the dossier, or both."""
        said = []
        if self.timing.stage is not None and self.timing.stage_late_days:
            said.append(f"chậm {self.timing.stage_late_days} ngày ở khâu {self.timing.stage.name.lower()}")
        if self.timing.overdue_days:
            said.append(f"quá hạn {self.timing.overdue_days} ngày")
        return said

    @property
    def state(self) -> str:
        if self.timing.late:
            return LATE
        if self.timing.due_today:
            return DUE_TODAY
        return DONE if self.dossier.status in CLOSED else ON_TIME


def _matches(dossier: Dossier, office: str) -> bool:
    needle = office.casefold()
    stage = dossier.current_stage()
    return needle in dossier.current_office.casefold() or bool(stage and needle in stage.office.casefold())


def board(dossiers: list[Dossier], now: datetime, office: str | None = None) -> list[BoardRow]:
    rows = [BoardRow(d, timing(d, now)) for d in dossiers if not office or _matches(d, office)]
    order = {LATE: 0, DUE_TODAY: 1, ON_TIME: 2, DONE: 3}
    return sorted(rows, key=lambda r: (order[r.state], -r.days_late, r.timing.due_at, r.dossier.code))
