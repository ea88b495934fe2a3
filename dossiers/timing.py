"""Lateness, computed from the deadlines (the dossier's and the current stage's), never stored. Days count in
Vietnam's calendar: a deadline is met all through its date, and missed by one day from the next midnight.

Time spent waiting for the citizen's missing papers is not counted against the office: a deadline moves by the
calendar days of every wait (supplement requested → supplement received) that began after its clock started, and
while a wait is open the clocks stand still."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dossiers.models import CLOSED, Dossier, Pause, Stage

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def local_date(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y")


def local_time(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def days_late(due: datetime | None, now: datetime) -> int:
    if due is None:
        return 0
    return max(0, (vn_day(now) - vn_day(due)).days)


def waited_days(pauses: list[Pause], since: datetime | None) -> int:
    """Calendar days of the finished waits for a supplement that began at or after `since`."""
    return sum((vn_day(p.ended_at) - vn_day(p.started_at)).days for p in pauses
               if p.ended_at is not None and (since is None or p.started_at >= since))


def extended(due: datetime | None, started: datetime | None, pauses: list[Pause]) -> datetime | None:
    """A deadline moved by the waits for the citizen since its clock started."""
    return None if due is None else due + timedelta(days=waited_days(pauses, started))


@dataclass(frozen=True)
class Timing:
    overdue_days: int                 # the dossier is past its due date (while still being processed)
    stage: Stage | None               # the stage being worked on
    stage_late_days: int              # that stage is past its own deadline
    due_today: bool
    due_at: datetime                  # the due date, moved by the waits for the citizen's supplement
    waiting_since: datetime | None = None   # waiting for the citizen's supplement (the clocks stand still)

    @property
    def late(self) -> bool:
        return self.overdue_days > 0 or self.stage_late_days > 0


def timing(dossier: Dossier, now: datetime) -> Timing:
    due = extended(dossier.due_at, dossier.received_at, dossier.pauses)
    assert due is not None
    if dossier.status in CLOSED:
        return Timing(0, None, 0, False, due)
    waiting = next((p.started_at for p in dossier.pauses if p.ended_at is None), None)
    clock = min(now, waiting) if waiting else now
    stage = dossier.current_stage()
    stage_due = extended(stage.due_at, stage.started_at or dossier.received_at, dossier.pauses) if stage else None
    overdue = days_late(due, clock)
    due_today = not overdue and waiting is None and vn_day(due) == vn_day(now)
    return Timing(overdue, stage, days_late(stage_due, clock), due_today, due, waiting)
