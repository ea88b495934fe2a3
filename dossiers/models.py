"""A dossier (hồ sơ) as the one-stop systems track it: stages with deadlines, a status, how the result is
delivered. Validated at every way in (admin API, import, a province's API)."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from inputs import CleanModel


class Status(str, Enum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    NEED_SUPPLEMENT = "need_supplement"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Delivery(str, Enum):
    AT_CENTRE = "at_centre"
    BY_POST = "by_post"
    ONLINE = "online"


# Processing is over: deadlines no longer run.
CLOSED = frozenset({Status.RESULT_READY, Status.RETURNED, Status.REJECTED, Status.WITHDRAWN})


class Stage(CleanModel):
    name: str = Field(min_length=1, max_length=200)
    office: str = Field(min_length=1, max_length=300)
    officer_role: str | None = Field(None, max_length=200)
    started_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None


class DossierData(CleanModel):
    """Everything about a dossier but its code (the admin API takes the code from the path)."""
    procedure_code: str = Field(min_length=1, max_length=20)
    applicant_name: str = Field(min_length=1, max_length=200)
    phone: str = Field(pattern=r"^\+?[0-9 .-]{8,20}$")
    received_at: AwareDatetime
    due_at: AwareDatetime
    status: Status
    current_office: str = Field(min_length=1, max_length=300)
    delivery_method: Delivery
    note: str | None = Field(None, max_length=2000)
    stages: list[Stage] | None = None

    @model_validator(mode="after")
    def _deadline_after_receipt(self) -> "DossierData":
        if self.due_at < self.received_at:
            raise ValueError("due_at: hạn trả kết quả phải sau ngày tiếp nhận")
        return self

    @property
    def phone_digits(self) -> str:
        return "".join(ch for ch in self.phone if ch.isdigit())


class Pause(BaseModel):
    """The dossier waited for the citizen's missing papers: from the request to supplement to their arrival."""
    started_at: datetime
    ended_at: datetime | None = None


class Dossier(DossierData):
    code: str
    stages: list[Stage] = Field(default_factory=list)
    pauses: list[Pause] = Field(default_factory=list)     # kept by the store from the status changes

    def current_stage(self) -> Stage | None:
        """The stage being worked on: the first one not finished."""
        return next((s for s in self.stages if s.finished_at is None), None)


class HistoryEntry(BaseModel):
    at: datetime
    status: Status
    stage: str | None
    changes: list[str]                   # field names that changed ("created" for the first entry)
