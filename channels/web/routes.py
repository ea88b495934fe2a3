"""Web chat: POST /api/chat (sessions issued by the server), pushed messages by poll or server-sent events, the
chat page."""
from __future__ import annotations

import json
from pathlib import Path
from typing import AsyncIterator

from fastapi import APIRouter, Depends, Header, HTTPException, Path as PathParam, Query, Request
from fastapi.responses import FileResponse, StreamingResponse

from channels.client_address import bind_client_address
from channels.schemas import (SESSION_ID_PATTERN, ChatRequest, ChatResponse, History, HistoryMessage, InboundMessage,
                              OutboundMessage, PushedMessage, PushedMessages, conversation_id)
from channels.services import Services, get_services
from inputs import ROW_ID_MAX
from replies.model import Reply

STATIC_DIR = Path(__file__).parent / "static"
CHANNEL = "web"
HISTORY_LIMIT = 100                    # bubbles a reloaded widget shows again
STREAM_RECHECK_SECONDS = 15.0          # a stream re-reads the outbox this often even without a local wake-up
TOO_FAST = "Anh/chị gửi tin nhắn quá nhanh. Anh/chị vui lòng chờ khoảng một phút rồi gửi tiếp ạ."
TOO_MANY_READS = "Anh/chị gửi quá nhiều yêu cầu trong thời gian ngắn. Anh/chị vui lòng chờ khoảng một phút ạ."
TOO_MANY_STREAMS = ("Cuộc trò chuyện này đang mở ở quá nhiều cửa sổ. Anh/chị vui lòng đóng bớt cửa sổ rồi tải lại "
                    "trang ạ.")
UNKNOWN_SESSION = ("Phiên trò chuyện không hợp lệ hoặc đã hết hạn. Anh/chị vui lòng bắt đầu cuộc trò chuyện mới "
                   "(gửi tin nhắn không kèm sender_id).")
router = APIRouter(tags=["chat"])


async def _known_session(sender_id: str, services: Services) -> str:
    if not await services.web_sessions.touch(sender_id):
        raise HTTPException(status_code=403, detail=UNKNOWN_SESSION)
    return sender_id


SenderId = PathParam(pattern=SESSION_ID_PATTERN, description="Mã phiên do POST /api/chat cấp")


def _address(http: Request) -> str:
    return http.client.host if http.client else "unknown"


async def within_read_rate(services: Services, http: Request, sender_id: str | None = None) -> None:
    """Reads (poll, stream opens, searches): per conversation strict, per address high; 429 with a reason."""
    limits = services.chat_limits
    if (sender_id and not await limits.reads_per_conversation.allow(conversation_id(CHANNEL, sender_id))) or \
            not await limits.reads_per_address.allow(_address(http)):
        raise HTTPException(status_code=429, detail=TOO_MANY_READS, headers={"Retry-After": "60"})


async def _within_rate(services: Services, http: Request, sender_id: str | None) -> None:
    limits = services.chat_limits
    if not await limits.per_address.allow(_address(http)) or \
            (sender_id and not await limits.per_conversation.allow(conversation_id(CHANNEL, sender_id))):
        raise HTTPException(status_code=429, detail=TOO_FAST, headers={"Retry-After": "60"})


@router.post("/api/chat", response_model=ChatResponse)
async def chat(request: ChatRequest, http: Request, services: Services = Depends(get_services)) -> ChatResponse:
    """Send a message. Without `sender_id` a new conversation starts and its id comes back in the response;
    send that id with every later message. A button's `payload` sent back as `text` picks that button.
    Too many messages in a minute get 429 with a reason."""
    await _within_rate(services, http, request.sender_id)
    bind_client_address(_address(http))
    if request.sender_id is None:
        sender_id = await services.web_sessions.start()
    else:
        sender_id = await _known_session(request.sender_id, services)
    replies = await services.gateway.handle(InboundMessage(channel=CHANNEL, sender_id=sender_id, text=request.text))
    return await _response(services, sender_id, replies)


async def _response(services: Services, sender_id: str, replies: list[Reply]) -> ChatResponse:
    messages = [OutboundMessage.model_validate(m) for reply in replies
                for m in await services.outbound.render(CHANNEL, sender_id, reply)]
    return ChatResponse(sender_id=sender_id, messages=messages)


async def _pushed(services: Services, sender_id: str, after: int) -> list[PushedMessage]:
    entries = await services.outbox.stored_after(CHANNEL, sender_id, after)
    return [PushedMessage(id=e.id, **e.body) for e in entries]


@router.get("/api/chat/{sender_id}/messages", response_model=PushedMessages)
async def pushed_messages(http: Request, sender_id: str = SenderId, after: int = Query(0, ge=0, le=ROW_ID_MAX),
                          services: Services = Depends(get_services)) -> PushedMessages:
    """Messages sent to this conversation outside a request (officer replies, dossier news) with id > `after`.
    Limited per conversation and per address (429 with a reason)."""
    await within_read_rate(services, http, sender_id)
    await _known_session(sender_id, services)
    return PushedMessages(messages=await _pushed(services, sender_id, after))


@router.get("/api/chat/{sender_id}/history", response_model=History)
async def history(sender_id: str = SenderId, services: Services = Depends(get_services)) -> History:
    """The conversation as the widget showed it (the citizen's messages, answers, officer replies, dossier news),
    oldest first, so a reloaded page shows it again; resume the stream after `last_pushed`."""
    await _known_session(sender_id, services)
    last_pushed = await services.outbox.last_stored(CHANNEL, sender_id)     # read first: a push in between is
    logged = await services.conversations.history(CHANNEL, sender_id, HISTORY_LIMIT)  # shown twice, never lost
    return History(messages=[HistoryMessage(id=m.id, from_citizen=m.direction == "in", text=m.text) for m in logged],
                   last_pushed=last_pushed)


@router.get("/api/chat/{sender_id}/events")
async def pushed_events(request: Request, sender_id: str = SenderId, after: int = Query(0, ge=0, le=ROW_ID_MAX),
                        last_event_id: int | None = Header(None, alias="Last-Event-ID", ge=0, le=ROW_ID_MAX),
                        services: Services = Depends(get_services)) -> StreamingResponse:
    """The same messages as a server-sent event stream (`id` = message id, `data` = the message as JSON).
    Opening one is limited as a read; at most a few streams per conversation are open at once (429 beyond)."""
    await within_read_rate(services, request, sender_id)
    await _known_session(sender_id, services)
    key = conversation_id(CHANNEL, sender_id)

    async def stream() -> AsyncIterator[str]:
        cursor = max(after, last_event_id or 0)
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            for message in await _pushed(services, sender_id, cursor):
                cursor = message.id
                yield f"id: {message.id}\ndata: {json.dumps(message.model_dump(), ensure_ascii=False)}\n\n"
            await services.outbound.notifier.wait(key, STREAM_RECHECK_SECONDS)
            yield ": keep-alive\n\n"

    events = stream()
    if not services.chat_limits.streams.admit(key, events):
        raise HTTPException(status_code=429, detail=TOO_MANY_STREAMS, headers={"Retry-After": "60"})
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})


PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
PHOTO_BODY_CAP = 2**40                 # lifts the framework's cut: `photo_body` applies the configured limit itself
NOT_A_PHOTO = "Chỉ nhận ảnh JPEG, PNG hoặc WebP (gửi thẳng nội dung ảnh, Content-Type image/…)."
# The body of a photo upload is the image itself, documented for the schema (the route reads it as a stream).
PHOTO_BODY_SCHEMA = {"requestBody": {"required": True, "content": {
    t: {"schema": {"type": "string", "format": "binary"}} for t in PHOTO_TYPES}}}


async def photo_body(http: Request, max_bytes: int) -> bytes:
    """An uploaded photo's bytes: image content types only, no more than `max_bytes` (413 beyond)."""
    if http.headers.get("content-type", "").split(";")[0].strip().lower() not in PHOTO_TYPES:
        raise HTTPException(status_code=415, detail=NOT_A_PHOTO)
    too_large = HTTPException(status_code=413, detail=f"Ảnh quá lớn (tối đa {max_bytes // (1024 * 1024)} MB).")
    announced = http.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > max_bytes:
        raise too_large
    data = bytearray()
    async for chunk in http.stream():
        data += chunk
        if len(data) > max_bytes:
            raise too_large
    return bytes(data)


@router.post("/api/chat/photo", response_model=ChatResponse, max_body_size=PHOTO_BODY_CAP,
             openapi_extra=PHOTO_BODY_SCHEMA)
async def chat_photo(http: Request, sender_id: str | None = Query(None, pattern=SESSION_ID_PATTERN),
                     services: Services = Depends(get_services)) -> ChatResponse:
    """Send a photo of the appointment slip: the image itself as the body (`Content-Type: image/jpeg`,
    `image/png` or `image/webp`, at most `TTHC_SLIP_MAX_BYTES`), the conversation as `?sender_id=` (none: a new
    one starts). A dossier code read from it starts the lookup as if typed; otherwise the reply says what to
    photograph. The photo is read in memory and not kept."""
    await _within_rate(services, http, sender_id)
    data = await photo_body(http, services.slips.limits.max_bytes)
    sender_id = await _known_session(sender_id, services) if sender_id else await services.web_sessions.start()
    reading = await services.slips.read_async(data)
    replies = await services.gateway.handle(InboundMessage(channel=CHANNEL, sender_id=sender_id, event="photo",
                                                           reading=reading))
    return await _response(services, sender_id, replies)


@router.get("/", include_in_schema=False)
async def chat_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")
