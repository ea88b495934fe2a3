"""The handover queue for officers (/api/staff/handoffs): list (each contact phone shown audited), read the
conversation (audited: each full read and each officer's first read), claim (one officer wins; the second gets 409
with the reason), reply, hand back to the assistant, close; an administrator takes over or reassigns a request
(audited)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from channels.services import Services, get_services
from handover.desk import HandoverConflict
from handover.store import Handoff
from inputs import ROW_ID_MAX, CleanModel
from knowledge_base.text import nfc
from staff.web.auth import StaffContext, admin_only, csrf_checked, staff_api
from storage.tables import utcnow

router = APIRouter(prefix="/api/staff/handoffs", tags=["staff"])
VIEW_CONVERSATION = "view_conversation"
VIEW_CONTACT_PHONE = "view_contact_phone"
REASSIGN = "reassign_handoff"
CHANNEL_NAMES = {"web": "Web", "zalo": "Zalo", "telegram": "Telegram"}
HandoffId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]


class HandoffOut(BaseModel):
    id: int
    channel: str
    status: str
    reason: str
    requested_at: datetime
    claimed_by: str | None
    position: int                       # place in the queue while waiting, else 0
    contact_phone: str | None
    last_answer: str | None
    mine: bool


class MessageOut(BaseModel):
    id: int
    direction: str                      # "in" (citizen) | "out" (assistant or officer)
    text: str
    at: float


class ConversationOut(BaseModel):
    handoff: HandoffOut
    messages: list[MessageOut]


class OfficerWords(CleanModel):
    text: str = Field(min_length=1, max_length=2000)


class Reassignment(CleanModel):
    to: str | None = Field(None, min_length=1, max_length=64)     # left out: the administrator takes it over


async def _out(handoff: Handoff, username: str, services: Services) -> HandoffOut:
    return HandoffOut(id=handoff.id, channel=handoff.channel, status=handoff.status, reason=handoff.reason,
                      requested_at=handoff.requested_at, claimed_by=handoff.claimed_by,
                      position=await services.handover.store.position(handoff.id), contact_phone=handoff.contact_phone,
                      last_answer=handoff.last_answer, mine=handoff.claimed_by == username)


async def _handoff(handoff_id: int, services: Services) -> Handoff:
    handoff = await services.handover.store.get(handoff_id)
    if handoff is None:
        raise HTTPException(status_code=404, detail="Không có yêu cầu này.")
    return handoff


def _conflict(exc: HandoverConflict) -> HTTPException:
    return HTTPException(status_code=409, detail=str(exc))


@router.get("", response_model=list[HandoffOut])
async def queue(context: StaffContext = Depends(staff_api), services: Services = Depends(get_services)) -> list[HandoffOut]:
    """Open requests (waiting first, oldest first) and the latest ended ones; marks the officer as online."""
    username = context.member.username
    await services.handover.seen(username)
    handoffs = await services.handover.store.queue()
    for handoff in handoffs:
        if handoff.contact_phone:                  # a phone shown to this officer: audited (once per officer)
            await services.staff.audit.record_once(username, VIEW_CONTACT_PHONE, f"handoff:{handoff.id}", utcnow())
    return [await _out(h, username, services) for h in handoffs]


@router.get("/{handoff_id}", response_model=ConversationOut)
async def conversation(handoff_id: HandoffId, after: int = Query(0, ge=0, le=ROW_ID_MAX),
                       context: StaffContext = Depends(staff_api),
                       services: Services = Depends(get_services)) -> ConversationOut:
    """The conversation so far (messages with id > `after`, for live updates). Audited: every full read
    (`after` = 0) and each officer's first read whatever `after` is."""
    handoff = await _handoff(handoff_id, services)
    audit, subject = services.staff.audit, f"handoff:{handoff_id}"
    if after == 0:
        await audit.record(context.member.username, VIEW_CONVERSATION, subject, utcnow())
    else:
        await audit.record_once(context.member.username, VIEW_CONVERSATION, subject, utcnow())
    messages = await services.conversations.history(handoff.channel, handoff.sender_id, limit=200, after=after)
    return ConversationOut(handoff=await _out(handoff, context.member.username, services),
                           messages=[MessageOut(id=m.id, direction=m.direction, text=m.text, at=m.created_at)
                                     for m in messages])


@router.post("/{handoff_id}/claim", response_model=HandoffOut)
async def claim(handoff_id: HandoffId, context: StaffContext = Depends(csrf_checked),
                services: Services = Depends(get_services)) -> HandoffOut:
    await _handoff(handoff_id, services)
    try:
        handoff = await services.handover.claim(handoff_id, context.member.username)
    except HandoverConflict as exc:
        raise _conflict(exc) from exc
    return await _out(handoff, context.member.username, services)


@router.post("/{handoff_id}/messages", status_code=201, response_model=dict[str, int])
async def say(handoff_id: HandoffId, words: OfficerWords, context: StaffContext = Depends(csrf_checked),
              services: Services = Depends(get_services)) -> dict[str, int]:
    """The officer's reply, sent to the citizen on their channel."""
    await _handoff(handoff_id, services)
    text = nfc(words.text).strip()
    if not text:
        raise HTTPException(status_code=422, detail="Nội dung trả lời không được để trống.")
    try:
        undelivered = await services.handover.say(handoff_id, context.member.username, text)
    except HandoverConflict as exc:
        raise _conflict(exc) from exc
    return {"undelivered": undelivered}


async def _end(handoff_id: int, close: bool, context: StaffContext, services: Services) -> HandoffOut:
    await _handoff(handoff_id, services)
    try:
        handoff = await services.handover.end(handoff_id, context.member.username, close)
    except HandoverConflict as exc:
        raise _conflict(exc) from exc
    return await _out(handoff, context.member.username, services)


@router.post("/{handoff_id}/release", response_model=HandoffOut)
async def release(handoff_id: HandoffId, context: StaffContext = Depends(csrf_checked),
                  services: Services = Depends(get_services)) -> HandoffOut:
    """Hand the conversation back to the assistant ("trả lại cho trợ lý ảo")."""
    return await _end(handoff_id, False, context, services)


@router.post("/{handoff_id}/close", response_model=HandoffOut)
async def close(handoff_id: HandoffId, context: StaffContext = Depends(csrf_checked),
                services: Services = Depends(get_services)) -> HandoffOut:
    return await _end(handoff_id, True, context, services)


@router.post("/{handoff_id}/reassign", response_model=HandoffOut)
async def reassign(handoff_id: HandoffId, body: Reassignment | None = None, context: StaffContext = Depends(csrf_checked),
                   _: StaffContext = Depends(admin_only), services: Services = Depends(get_services)) -> HandoffOut:
    """An administrator takes over an open request (`to` left out) or hands it to another officer."""
    await _handoff(handoff_id, services)
    to = (body.to if body else None) or context.member.username
    if await services.staff.accounts.member(to) is None:
        raise HTTPException(status_code=422, detail=f"Không có tài khoản cán bộ {to}.")
    try:
        handoff = await services.handover.reassign(handoff_id, to)
    except HandoverConflict as exc:
        raise _conflict(exc) from exc
    await services.staff.audit.record(context.member.username, REASSIGN, f"handoff:{handoff_id}", utcnow())
    return await _out(handoff, context.member.username, services)
