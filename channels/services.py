"""Long-lived objects the routes share, created once in the app lifespan and injected per request."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from rasa_sdk.executor import ActionExecutor

from channels.dialogue import RasaDialogue
from knowledge_base.service import KnowledgeBase
from settings import Settings
from storage import ConversationStore


@dataclass
class Services:
    settings: Settings
    knowledge_base: KnowledgeBase
    dialogue: RasaDialogue
    conversations: ConversationStore
    actions: ActionExecutor


def get_services(request: Request) -> Services:
    return request.app.state.services
