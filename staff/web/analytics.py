"""Analytics for officers: the page /staff/analytics, its JSON and its CSV export (aggregates only: no question
text, no names, no phone numbers)."""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, timedelta

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from channels.services import Services, get_services
from dossiers.timing import VIETNAM
from feedback.analytics import Report, grouped, report
from feedback.store import REASONS
from staff.web.auth import StaffContext, staff_api, staff_page
from staff.web.charts import CHANNEL_COLOURS, messages_per_day, top_procedures
from staff.web.pages import render
from staff.web.paging import paged
from storage.tables import utcnow

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/staff", tags=["staff"])
MAX_DAYS = 366
WORK_PAGE = 20                         # question groups a page of "Câu hỏi cần cải thiện" shows
WORK_READ = 5000                       # the newest questions to work on that the page groups


def date_range(start: date | None, end: date | None) -> tuple[date, date]:
    today = utcnow().astimezone(VIETNAM).date()
    end = end or today
    start = start or end - timedelta(days=6)
    if start > end:
        raise HTTPException(status_code=422, detail="Ngày bắt đầu phải trước ngày kết thúc.")
    if (end - start).days >= MAX_DAYS:
        raise HTTPException(status_code=422, detail=f"Khoảng thời gian tối đa {MAX_DAYS} ngày.")
    return start, end


async def _report(services: Services, start: date | None, end: date | None, work_limit: int = 200) -> Report:
    first, last = date_range(start, end)
    return await asyncio.to_thread(report, services.db, first, last, work_limit=work_limit)


def _name(services: Services, code: str) -> str:
    procedure = services.knowledge_base.get(code)
    return procedure.name if procedure else code


def _summary(data: Report) -> dict[str, float | int | None]:
    return {"conversations": sum(r.conversations for r in data.per_day), "messages": sum(r.messages for r in data.per_day),
            "answers": data.answers, "no_match": data.no_match, "fallback_rate": data.fallback_rate,
            "ratings_up": data.ratings_up, "ratings_down": data.ratings_down, "satisfaction": data.satisfaction,
            "handovers": data.handovers, "median_wait_minutes": data.median_wait_minutes}


@router.get("/staff/analytics")
async def analytics_page(request: Request, start: date | None = None, end: date | None = None,
                         page: int = Query(1, ge=1, le=100_000), context: StaffContext = Depends(staff_page),
                         services: Services = Depends(get_services)) -> HTMLResponse:
    data = await _report(services, start, end, work_limit=WORK_READ)
    top = [(code, n, _name(services, code)) for code, n in data.top_procedures]
    work = paged(grouped(data.work), page, WORK_PAGE, "/staff/analytics",
                 {"start": data.start.isoformat(), "end": data.end.isoformat()})
    return render(request, "analytics.html", context, data=data, summary=_summary(data), work=work,
                  per_day=messages_per_day(data.per_day, data.start, data.end), top=top_procedures(top),
                  colours=CHANNEL_COLOURS, reasons=REASONS)


@api.get("/analytics")
async def analytics_json(start: date | None = None, end: date | None = None, _: StaffContext = Depends(staff_api),
                         services: Services = Depends(get_services)) -> dict:
    data = await _report(services, start, end)
    return {"start": data.start, "end": data.end, "summary": _summary(data),
            "per_day": [r.__dict__ for r in data.per_day],
            "top_procedures": [{"code": c, "name": _name(services, c), "answers": n} for c, n in data.top_procedures],
            "work": [{"at": w.at, "channel": w.channel, "question": w.question, "why": w.why,
                      "procedure_code": w.procedure_code, "reason": w.reason} for w in data.work]}


@api.get("/analytics.csv", response_class=Response,
         responses={200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def analytics_csv(start: date | None = Query(None), end: date | None = Query(None),
                        _: StaffContext = Depends(staff_api), services: Services = Depends(get_services)) -> Response:
    """Long format: `metric,date,channel,procedure_code,value`; aggregates only."""
    data = await _report(services, start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "date", "channel", "procedure_code", "value"])
    for row in data.per_day:
        writer.writerow(["conversations", row.day.isoformat(), row.channel, "", row.conversations])
        writer.writerow(["messages", row.day.isoformat(), row.channel, "", row.messages])
    for code, count in data.top_procedures:
        writer.writerow(["procedure_answers", "", "", code, count])
    for key, value in _summary(data).items():
        writer.writerow([key, "", "", "", "" if value is None else round(value, 4)])
    name = f"analytics-{data.start.isoformat()}-{data.end.isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
