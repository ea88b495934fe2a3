"""The gateway application: `uvicorn channels.app:app`."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from http import HTTPStatus
from contextlib import AsyncExitStack, asynccontextmanager
from typing import AsyncIterator, Callable

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from channels import admin_dossiers, health, procedures_api
from channels.action_server import build_action_executor, router as action_router
from channels.background import BackgroundTasks
from channels.conversation import Gateway
from channels.dialogue import RasaDialogue
from channels.guards import RequestGuards
from dossiers.slips.limits import PhotoLimits
from dossiers.slips.reader import SlipReader
from channels.logs import configure_logging
from channels.metrics import Metrics, RequestTimer
from channels.outbound import ChannelAdapter, Outbound, PushNotifier
from channels.relay import OutboxRelay, RetryPolicy
from channels.request_id import HEADER as REQUEST_ID_HEADER, RequestContext, current_request_id
from channels.schemas import ERROR_RESPONSES
from channels.security_headers import SecurityHeaders
from channels.services import ChatLimits, Services
from channels.taught_sync import TaughtSync
from channels.telegram import webhook as telegram_webhook
from channels.telegram.lifecycle import start_telegram
from channels.web import routes as web_routes
from channels.web.channel import WebChannel
from channels.zalo import webhook as zalo_webhook
from channels.zalo.channel import ZaloChannel
from channels.zalo.client import ZaloClient
from cluster.bus import LocalBus, RedisBus
from cluster.redis_client import SharedRedis
from dossiers.access_store import DossierAccessStore
from dossiers.assistant import DossierAssistant
from dossiers.notifier import DossierNotifier
from dossiers.sources import DossierSource, HttpDossierSource
from dossiers.store import DossierStore
from feedback.examples import TaughtExampleStore
from feedback.store import FeedbackStore
from handover.desk import HandoverDesk
from handover.hours import OfficeHours
from handover.store import HandoffStore
from knowledge_base.service import KnowledgeBase
from settings import SETTINGS, Settings
from staff.console import StaffConsole
from staff.web import (accounts_api as staff_accounts_api, analytics as staff_analytics, api as staff_api, handoff_api,
                       outbox_api, pages as staff_pages, teach)
from storage.choices import ChoiceStore
from storage.conversations import ConversationLog
from storage.credentials import CredentialStore
from storage.database import Database
from storage.events import ProcessedEvents
from storage.outbox import Outbox
from storage.tables import utcnow
from storage.web_sessions import WebSessions

log = logging.getLogger(__name__)
NUMBERED_CHANNELS = frozenset({"zalo"})        # channels that show choices as numbered options
SHUTDOWN_GRACE_SECONDS = 10
HANDOVER_SWEEP_SECONDS = 30         # how often claims whose officer has gone are looked for
GENERIC_ERRORS = {400: "Yêu cầu không hợp lệ.", 404: "Không tìm thấy địa chỉ này.",
                  405: "Phương thức không được hỗ trợ cho địa chỉ này.",
                  413: "Nội dung gửi lên quá lớn.", 429: "Anh/chị gửi quá nhiều yêu cầu; vui lòng thử lại sau ít phút."}
# The framework's own English reasons, said in Vietnamese.
FRAMEWORK_ERRORS = {"There was an error parsing the body": "Nội dung gửi lên không đọc được (cần JSON, mã hoá UTF-8)."}
DATABASE_UNAVAILABLE = ("Hệ thống đang tạm gián đoạn nên chưa xử lý được yêu cầu. Anh/chị vui lòng thử lại sau "
                        "ít phút ạ.")
MAX_BODY_BYTES = 256 * 1024          # announced bodies: refused by RequestGuards in Vietnamese
MAX_STREAMED_BODY_BYTES = 1024 * 1024  # bodies that do not announce their size: cut by the framework


def procedure_name(knowledge_base: KnowledgeBase) -> Callable[[str], str | None]:
    def name(code: str) -> str | None:
        procedure = knowledge_base.get(code)
        return procedure.name if procedure else None
    return name


@asynccontextmanager
async def services_for(settings: Settings, metrics: Metrics) -> AsyncIterator[Services]:
    """Build every long-lived object, start the channels, and tear it all down in reverse order."""
    async with AsyncExitStack() as stack:
        if not settings.action_token:
            log.error("TTHC_ACTION_TOKEN is unset: the action endpoint refuses every call, so Rasa's actions fail "
                      "(make run and make run-cluster generate one and hand it to Rasa)")
        knowledge_base = await asyncio.to_thread(KnowledgeBase.load, settings)
        db = Database(settings.database_url)
        stack.callback(db.close)
        await asyncio.to_thread(db.migrate)
        metrics.watch_database(db)
        dialogue = RasaDialogue(settings.rasa_url, settings.rasa_timeout, metrics.rasa, settings.rasa_token)
        stack.push_async_callback(dialogue.close)
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))

        redis = SharedRedis(settings.redis_url) if settings.redis_url else None
        if redis is not None:
            stack.push_async_callback(redis.close)
        bus = RedisBus(redis) if redis is not None else LocalBus()
        listening = asyncio.create_task(bus.run(), name="bus")
        stack.callback(listening.cancel)
        metrics.watch_redis(redis)

        conversations, choices, outbox = ConversationLog(db), ChoiceStore(db), Outbox(db)
        adapters: dict[str, ChannelAdapter] = {"web": WebChannel()}
        if settings.zalo.enabled:
            adapters["zalo"] = ZaloChannel(ZaloClient(settings.zalo, CredentialStore(db), http))
        telegram = await stack.enter_async_context(start_telegram(settings.telegram)) \
            if settings.telegram.enabled else None
        if telegram is not None:
            adapters["telegram"] = telegram.channel
        relay = OutboxRelay(outbox, {name: a for name, a in adapters.items() if not a.stored}, RetryPolicy(
            quick_retries=settings.send_retries, quick_backoff=settings.send_backoff_seconds,
            max_attempts=settings.outbox_max_attempts, retry_after=settings.outbox_retry_seconds,
            lease=timedelta(seconds=settings.outbox_lease_seconds), interval=settings.outbox_interval_seconds))
        relaying = asyncio.create_task(relay.run(), name="outbox-relay")
        stack.callback(relaying.cancel)
        outbound = Outbound(adapters, choices, outbox, conversations, PushNotifier(bus), relay)
        handover = HandoverDesk(HandoffStore(db), OfficeHours.parse(settings.office_hours, settings.holidays),
                                outbound.push, idle=timedelta(minutes=settings.handover_idle_minutes))
        sweeping = asyncio.create_task(handover.keep_unstuck(HANDOVER_SWEEP_SECONDS), name="handover-sweep")
        stack.callback(sweeping.cancel)
        chat_limits = ChatLimits.per_minute(settings.chat_rate_per_minute, redis, settings.read_rate_per_minute)
        gateway = Gateway(dialogue, conversations, choices, settings.max_message_chars, NUMBERED_CHANNELS, handover,
                          chat_limits.per_conversation, settings.slip_max_bytes)
        slips = SlipReader(PhotoLimits(settings.slip_max_bytes, settings.slip_max_pixels),
                           settings.slip_timeout_seconds)
        stack.callback(slips.close)
        background = BackgroundTasks()
        stack.push_async_callback(background.drain, SHUTDOWN_GRACE_SECONDS)
        dossiers = DossierStore(db)
        source: DossierSource = (HttpDossierSource(settings.dossier_source_url, settings.dossier_source_token, http)
                                 if settings.dossier_source_url else dossiers)
        assistant = DossierAssistant(source, DossierAccessStore(db), procedure_name(knowledge_base))
        notifier = DossierNotifier(dossiers, assistant, outbound.push, outbound.serves,
                                   settings.notify_interval_seconds)
        notifying = asyncio.create_task(notifier.run(), name="dossier-notifier")
        stack.callback(notifying.cancel)
        feedback, taught = FeedbackStore(db), TaughtExampleStore(db)
        taught_sync = TaughtSync(taught, knowledge_base, bus, background)
        await taught_sync.reload()
        staff = StaffConsole.on(db, timedelta(minutes=settings.staff_idle_minutes))
        if settings.staff_admin_user and settings.staff_admin_password:
            await asyncio.to_thread(staff.accounts.ensure_first_admin, settings.staff_admin_user,
                                    settings.staff_admin_password, utcnow())
        services = Services(
            settings=settings, knowledge_base=knowledge_base, db=db, dialogue=dialogue, gateway=gateway,
            conversations=conversations,
            outbound=outbound, outbox=outbox, web_sessions=WebSessions(db), events=ProcessedEvents(db),
            background=background, actions=build_action_executor(knowledge_base, assistant, handover, feedback),
            dossiers=dossiers, dossier_assistant=assistant, notifier=notifier, staff=staff, handover=handover,
            feedback=feedback, taught=taught, taught_sync=taught_sync, bus=bus, redis=redis, slips=slips, http=http,
            chat_limits=chat_limits, metrics=metrics,
            telegram=telegram.application if telegram else None,
        )
        if telegram is not None:
            await telegram.serve(gateway, outbound, slips)
        log.info("Gateway ready: %s; channels: %s", knowledge_base.stats(), ", ".join(adapters))
        yield services


def create_app(settings: Settings = SETTINGS) -> FastAPI:
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        restore_logging = configure_logging(settings.log_format)
        try:
            async with services_for(settings, metrics) as services:
                app.state.services = services
                yield
        finally:
            restore_logging()

    app = FastAPI(title="Trợ lý ảo thủ tục hành chính", lifespan=lifespan, max_body_size=MAX_STREAMED_BODY_BYTES,
                  responses=ERROR_RESPONSES)
    app.add_middleware(RequestGuards, max_body=MAX_BODY_BYTES)
    app.add_middleware(RequestTimer, metrics=metrics)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Last-Event-ID"])
    app.add_middleware(SecurityHeaders)            # every answer, refusals and errors included
    app.add_middleware(RequestContext)             # outermost: every answer carries X-Request-ID

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        reasons = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "Yêu cầu không hợp lệ.", "errors": reasons}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Our own refusals carry a Vietnamese reason; the framework's English defaults are replaced."""
        detail = FRAMEWORK_ERRORS.get(str(exc.detail), exc.detail)
        if exc.detail == HTTPStatus(exc.status_code).phrase:
            detail = GENERIC_ERRORS.get(exc.status_code, "Yêu cầu không được chấp nhận.")
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(DBAPIError)
    async def database_unavailable(_: Request, exc: DBAPIError) -> JSONResponse:
        """The database went away (or refused): say so and ask to retry; the pool reconnects by itself."""
        log.error("Database error: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        return JSONResponse({"detail": DATABASE_UNAVAILABLE}, status_code=503, headers={"Retry-After": "30"})

    @app.exception_handler(IntegrityError)
    @app.exception_handler(DataError)
    async def database_refused_the_data(_: Request, exc: DBAPIError) -> JSONResponse:
        """A constraint or a value the database refused is a bug, not an outage: 500 with the request id."""
        log.error("Database refused the data: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        return JSONResponse({"detail": "Đã có lỗi xảy ra, anh/chị vui lòng thử lại sau ít phút."}, status_code=500,
                            headers={REQUEST_ID_HEADER: current_request_id() or ""})

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("Unhandled error: %s", type(exc).__name__, exc_info=exc)
        return JSONResponse({"detail": "Đã có lỗi xảy ra, anh/chị vui lòng thử lại sau ít phút."}, status_code=500,
                            headers={REQUEST_ID_HEADER: current_request_id() or ""})

    app.include_router(web_routes.router)
    app.include_router(zalo_webhook.router)
    app.include_router(telegram_webhook.router)
    app.include_router(procedures_api.router)
    app.include_router(admin_dossiers.router)
    app.include_router(staff_api.router)
    app.include_router(staff_accounts_api.router)
    app.include_router(handoff_api.router)
    app.include_router(outbox_api.router)
    app.include_router(staff_analytics.router)
    app.include_router(staff_analytics.api)
    app.include_router(teach.router)
    app.include_router(teach.api)
    app.include_router(staff_pages.router)
    app.include_router(health.router)
    app.include_router(action_router)
    app.mount("/static", StaticFiles(directory=web_routes.STATIC_DIR), name="static")
    app.mount("/staff-static", StaticFiles(directory=staff_pages.STATIC_DIR), name="staff-static")
    return app


app = create_app()
