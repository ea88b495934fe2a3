"""The staff console's JSON API (/api/staff): sign-in, procedure search, the overdue board, dossiers (every view
of personal data audited), accounts and the audit log for administrators."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field

from channels.services import Services, get_services
from channels.web.routes import PHOTO_BODY_CAP, PHOTO_BODY_SCHEMA, photo_body
from dossiers.models import Dossier, HistoryEntry, Status
from inputs import CleanModel
from knowledge_base.text import nfc
from staff.accounts import USERNAME_PATTERN, AccountError, SignIn
from staff.audit import SCAN_SLIP, VIEW_DOSSIER, AuditRecord
from staff.board import board
from staff.sessions import SESSION_HOURS
from staff.web.auth import COOKIE, StaffContext, admin_checked, admin_only, csrf_checked, staff_api
from storage.retention import forget_conversation, purge_tracker
from storage.tables import utcnow

router = APIRouter(prefix="/api/staff", tags=["staff"])
FORGET_CONVERSATION = "forget_conversation"


class Credentials(CleanModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    username: str
    role: str
    csrf_token: str


class NewAccount(CleanModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=8, max_length=256)
    role: str = Field(pattern="^(officer|admin)$")


class StaffHit(BaseModel):
    code: str
    name: str
    field: str
    levels: list[str]
    source_group: str
    score: float


class StaffSearch(BaseModel):
    results: list[StaffHit]
    took_ms: float
    understood: str


class BoardEntry(BaseModel):
    """One line of the overdue board: no personal data (that is on the dossier page, audited)."""
    code: str
    procedure_code: str
    procedure_name: str | None
    status: Status
    stage: str | None
    office: str
    due_at: datetime                    # moved by the time spent waiting for the citizen's supplement
    days_late: int
    lateness: list[str]                 # "chậm 4 ngày ở khâu thẩm định", "quá hạn 1 ngày"
    waiting_for_citizen: bool           # a supplement was requested and has not arrived: the clocks stand still
    state: str


class DossierView(BaseModel):
    dossier: Dossier
    procedure_name: str | None
    due_at: datetime
    days_late: int
    lateness: list[str]
    history: list[HistoryEntry]


def refuse_sign_in(outcome: SignIn) -> None:
    """The refusal for a password check that did not pass (sign-in, password change)."""
    if outcome is SignIn.THROTTLED:
        raise HTTPException(status_code=429, detail="Đăng nhập sai quá nhiều lần; vui lòng thử lại sau 15 phút.")
    if outcome is SignIn.DISABLED:
        raise HTTPException(status_code=403, detail="Tài khoản đã bị khoá; vui lòng liên hệ quản trị viên.")
    if outcome is not SignIn.OK:
        raise HTTPException(status_code=401, detail="Sai tên đăng nhập hoặc mật khẩu.")


def _me(context: StaffContext) -> Me:
    return Me(username=context.member.username, role=context.member.role, csrf_token=context.csrf_token)


@router.post("/login", response_model=Me)
async def login(credentials: Credentials, request: Request, response: Response,
                services: Services = Depends(get_services)) -> Me:
    """Sign in; the session cookie comes back HttpOnly, SameSite=Lax (Secure over HTTPS) with the CSRF token to
    send as `X-CSRF-Token` on every state-changing call."""
    address = request.client.host if request.client else "unknown"
    outcome, member = await services.staff.accounts.sign_in(credentials.username, credentials.password, address,
                                                            utcnow())
    refuse_sign_in(outcome)
    assert member is not None
    token, csrf = await services.staff.sessions.open(member, utcnow())
    response.set_cookie(COOKIE, token, max_age=SESSION_HOURS * 3600, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return Me(username=member.username, role=member.role, csrf_token=csrf)


@router.post("/logout", status_code=204)
async def logout(response: Response, context: StaffContext = Depends(csrf_checked),
                 services: Services = Depends(get_services)) -> Response:
    await services.staff.sessions.close(context.session_token)
    response.delete_cookie(COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/me", response_model=Me)
async def me(context: StaffContext = Depends(staff_api)) -> Me:
    return _me(context)


@router.get("/procedures/search", response_model=StaffSearch)
async def search(q: str = Query(min_length=1, max_length=500), field: str | None = Query(None, max_length=200),
                 level: str | None = Query(None, max_length=50), group: str | None = Query(None, max_length=50),
                 limit: int = Query(20, ge=1, le=50), _: StaffContext = Depends(staff_api),
                 services: Services = Depends(get_services)) -> StaffSearch:
    """The chat's search (unaccented and abbreviated queries work), with filters for the counter."""
    query = nfc(q).strip()
    if not query:
        raise HTTPException(status_code=422, detail="Từ khoá tìm kiếm không được để trống.")
    result = await asyncio.to_thread(services.knowledge_base.search, query, limit=limit,
                                     field=nfc(field) if field else None, level=nfc(level) if level else None,
                                     group=group or None)
    return StaffSearch(results=[StaffHit(**h.__dict__) for h in result.hits], took_ms=result.took_ms,
                       understood=result.query)


@router.get("/dossiers", response_model=list[BoardEntry])
async def overdue_board(office: str | None = Query(None, max_length=200),
                        procedure: str | None = Query(None, max_length=20), status: Status | None = None,
                        _: StaffContext = Depends(staff_api),
                        services: Services = Depends(get_services)) -> list[BoardEntry]:
    """Late first (most days late first), then due today, then the rest."""
    rows = board(await services.dossiers.find(status, procedure), utcnow(), office)
    name = services.knowledge_base.get
    return [BoardEntry(code=r.dossier.code, procedure_code=r.dossier.procedure_code,
                       procedure_name=getattr(name(r.dossier.procedure_code), "name", None), status=r.dossier.status,
                       stage=r.timing.stage.name if r.timing.stage else None,
                       office=r.timing.stage.office if r.timing.stage else r.dossier.current_office,
                       due_at=r.timing.due_at, days_late=r.days_late, lateness=r.lateness,
                       waiting_for_citizen=r.timing.waiting_since is not None, state=r.state) for r in rows]


async def dossier_view(code: str, context: StaffContext, services: Services) -> DossierView:
    """A dossier with its personal data; the view is written to the audit log first."""
    dossier = await services.dossiers.get(code)
    if dossier is None:
        raise HTTPException(status_code=404, detail=f"Không có hồ sơ {code}.")
    await services.staff.audit.record(context.member.username, VIEW_DOSSIER, code, utcnow())
    procedure = services.knowledge_base.get(dossier.procedure_code)
    row = board([dossier], utcnow())[0]
    return DossierView(dossier=dossier, procedure_name=procedure.name if procedure else None,
                       due_at=row.timing.due_at, days_late=row.days_late, lateness=row.lateness,
                       history=await services.dossiers.history(code))


@router.get("/dossiers/{code}", response_model=DossierView)
async def get_dossier(code: str, context: StaffContext = Depends(staff_api),
                      services: Services = Depends(get_services)) -> DossierView:
    return await dossier_view(code, context, services)


class ScannedSlip(BaseModel):
    code: str
    page: str


SLIP_UNREAD = {"no_code": "Không đọc được mã hồ sơ trên ảnh. Hãy chụp rõ phần mã hồ sơ hoặc mã QR trên phiếu hẹn.",
               "too_slow": "Đọc ảnh quá lâu, vui lòng chụp lại gần hơn phần mã hồ sơ hoặc mã QR.",
               "refused": "Tệp không phải ảnh JPEG, PNG hoặc WebP đọc được, hoặc quá lớn."}


@router.post("/dossiers/photo", response_model=ScannedSlip, max_body_size=PHOTO_BODY_CAP,
             openapi_extra=PHOTO_BODY_SCHEMA)
async def scan_slip(request: Request, context: StaffContext = Depends(csrf_checked),
                    services: Services = Depends(get_services)) -> ScannedSlip:
    """A photo or scan of an appointment slip (the image as the body, `Content-Type: image/…`): the dossier it
    names, and the page to open. The scan is audited; the photo is read in memory and not kept. 422 when no code
    is read, 404 when no such dossier exists."""
    reading = await services.slips.read_async(await photo_body(request, services.slips.limits.max_bytes))
    if reading.code is None:
        raise HTTPException(status_code=422, detail=SLIP_UNREAD[reading.outcome])
    await services.staff.audit.record(context.member.username, SCAN_SLIP, reading.code, utcnow())
    if await services.dossiers.get(reading.code) is None:
        raise HTTPException(status_code=404, detail=f"Không có hồ sơ {reading.code}.")
    return ScannedSlip(code=reading.code, page=f"/staff/dossiers/{reading.code}")


@router.get("/audit", response_model=list[dict[str, Any]])
async def audit(subject: str | None = Query(None, max_length=64), _: StaffContext = Depends(admin_only),
                services: Services = Depends(get_services)) -> list[dict[str, Any]]:
    records: list[AuditRecord] = await services.staff.audit.recent(subject=subject)
    return [r.__dict__ for r in records]


@router.post("/users", status_code=201, response_model=dict[str, str])
async def create_user(account: NewAccount, _: StaffContext = Depends(admin_checked),
                      services: Services = Depends(get_services)) -> dict[str, str]:
    try:
        member = await services.staff.accounts.create(account.username, account.password, account.role, utcnow())
    except AccountError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return {"username": member.username, "role": member.role}


@router.delete("/conversations/{channel}/{sender_id}", response_model=dict[str, int])
async def forget(channel: str = Path(pattern="^(web|zalo|telegram)$"), sender_id: str = Path(max_length=128),
                 context: StaffContext = Depends(admin_checked), services: Services = Depends(get_services)) -> dict[str, int]:
    """A citizen's request to be forgotten (administrators): their conversation leaves every store, Rasa's too."""
    counts = await asyncio.to_thread(forget_conversation, services.db, channel, sender_id)
    counts["rasa_tracker_events"] = await asyncio.to_thread(purge_tracker, services.settings.tracker_store_url,
                                                            conversation_id=f"{channel}:{sender_id}")
    await services.staff.audit.record(context.member.username, FORGET_CONVERSATION, f"{channel}:{sender_id}"[:64],
                                      utcnow())
    return counts
