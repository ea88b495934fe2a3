"""The staff console's pages (server-rendered, small vanilla JS, nothing from a CDN): sign-in, procedure search
as you type, the procedure sheet and its print view, the overdue board, a dossier with its stages and history, the messages that could not be delivered."""
from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from channels.services import Services, get_services
from dossiers.models import Status
from dossiers.timing import local_date, local_time
from knowledge_base.answers.sheet import procedure_sheet
from staff.board import board
from staff.web.api import dossier_view
from staff.web.auth import StaffContext, admin_only, staff_page
from staff.web.handoff_api import CHANNEL_NAMES
from staff.web.labels import CHANGES, DELIVERY, LEVELS, SOURCE_GROUPS, STATUS
from staff.web.paging import paged
from storage.tables import utcnow

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["vn_date"] = local_date
templates.env.filters["vn_time"] = local_time
router = APIRouter(prefix="/staff", include_in_schema=False)
BOARD_PAGE = 50                        # dossiers a page of the overdue board shows


def render(request: Request, name: str, context: StaffContext | None, **values: object) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"staff": context, "groups": SOURCE_GROUPS, "levels": LEVELS,
                                                      "status_labels": STATUS, "delivery": DELIVERY,
                                                      "change_labels": CHANGES, **values})


@router.get("/login")
async def login_page(request: Request, next: str = Query("/staff", max_length=500)) -> HTMLResponse:
    safe_next = next if next.startswith("/staff") else "/staff"
    return render(request, "login.html", None, next=safe_next)


@router.get("")
async def search_page(request: Request, q: str = Query("", max_length=500), field: str = Query("", max_length=200),
                      level: str = Query("", max_length=50), group: str = Query("", max_length=50),
                      context: StaffContext = Depends(staff_page),
                      services: Services = Depends(get_services)) -> HTMLResponse:
    """Search page; a shared URL (?q=…&field=…) opens with its results already there."""
    hits = []
    if q.strip():
        result = await asyncio.to_thread(services.knowledge_base.search, q.strip(), limit=20, field=field or None,
                                         level=level or None, group=group or None)
        hits = result.hits
    fields = sorted({p.field for p in services.knowledge_base.procedures})
    return render(request, "search.html", context, q=q, field=field, level=level, group=group, hits=hits,
                  fields=fields)


def _sheet(code: str, services: Services):  # type: ignore[no-untyped-def]
    procedure = services.knowledge_base.get(code)
    if procedure is None:
        raise HTTPException(status_code=404, detail=f"Không có thủ tục mã {code}.")
    return procedure_sheet(procedure)


@router.get("/procedures/{code}")
async def procedure_page(request: Request, code: str, context: StaffContext = Depends(staff_page),
                         services: Services = Depends(get_services)) -> HTMLResponse:
    return render(request, "procedure.html", context, sheet=_sheet(code, services))


@router.get("/procedures/{code}/print")
async def procedure_print(request: Request, code: str, context: StaffContext = Depends(staff_page),
                          services: Services = Depends(get_services)) -> HTMLResponse:
    return render(request, "print.html", context, sheet=_sheet(code, services), printed=local_date(utcnow()))


@router.get("/handoff")
async def handoff_page(request: Request, context: StaffContext = Depends(staff_page)) -> HTMLResponse:
    """The handover queue and the conversation an officer holds (kept live by staff.js)."""
    return render(request, "handoff.html", context)


@router.get("/outbox")
async def outbox_page(request: Request, context: StaffContext = Depends(staff_page),
                      services: Services = Depends(get_services)) -> HTMLResponse:
    """Messages given up, each with a button to send it again."""
    return render(request, "outbox.html", context, messages=await services.outbox.failures(), channels=CHANNEL_NAMES)


@router.get("/account")
async def account_page(request: Request, context: StaffContext = Depends(staff_page),
                       services: Services = Depends(get_services)) -> HTMLResponse:
    """One's own account: change the password, sign out everywhere."""
    idle_minutes = round(services.staff.sessions.idle.total_seconds() / 60)
    return render(request, "account.html", context, idle_minutes=idle_minutes)


@router.get("/users")
async def users_page(request: Request, context: StaffContext = Depends(staff_page),
                     services: Services = Depends(get_services)) -> HTMLResponse:
    """Administrators: every account, with a button to disable or enable it."""
    await admin_only(context)
    return render(request, "users.html", context, accounts=await services.staff.accounts.all())


@router.get("/dossiers")
async def dossiers_page(request: Request, office: str = Query("", max_length=200),
                        procedure: str = Query("", max_length=20), status: str = Query("", max_length=20),
                        page: int = Query(1, ge=1, le=100_000), context: StaffContext = Depends(staff_page),
                        services: Services = Depends(get_services)) -> HTMLResponse:
    """The board a page at a time; its filters and page are in the URL, ready to share."""
    chosen = Status(status) if status in {s.value for s in Status} else None
    rows = board(await services.dossiers.find(chosen, procedure or None), utcnow(), office or None)
    shown = paged(rows, page, BOARD_PAGE, "/staff/dossiers",
                  {"office": office, "procedure": procedure, "status": status})
    names = {r.dossier.procedure_code: getattr(services.knowledge_base.get(r.dossier.procedure_code), "name", "")
             for r in shown.items}
    paused_until = await services.dossier_assistant.paused_until()
    return render(request, "dossiers.html", context, rows=shown, names=names, office=office, procedure=procedure,
                  status=status, lookups_paused_until=paused_until)


@router.get("/dossiers/{code}")
async def dossier_page(request: Request, code: str, context: StaffContext = Depends(staff_page),
                       services: Services = Depends(get_services)) -> HTMLResponse:
    return render(request, "dossier.html", context, view=await dossier_view(code, context, services))
