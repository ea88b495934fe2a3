"""Lateness, computed from the deadlines (the dossier's and the current stage's), never stored. Days count in
Vietnam's calendar: a deadline missed by an hour is one day late."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dossiers.models import CLOSED, Dossier, Stage

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def local_date(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y")


def local_time(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def days_late(due: datetime | None, now: datetime) -> int:
    if due is None or now <= due:
        return 0
    return max(1, (now.astimezone(VIETNAM).date() - due.astimezone(VIETNAM).date()).days)


@dataclass(frozen=True)
class Timing:
    overdue_days: int                 # the dossier is past its due date (while still being processed)
    stage: Stage | None               # the stage being worked on
    stage_late_days: int              # that stage is past its own deadline
    due_today: bool

    @property
    def late(self) -> bool:
        return self.overdue_days > 0 or self.stage_late_days > 0


def timing(dossier: Dossier, now: datetime) -> Timing:
    if dossier.status in CLOSED:
        return Timing(0, None, 0, False)
    stage = dossier.current_stage()
    overdue = days_late(dossier.due_at, now)
    due_today = not overdue and dossier.due_at.astimezone(VIETNAM).date() == now.astimezone(VIETNAM).date()
    return Timing(overdue, stage, days_late(stage.due_at, now) if stage else 0, due_today)
