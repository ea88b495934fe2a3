"""GET /health: state of Rasa, the knowledge base and the database."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from channels.dialogue import DialogueUnavailable
from channels.services import Services, get_services

router = APIRouter()


@router.get("/health", tags=["ops"])
async def health(services: Services = Depends(get_services)) -> JSONResponse:
    components: dict[str, dict[str, Any]] = {}
    try:
        components["rasa"] = {"ok": True, **await services.dialogue.status()}
    except DialogueUnavailable as exc:
        components["rasa"] = {"ok": False, "error": str(exc) or "unreachable"}
    try:
        components["knowledge_base"] = {"ok": True, **services.knowledge_base.stats()}
    except Exception as exc:  # report, never crash the probe
        components["knowledge_base"] = {"ok": False, "error": repr(exc)}
    try:
        await asyncio.to_thread(services.conversations.ping)
        components["database"] = {"ok": True}
    except Exception as exc:
        components["database"] = {"ok": False, "error": repr(exc)}
    healthy = all(c["ok"] for c in components.values())
    return JSONResponse({"status": "ok" if healthy else "degraded", "components": components},
                        status_code=200 if healthy else 503)
