"""A procedure split into passages: each document line and note, each step and note, each condition sentence, each
channel x time x fee row, the result, the agency and address, the legal basis, who may apply. A question about one
detail is answered from the passage(s) that say it (`details.py`), quoted as the record words them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from knowledge_base.answers.compose import flat, is_note_group, split_steps
from knowledge_base.catalogue.models import Channel, Document, Procedure
from knowledge_base.catalogue.parse import MISSING

_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[-+*•]?\s*[A-ZĐÀ-Ỹ0-9])|\n+")


class PassageKind(str, Enum):
    DOCUMENT = "document"          # a document to hand in
    DOCUMENT_NOTE = "document_note"
    STEP = "step"
    NOTE = "note"                  # notes after the steps ("* Lưu ý: ...")
    CONDITION = "condition"
    CHANNEL = "channel"            # one channel row: channel, time, fee
    CHANNEL_NOTE = "channel_note"  # a sentence of a channel row's description
    RESULT = "result"
    AGENCY = "agency"
    LEGAL = "legal"
    APPLICANTS = "applicants"


@dataclass(frozen=True)
class Passage:
    kind: PassageKind
    text: str                          # the record's words
    group: str | None = None           # a document's case group ("Trường hợp ...")
    document: Document | None = None


def _flat(text: str | None) -> str:
    return flat((text or "").replace(MISSING, " "))


def sentences(text: str | None) -> list[str]:
    """The sentences and lines of a record field, each flattened to one line."""
    return [s for s in (_flat(part) for part in _SENTENCE_END.split(text or "")) if len(s) > 2]


def channel_text(row: Channel) -> str:
    """One channel row as the record words it: "Trực tuyến: 7 Ngày làm việc; phí: Lệ phí : 14.000 Đồng"."""
    parts = [row.time_text and f"thời hạn {row.time_text}", row.fee and f"phí, lệ phí: {row.fee}",
             row.fee_note and f"({_flat(row.fee_note)})"]
    return f"{row.channel}: " + "; ".join(p for p in parts if p)


def passages(proc: Procedure) -> list[Passage]:
    out: list[Passage] = []
    for doc in proc.documents:
        kind = PassageKind.DOCUMENT_NOTE if is_note_group(doc.group) else PassageKind.DOCUMENT
        text = _flat(doc.name) + (f" ({_flat(doc.form)})" if doc.form and doc.form not in doc.name else "")
        if text:
            out.append(Passage(kind, text, group=doc.group, document=doc))
    steps, notes = split_steps(proc)
    out += [Passage(PassageKind.STEP, s) for step in steps for s in sentences(step)]
    out += [Passage(PassageKind.NOTE, s) for note in notes for s in sentences(note)]
    out += [Passage(PassageKind.CONDITION, s) for s in sentences(proc.conditions)]
    for row in proc.channels:
        out.append(Passage(PassageKind.CHANNEL, channel_text(row)))
        out += [Passage(PassageKind.CHANNEL_NOTE, s) for s in sentences(row.description)]
    out += [Passage(PassageKind.RESULT, s) for s in sentences(proc.result)]
    for text in (proc.agencies, proc.competent_agency, proc.address):
        out += [Passage(PassageKind.AGENCY, s) for s in sentences(text)]
    out += [Passage(PassageKind.LEGAL, _flat(b.title)) for b in proc.legal_basis if _flat(b.title)]
    out += [Passage(PassageKind.APPLICANTS, s) for s in sentences(proc.applicants)]
    return out
