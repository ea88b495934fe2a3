"""Long-lived objects the routes share, created once in the app lifespan and injected per request."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from rasa_sdk.executor import ActionExecutor
from telegram.ext import Application

from channels.background import BackgroundTasks
from channels.conversation import Gateway
from channels.dialogue import RasaDialogue
from channels.metrics import Metrics
from channels.outbound import Outbound
from channels.rate_limit import SlidingWindowLimiter
from dossiers.notifier import DossierNotifier
from feedback.examples import TaughtExampleStore
from feedback.store import FeedbackStore
from handover.desk import HandoverDesk
from dossiers.store import DossierStore
from knowledge_base.service import KnowledgeBase
from settings import Settings
from staff.console import StaffConsole
from storage.conversations import ConversationLog
from storage.database import Database
from storage.events import ProcessedEvents
from storage.outbox import Outbox
from storage.web_sessions import WebSessions


@dataclass
class ChatLimits:
    per_conversation: SlidingWindowLimiter
    per_address: SlidingWindowLimiter

    @classmethod
    def per_minute(cls, messages: int) -> "ChatLimits":
        return cls(SlidingWindowLimiter(messages), SlidingWindowLimiter(messages * 4))


@dataclass
class Services:
    settings: Settings
    knowledge_base: KnowledgeBase
    db: Database
    dialogue: RasaDialogue
    gateway: Gateway
    conversations: ConversationLog
    outbound: Outbound
    outbox: Outbox
    web_sessions: WebSessions
    events: ProcessedEvents
    background: BackgroundTasks
    actions: ActionExecutor
    dossiers: DossierStore
    notifier: DossierNotifier
    staff: StaffConsole
    handover: HandoverDesk
    feedback: FeedbackStore
    taught: TaughtExampleStore
    chat_limits: ChatLimits
    metrics: Metrics
    telegram: Application | None = None


def get_services(request: Request) -> Services:
    return request.app.state.services
