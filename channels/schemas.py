"""Typed messages shared by every channel: one inbound type, one reply type."""
from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from knowledge_base.text import nfc


class Button(BaseModel):
    title: str
    payload: str


class OutboundMessage(BaseModel):
    """One reply bubble; `procedure_codes` lists the catalogue codes it is about."""
    text: str = ""
    buttons: list[Button] = Field(default_factory=list)
    procedure_codes: list[str] = Field(default_factory=list)


class InboundMessage(BaseModel):
    """What any channel hands to the dialogue engine."""
    channel: str
    sender_id: str
    text: str

    @field_validator("text")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return nfc(value).strip()

    @property
    def conversation_id(self) -> str:
        """Conversations are namespaced per channel so ids never collide across channels."""
        return f"{self.channel}:{self.sender_id}"


class ChatRequest(BaseModel):
    sender_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")
    text: str = Field(min_length=1)


class ChatResponse(BaseModel):
    messages: list[OutboundMessage]
