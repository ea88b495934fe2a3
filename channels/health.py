"""Health for operators and orchestrators:

- GET /health/live: the process answers (liveness).
- GET /health/ready: it can serve: knowledge base loaded, database reachable (503 otherwise). Rasa or Redis down is
  reported as degraded but still ready: the gateway answers politely without Rasa, and without Redis it counts
  limits and wakes streams within this instance.
- GET /health: the summary: Rasa, knowledge base, database (503 when one is down) and undelivered messages.
- GET /metrics: Prometheus metrics (channels/metrics.py), with the runner's restart counts per process."""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from channels.dialogue import DialogueUnavailable
from channels.services import Services, get_services
from storage.outbox import FAILED

router = APIRouter()
# Documented, so the schema names the 503 these probes answer by design (same JSON body as their 200).
DOWN: dict[int | str, dict[str, Any]] = {
    503: {"description": "Một thành phần đang hỏng", "content": {"application/json": {"schema": {"type": "object"}}}}}


@router.get("/health/live", tags=["ops"])
async def live() -> dict[str, str]:
    return {"status": "live"}


@router.get("/health/ready", tags=["ops"], responses=DOWN)
async def ready(services: Services = Depends(get_services)) -> JSONResponse:
    problems: list[str] = []
    if not services.knowledge_base.procedures:
        problems.append("knowledge_base")
    try:
        await asyncio.to_thread(services.db.ping)
    except Exception:
        problems.append("database")
    degraded: list[str] = []
    try:
        await services.dialogue.status()
    except DialogueUnavailable:
        degraded.append("rasa")
    if services.redis is not None and not await services.redis.ping():
        degraded.append("redis")            # limits and pushes fall back to this instance (README, Production mode)
    status = "not_ready" if problems else ("degraded" if degraded else "ready")
    return JSONResponse({"status": status, "failing": problems, "degraded": degraded},
                        status_code=503 if problems else 200)


@router.get("/health", tags=["ops"], responses=DOWN)
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


@router.get("/metrics", include_in_schema=False)
async def metrics(services: Services = Depends(get_services)) -> Response:
    body = await asyncio.to_thread(services.metrics.exposition, services.settings.supervisor_state)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
