"""Typed reply content: a title, blocks (paragraphs, checklists, facts, steps, bullets), the official source link
and choices. No channel formatting lives here: no emoji, no HTML, no length limits."""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, Field


class Paragraph(BaseModel):
    type: Literal["paragraph"] = "paragraph"
    text: str


class ChecklistItem(BaseModel):
    name: str
    quantity: str | None = None          # "1 bản chính + 1 bản sao"; None for rows that are not handed in
    form: str | None = None              # form template name ("Tờ khai … (mẫu TK1-TS)")


class Checklist(BaseModel):
    """Documents to hand in, optionally under a case heading ("Giấy tờ phải nộp")."""
    type: Literal["checklist"] = "checklist"
    title: str | None = None
    items: list[ChecklistItem]


class Fact(BaseModel):
    label: str                           # "Trực tuyến", "Lĩnh vực"
    value: str


class Facts(BaseModel):
    """Label: value rows, e.g. fee or processing time per submission channel."""
    type: Literal["facts"] = "facts"
    items: list[Fact]


class Steps(BaseModel):
    """Numbered steps."""
    type: Literal["steps"] = "steps"
    items: list[str]


class Bullets(BaseModel):
    type: Literal["bullets"] = "bullets"
    items: list[str]


Block = Annotated[Union[Paragraph, Checklist, Facts, Steps, Bullets], Field(discriminator="type")]


class Choice(BaseModel):
    """One option the citizen can pick. Either a dialogue action (`intent` + `entities`, trusted because only the
    gateway can turn a pick back into it) or `text`: words sent as if the citizen had typed them."""
    title: str
    intent: str | None = None
    entities: dict[str, str] = Field(default_factory=dict)
    text: str | None = None


class Content(BaseModel):
    """The substance of a reply: heading, body blocks, official source link."""
    title: str | None = None
    blocks: list[Block] = Field(default_factory=list)
    source_url: str | None = None


class Reply(Content):
    """One reply as every channel receives it. `choices_prompt` introduces `choices`; `procedure_codes` lists the
    catalogue procedures the reply is about."""
    choices_prompt: str | None = None
    choices: list[Choice] = Field(default_factory=list)
    procedure_codes: list[str] = Field(default_factory=list)

    @classmethod
    def plain(cls, text: str, choices: list[Choice] | None = None) -> "Reply":
        return cls(blocks=[Paragraph(text=text)] if text else [], choices=choices or [])
