"""POST /channels/zalo/webhook: verify the signature, acknowledge at once (Zalo disables a webhook that does not
answer 200 within about 2 seconds), drop retried events, and process in the background."""
from __future__ import annotations

import json
import logging
import time

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from channels.photos import read_photo_at
from channels.schemas import InboundMessage
from channels.services import Services, get_services
from channels.zalo.signature import signature_valid

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])
CHANNEL = "zalo"
MAX_EVENT_AGE_SECONDS = 5 * 60      # Zalo signs the event time; older (or later) events are refused as replays
ATTACHMENTS = {"user_send_image": "ảnh", "user_send_gif": "ảnh động", "user_send_sticker": "nhãn dán",
               "user_send_file": "tệp", "user_send_location": "vị trí", "user_send_audio": "tin nhắn thoại",
               "user_send_video": "video", "user_send_link": "đường dẫn", "user_send_business_card": "danh thiếp"}


class ZaloUser(BaseModel):
    id: str


class ZaloAttachmentPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    url: str | None = None


class ZaloAttachment(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = ""
    payload: ZaloAttachmentPayload | None = None


class ZaloMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    msg_id: str | None = None
    text: str | None = None
    attachments: list[ZaloAttachment] = []


class ZaloEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    app_id: str = ""
    event_name: str
    timestamp: str = ""
    sender: ZaloUser | None = None
    follower: ZaloUser | None = None
    message: ZaloMessage | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        return str(value)


def photo_url(event: ZaloEvent) -> str | None:
    """The image of a `user_send_image` event (Zalo sends its URL, not the bytes)."""
    if event.event_name != "user_send_image" or event.message is None:
        return None
    return next((a.payload.url for a in event.message.attachments
                 if a.type == "image" and a.payload and a.payload.url), None)


def inbound(event: ZaloEvent) -> InboundMessage | None:
    """The gateway message an event stands for; None for events the assistant does not answer."""
    if event.event_name == "follow" and event.follower:
        return InboundMessage(channel=CHANNEL, sender_id=event.follower.id, event="start")
    if event.sender is None:
        return None
    if event.event_name == "user_send_text" and event.message:
        return InboundMessage(channel=CHANNEL, sender_id=event.sender.id, text=event.message.text or "")
    if photo_url(event):
        return InboundMessage(channel=CHANNEL, sender_id=event.sender.id, event="photo")
    if event.event_name in ATTACHMENTS:
        return InboundMessage(channel=CHANNEL, sender_id=event.sender.id, text=ATTACHMENTS[event.event_name],
                              event="attachment")
    return None


def event_key(event: ZaloEvent, message: InboundMessage) -> str:
    if event.message and event.message.msg_id:
        return event.message.msg_id
    return f"{event.event_name}:{message.sender_id}:{event.timestamp}"


def recent(timestamp: str, now: float) -> bool:
    """A signed event is taken only within MAX_EVENT_AGE_SECONDS of now (either way): a captured event replayed
    later, once its id has left the processed-events table, is refused."""
    try:
        sent = int(timestamp) / 1000
    except ValueError:
        return False
    return abs(now - sent) <= MAX_EVENT_AGE_SECONDS


async def answer(services: Services, message: InboundMessage, photo: str | None = None) -> None:
    if photo is not None:
        reading = await read_photo_at(services.slips, services.http, photo)
        message = message.model_copy(update={"reading": reading})
    replies = await services.gateway.handle(message)
    await services.outbound.deliver(CHANNEL, message.sender_id, replies)


@router.post("/channels/zalo/webhook")
async def zalo_webhook(request: Request, services: Services = Depends(get_services)) -> dict[str, str]:
    settings = services.settings.zalo
    if not services.outbound.serves(CHANNEL):
        raise HTTPException(status_code=404, detail="Kênh Zalo chưa được cấu hình.")
    raw = await request.body()
    try:
        event = ZaloEvent.model_validate(json.loads(raw))
    except (ValueError, ValidationError):
        log.warning("Zalo webhook: unreadable event (%d bytes)", len(raw))
        raise HTTPException(status_code=400, detail="Sự kiện không hợp lệ.")
    if not signature_valid(request.headers.get("X-ZEvent-Signature"), settings.app_id, raw, event.timestamp,
                           settings.oa_secret_key):
        log.warning("Zalo webhook: signature missing or wrong (event %s)", event.event_name)
        raise HTTPException(status_code=401, detail="Chữ ký không hợp lệ.")
    if not recent(event.timestamp, time.time()):
        log.warning("Zalo webhook: event outside the accepted window (event %s)", event.event_name)
        raise HTTPException(status_code=401, detail="Sự kiện đã quá hạn hoặc thời điểm không hợp lệ.")
    message = inbound(event)
    if message is None:                           # echoes of our own messages, seen/received receipts, unfollow
        return {"message": "ignored"}
    if not await services.events.claim(CHANNEL, event_key(event, message)):
        return {"message": "duplicate"}
    services.background.spawn(answer(services, message, photo_url(event)), name="zalo-event")
    return {"message": "ok"}
