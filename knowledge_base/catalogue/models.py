"""Structured procedure records: the typed boundary between ingestion, search and answers."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Document:
    """One required document."""
    name: str
    original: int | None = None        # number of originals ("1 bản chính")
    copy: int | None = None            # number of copies ("1 bản sao")
    form: str | None = None            # form/template name ("Tờ khai ... (mẫu TK1-TS)")
    group: str | None = None           # case group heading ("Giấy tờ phải nộp", "Trường hợp ...")


@dataclass
class Channel:
    """One submission channel row: channel x processing time x fee."""
    channel: str                       # "Trực tiếp", "Trực tuyến", "Dịch vụ bưu chính"
    time_value: float | None = None    # numeric processing time, None when unknown
    time_unit: str | None = None       # "Ngày làm việc", "Ngày", "Giờ", ...; None when the portal gives no unit
    time_text: str | None = None       # human-readable time as parsed
    fee: str | None = None             # fee text ("Miễn phí", "Lệ phí : 8.000 Đồng ...")
    description: str | None = None
    fee_note: str | None = None        # detail the portal shows in brackets after the fee ("(50.000 đồng/lần)")


@dataclass
class LegalBasis:
    title: str
    number: str | None = None          # "123/2015/NĐ-CP"


@dataclass
class Procedure:
    code: str
    name: str
    field: str
    levels: list[str]
    source_group: str
    url: str
    decision: str | None = None
    kind: str | None = None
    applicants: str | None = None
    steps: list[str] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    legal_basis: list[LegalBasis] = field(default_factory=list)
    conditions: str | None = None
    result: str | None = None
    agencies: str | None = None        # agency that carries it out
    competent_agency: str | None = None
    address: str | None = None
    related: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Procedure":
        data = dict(data)
        data["channels"] = [Channel(**c) for c in data.get("channels", [])]
        data["documents"] = [Document(**d) for d in data.get("documents", [])]
        data["legal_basis"] = [LegalBasis(**b) for b in data.get("legal_basis", [])]
        return cls(**data)
