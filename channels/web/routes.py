"""POST /api/chat and the chat page."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from channels.conversation import handle_message
from channels.schemas import ChatRequest, ChatResponse, InboundMessage
from channels.services import Services, get_services

STATIC_DIR = Path(__file__).parent / "static"
router = APIRouter()


@router.post("/api/chat", response_model=ChatResponse, tags=["chat"])
async def chat(request: ChatRequest, services: Services = Depends(get_services)) -> ChatResponse:
    message = InboundMessage(channel="web", sender_id=request.sender_id, text=request.text)
    return ChatResponse(messages=await handle_message(services, message))


@router.get("/", include_in_schema=False)
async def chat_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")
