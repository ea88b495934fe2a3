"""Procedure search and lookup for staff tools and integrations."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel

from channels.services import Services, get_services
from channels.web.routes import within_read_rate
from knowledge_base.text import nfc

router = APIRouter(prefix="/api/procedures", tags=["procedures"])


class SearchHitOut(BaseModel):
    code: str
    name: str
    field: str
    levels: list[str]
    score: float


class SearchOut(BaseModel):
    results: list[SearchHitOut]
    took_ms: float


@router.get("/search", response_model=SearchOut)
async def search_procedures(
    http: Request,
    q: str = Query(min_length=1, max_length=500, description="Câu hỏi hoặc từ khoá"),
    limit: int = Query(10, ge=1, le=50),
    field: str | None = Query(None, max_length=200, description="Lĩnh vực, ví dụ: Hộ tịch"),
    level: str | None = Query(None, max_length=50, description="Cấp thực hiện, ví dụ: Cấp xã"),
    services: Services = Depends(get_services),
) -> SearchOut:
    await within_read_rate(services, http)
    query = nfc(q).strip()
    if not query:
        raise HTTPException(status_code=422, detail="Từ khoá tìm kiếm không được để trống.")
    result = await asyncio.to_thread(
        services.knowledge_base.search, query, limit=limit,
        field=nfc(field) if field else None, level=nfc(level) if level else None,
    )
    return SearchOut(
        results=[SearchHitOut(code=h.code, name=h.name, field=h.field, levels=h.levels, score=round(h.score, 4))
                 for h in result.hits],
        took_ms=round(result.took_ms, 2),
    )


@router.get("/{code}")
async def get_procedure(code: str, services: Services = Depends(get_services)) -> dict[str, Any]:
    procedure = services.knowledge_base.get(code.strip())
    if procedure is None:
        raise HTTPException(status_code=404, detail=f"Không có thủ tục mã {code!r} trong danh mục.")
    return procedure.to_dict()
