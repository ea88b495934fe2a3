"""GET /health: state of Rasa, the knowledge base and the database (503 when one is down), and each channel's
undelivered messages."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from channels.dialogue import DialogueUnavailable
from channels.services import Services, get_services
from storage.outbox import FAILED

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
        components["knowledge_base"] = {"ok": False, "error": type(exc).__name__}
    failed: dict[str, int] = {}
    try:
        await asyncio.to_thread(services.db.ping)
        failed = await services.outbox.count(FAILED)
        components["database"] = {"ok": True}
    except Exception as exc:
        components["database"] = {"ok": False, "error": type(exc).__name__}
    healthy = all(c["ok"] for c in components.values())
    channels = {name: {"undelivered": failed.get(name, 0)} for name in services.outbound.channels}
    return JSONResponse({"status": "ok" if healthy else "degraded", "components": components, "channels": channels},
                        status_code=200 if healthy else 503)
