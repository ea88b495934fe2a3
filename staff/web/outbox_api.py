"""Messages the assistant could not deliver (/api/staff/outbox): the list of those given up, with the reason, and
putting one back in the queue (audited), which the outbox relay then sends."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel

from channels.services import Services, get_services
from inputs import ROW_ID_MAX
from staff.web.auth import StaffContext, csrf_checked, staff_api
from storage.outbox import FailedMessage
from storage.tables import utcnow

router = APIRouter(prefix="/api/staff/outbox", tags=["staff"])
RETRY_MESSAGE = "retry_message"
MessageId = Annotated[int, Path(ge=1, le=ROW_ID_MAX)]


class FailedOut(BaseModel):
    """No personal data: the channel, how often it was tried, why it failed."""
    id: int
    channel: str
    attempts: int
    error: str | None
    created_at: datetime


class RetryOut(BaseModel):
    id: int
    status: str                        # "sent" when this gateway delivered it at once, else "pending"


def failed_out(message: FailedMessage) -> FailedOut:
    return FailedOut(id=message.id, channel=message.channel, attempts=message.attempts, error=message.error,
                     created_at=message.created_at)


@router.get("", response_model=list[FailedOut])
async def failures(_: StaffContext = Depends(staff_api), services: Services = Depends(get_services)) -> list[FailedOut]:
    """Messages given up after every attempt, newest first."""
    return [failed_out(m) for m in await services.outbox.failures()]


@router.post("/{message_id}/retry", response_model=RetryOut)
async def retry(message_id: MessageId, context: StaffContext = Depends(csrf_checked),
                services: Services = Depends(get_services)) -> RetryOut:
    """Put a failed message back in the queue with a fresh count of attempts, and try it at once."""
    found = await services.outbox.status(message_id)
    if found is None:
        raise HTTPException(status_code=404, detail="Không có tin nhắn này.")
    if not await services.outbox.retry(message_id):
        raise HTTPException(status_code=409, detail="Tin nhắn này không ở trạng thái gửi thất bại.")
    await services.staff.audit.record(context.member.username, RETRY_MESSAGE, f"outbox:{message_id}", utcnow())
    await services.outbound.relay.send_due(message_id)
    status, _ = await services.outbox.status(message_id) or ("pending", 0)
    return RetryOut(id=message_id, status=status)
