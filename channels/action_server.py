"""rasa-sdk action server mounted inside the gateway, so the knowledge base is loaded once."""
from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionMissingDomainException, ActionNotFoundException

from actions.dossiers import dossier_actions
from actions.feedback import feedback_actions
from actions.handover import ActionRequestHandover
from actions.procedures import ActionAnswerProcedure
from channels.request_id import accepted, bind_request_id, current_request_id
from channels.services import Services, get_services
from dossiers.assistant import DossierAssistant
from feedback.store import FeedbackStore
from handover.desk import HandoverDesk
from knowledge_base.service import KnowledgeBase
from replies.model import Reply

log = logging.getLogger(__name__)
router = APIRouter()

ACTION_FAILED_TEXT = ("Xin lỗi anh/chị, em gặp sự cố khi tra cứu. Anh/chị vui lòng thử lại sau ít phút "
                      "hoặc gọi tổng đài Cổng Dịch vụ công quốc gia 1800 1096 để được hỗ trợ ạ.")


def build_action_executor(knowledge_base: KnowledgeBase, dossiers: DossierAssistant, handover: HandoverDesk,
                          feedback: FeedbackStore) -> ActionExecutor:
    """Every custom action, constructed with what it needs."""
    executor = ActionExecutor()
    for action in [ActionAnswerProcedure(knowledge_base, feedback), *dossier_actions(dossiers),
                   ActionRequestHandover(handover), *feedback_actions(feedback)]:
        executor.register_action(action)
    return executor


def message_request_id(action_call: dict[str, Any]) -> object:
    """The request id the gateway sent with the user message this action answers (REST metadata), if any."""
    tracker = action_call.get("tracker")
    latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
    metadata = latest.get("metadata") if isinstance(latest, dict) else None
    return metadata.get("request_id") if isinstance(metadata, dict) else None


def _from_rasa(request: Request, services: Services) -> bool:
    """Rasa sends the action endpoint's token as `?token=` (endpoints `action_endpoint.token`). Fails closed: with
    no token configured (TTHC_ACTION_TOKEN unset) every caller is refused."""
    expected = services.settings.action_token
    given = request.query_params.get("token", "")
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@router.post("/webhook", include_in_schema=False)
async def run_action(request: Request, services: Services = Depends(get_services)) -> JSONResponse:
    if not _from_rasa(request, services):
        log.warning("action call refused: token missing or wrong")
        return JSONResponse({"error": "Thiếu hoặc sai mã truy cập."}, status_code=401)
    try:
        action_call: Any = await request.json()
    except ValueError:
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    if not isinstance(action_call, dict):
        return JSONResponse({"error": "Invalid body request"}, status_code=400)
    bind_request_id(accepted(message_request_id(action_call)) or current_request_id())  # the message's, if sent
    action, started = str(action_call.get("next_action")), time.perf_counter()
    try:
        result = await services.actions.run(action_call)
    except ActionExecutionRejection as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
    except ActionNotFoundException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
    except ActionMissingDomainException as exc:
        return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=449)
    except Exception as exc:  # a bug in an action must not leave the citizen without an answer
        log.error("Action %s failed: %s", action_call.get("next_action"), type(exc).__name__, exc_info=exc)
        failed = Reply.plain(ACTION_FAILED_TEXT).model_dump(exclude_none=True)
        return JSONResponse({"events": [], "responses": [{"custom": failed}]})
    log.info("action done", extra={"action": action, "ms": round((time.perf_counter() - started) * 1000, 1),
                                   "events": len(result.events) if result else 0,
                                   "responses": len(result.responses) if result else 0})
    return JSONResponse(result.model_dump() if result else None)


@router.get("/actions", include_in_schema=False)
async def list_actions(request: Request, services: Services = Depends(get_services)) -> JSONResponse:
    if not _from_rasa(request, services):
        return JSONResponse({"error": "Thiếu hoặc sai mã truy cập."}, status_code=401)
    return JSONResponse([a.model_dump() for a in services.actions.list_actions()])
