"""Everything about one procedure, uncapped and structured, for officers at the counter (the chat answers pick
one aspect and cap lists; a counter sheet shows all of it and prints it)."""
from __future__ import annotations

from dataclasses import dataclass, field

from knowledge_base.answers.compose import (case_groups, channel_names, is_note_group, legal_rank, legal_text,
                                            quantity_text, split_steps)
from knowledge_base.catalogue.models import Procedure
from knowledge_base.catalogue.parse import MISSING

ONLINE = "Trực tuyến"


@dataclass(frozen=True)
class SheetDocument:
    name: str
    quantity: str                      # "1 bản chính + 1 bản sao"; empty for rows not handed in
    form: str | None


@dataclass(frozen=True)
class DocumentGroup:
    title: str | None                  # the case ("Trường hợp …"); None when the procedure has one list
    documents: list[SheetDocument]
    is_note: bool = False              # "Lưu ý" rows: shown, not ticked


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    time: str | None
    fee: str | None
    description: str | None


@dataclass(frozen=True)
class ProcedureSheet:
    procedure: Procedure               # name, code, field, levels, source group, official link
    online: bool
    document_groups: list[DocumentGroup]
    channels: list[ChannelRow]
    steps: list[str]
    step_notes: list[str]
    conditions: str | None
    legal_basis: list[str]
    agencies: str | None
    competent_agency: str | None
    address: str | None
    applicants: str | None
    result: str | None
    submit_channels: list[str] = field(default_factory=list)

    def checklist_text(self) -> str:
        """The documents as a plain checklist, to copy into a message or a note."""
        lines = [self.procedure.name, ""]
        for group in self.document_groups:
            if group.is_note:
                continue
            if group.title:
                lines.append(f"{group.title}:")
            lines += [f"☐ {d.name} — {d.quantity}" if d.quantity else f"• {d.name}" for d in group.documents]
            lines.append("")
        return "\n".join(lines + [f"Nguồn: {self.procedure.url}"]).strip()


def _clean(text: str | None) -> str | None:
    text = (text or "").replace(MISSING, "").strip()
    return text or None


def _groups(proc: Procedure) -> list[DocumentGroup]:
    groups = [DocumentGroup(title, [SheetDocument(d.name, quantity_text(d), d.form) for d in docs],
                            is_note_group(title)) for title, docs in case_groups(proc.documents)]
    if len(groups) == 1 and not groups[0].is_note:
        groups = [DocumentGroup(None, groups[0].documents)]
    return groups


def procedure_sheet(proc: Procedure) -> ProcedureSheet:
    steps, notes = split_steps(proc)
    return ProcedureSheet(
        procedure=proc, online=any(c.channel == ONLINE for c in proc.channels), document_groups=_groups(proc),
        channels=[ChannelRow(c.channel, _clean(c.time_text), _clean(c.fee), _clean(c.description))
                  for c in proc.channels],
        steps=steps, step_notes=notes, conditions=_clean(proc.conditions),
        legal_basis=[legal_text(item) for item in sorted(proc.legal_basis, key=legal_rank)],
        agencies=_clean(proc.agencies), competent_agency=_clean(proc.competent_agency), address=_clean(proc.address),
        applicants=_clean(proc.applicants), result=_clean(proc.result), submit_channels=channel_names(proc),
    )
