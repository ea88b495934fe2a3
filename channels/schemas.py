"""Typed messages at the gateway's edges: one inbound type for every channel, and the web chat API's models."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from dossiers.slips.reader import SlipReading
from inputs import CleanModel, clean_text

SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"


class InboundMessage(BaseModel):
    """What any channel hands to the gateway. Text is untrusted citizen input; `payload` is a tapped choice's
    token. `event` "start" is a channel's own greeting trigger (Telegram /start, Zalo follow); "attachment" is
    something the assistant cannot read (sticker, file, location), named in `text`; "photo" is a picture the
    channel had read for a dossier code (`reading`)."""
    channel: str
    sender_id: str
    text: str = ""
    payload: str | None = None
    event: Literal["message", "start", "attachment", "photo"] = "message"
    reading: SlipReading | None = None

    @field_validator("text")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return clean_text(value).strip()

    @property
    def conversation_id(self) -> str:
        return conversation_id(self.channel, self.sender_id)


def conversation_id(channel: str, sender_id: str) -> str:
    """Conversations are namespaced per channel so ids never collide across channels."""
    return f"{channel}:{sender_id}"


class Button(BaseModel):
    title: str
    payload: str


class OutboundMessage(BaseModel):
    """One web chat bubble; `procedure_codes` lists the catalogue codes it is about."""
    text: str = ""
    buttons: list[Button] = Field(default_factory=list)
    procedure_codes: list[str] = Field(default_factory=list)


class ChatRequest(CleanModel):
    sender_id: str | None = Field(None, pattern=SESSION_ID_PATTERN,
                                  description="Mã phiên do máy chủ cấp; bỏ trống để bắt đầu cuộc trò chuyện mới")
    text: str = Field(min_length=1)


class ChatResponse(BaseModel):
    sender_id: str
    messages: list[OutboundMessage]


class PushedMessage(OutboundMessage):
    """A message sent to the conversation outside a request (officer reply, dossier news); `id` orders them."""
    id: int


class PushedMessages(BaseModel):
    messages: list[PushedMessage]


class HistoryMessage(BaseModel):
    """One bubble of the conversation as it was shown: the citizen's words (`from_citizen`) or what was said to them
    (answers, officer replies, dossier news). Choices are not restored: they were for their own turn."""
    id: int
    from_citizen: bool
    text: str


class History(BaseModel):
    """The conversation's newest messages, oldest first; `last_pushed` is the id of the newest pushed message
    already among them (resume the poll or the stream after it)."""
    messages: list[HistoryMessage]
    last_pushed: int


class ErrorOut(BaseModel):
    """Every refusal (4xx): the reason in Vietnamese; an invalid request also names each field at fault."""
    detail: str
    errors: list[str] = Field(default_factory=list)


# Declared for every operation, so the schema describes the refusals the app really sends (not FastAPI's default
# validation error, whose `detail` is a list).
ERROR_RESPONSES: dict[int | str, dict] = {"4XX": {"model": ErrorOut, "description": "Yêu cầu bị từ chối, kèm lý do"}}
