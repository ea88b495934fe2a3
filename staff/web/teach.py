"""Teaching the assistant from the console: an officer labels a question (from the list of unanswered or 👎
questions) with the right procedure(s); the running assistant uses it at once, and any officer can see and undo
what was taught. Page /staff/teach; API /api/staff/examples."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from channels.services import Services, get_services
from feedback.examples import Taught
from inputs import ROW_ID_MAX, CleanModel
from knowledge_base.text import nfc
from staff.web.auth import StaffContext, csrf_checked, staff_api, staff_page
from staff.web.pages import render
from storage.tables import utcnow

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/staff/examples", tags=["staff"])


class NewExample(CleanModel):
    question: str = Field(min_length=3, max_length=500)
    codes: list[str] = Field(min_length=1, max_length=5)


class ExampleOut(BaseModel):
    id: int
    question: str
    codes: list[str]
    names: list[str]
    created_by: str
    created_at: datetime
    removed_by: str | None
    removed_at: datetime | None


def _out(example: Taught, services: Services) -> ExampleOut:
    names = [getattr(services.knowledge_base.get(c), "name", c) for c in example.codes]
    return ExampleOut(names=names, **example.__dict__)


@api.post("", status_code=201, response_model=ExampleOut)
async def teach(example: NewExample, context: StaffContext = Depends(csrf_checked),
                services: Services = Depends(get_services)) -> ExampleOut:
    """The question now leads to `codes` (catalogue codes), in the running assistant, at once."""
    question = nfc(example.question).strip()
    codes = list(dict.fromkeys(c.strip() for c in example.codes))
    unknown = [c for c in codes if services.knowledge_base.get(c) is None]
    if unknown:
        raise HTTPException(status_code=422, detail=f"codes: không có thủ tục {', '.join(unknown)} trong danh mục.")
    if len(question) < 3:
        raise HTTPException(status_code=422, detail="question: câu hỏi quá ngắn.")
    taught = await services.taught_sync.add(question, codes, context.member.username, utcnow())
    return _out(taught, services)


@api.get("", response_model=list[ExampleOut])
async def examples(removed: bool = Query(False, description="also the undone ones"), _: StaffContext = Depends(staff_api),
                   services: Services = Depends(get_services)) -> list[ExampleOut]:
    return [_out(e, services) for e in await services.taught.all(include_removed=removed)]


@api.delete("/{example_id}", status_code=204)
async def undo(example_id: Annotated[int, Path(ge=1, le=ROW_ID_MAX)], context: StaffContext = Depends(csrf_checked),
               services: Services = Depends(get_services)) -> Response:
    if not await services.taught_sync.remove(example_id, context.member.username, utcnow()):
        raise HTTPException(status_code=404, detail="Không có ví dụ này (hoặc đã được hoàn tác).")
    return Response(status_code=204)


@router.get("/staff/teach")
async def teach_page(request: Request, question: str = Query("", max_length=500),
                     context: StaffContext = Depends(staff_page),
                     services: Services = Depends(get_services)) -> HTMLResponse:
    taught = [_out(e, services) for e in await services.taught.all(include_removed=True)]
    return render(request, "teach.html", context, question=question, taught=list(reversed(taught)))
