"""The gateway application: `uvicorn channels.app:app`."""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from channels import health, procedures_api
from channels.action_server import build_action_executor, router as action_router
from channels.dialogue import RasaDialogue
from channels.services import Services
from channels.web import routes as web_routes
from knowledge_base.service import get_knowledge_base
from settings import SETTINGS, Settings
from storage import open_conversation_store

log = logging.getLogger(__name__)


def create_app(settings: Settings = SETTINGS) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        knowledge_base = await asyncio.to_thread(get_knowledge_base)
        services = Services(
            settings=settings,
            knowledge_base=knowledge_base,
            dialogue=RasaDialogue(settings.rasa_url, settings.rasa_timeout),
            conversations=open_conversation_store(settings.database_url),
            actions=build_action_executor(),
        )
        app.state.services = services
        log.info("Gateway ready: %s", knowledge_base.stats())
        yield
        await services.dialogue.close()
        services.conversations.close()

    app = FastAPI(title="Trợ lý ảo thủ tục hành chính", lifespan=lifespan)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        reasons = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "Yêu cầu không hợp lệ.", "errors": reasons}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("Unhandled error", exc_info=exc)
        return JSONResponse({"detail": "Đã có lỗi xảy ra, anh/chị vui lòng thử lại sau ít phút."}, status_code=500)

    app.include_router(web_routes.router)
    app.include_router(procedures_api.router)
    app.include_router(health.router)
    app.include_router(action_router)
    app.mount("/static", StaticFiles(directory=web_routes.STATIC_DIR), name="static")
    return app


app = create_app()
