"""Long-lived objects the routes share, created once in the app lifespan and injected per request."""
from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import Request
from rasa_sdk.executor import ActionExecutor
from telegram.ext import Application

from channels.background import BackgroundTasks
from channels.conversation import Gateway
from channels.dialogue import RasaDialogue
from channels.metrics import Metrics
from channels.outbound import Outbound
from channels.taught_sync import TaughtSync
from channels.rate_limit import Limiter, SharedWindowLimiter, SlidingWindowLimiter
from cluster.bus import LocalBus
from cluster.redis_client import SharedRedis
from dossiers.notifier import DossierNotifier
from dossiers.slips.reader import SlipReader
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
    """Messages per minute: per conversation (every channel) and per network address (web chat)."""
    per_conversation: Limiter
    per_address: Limiter

    @classmethod
    def per_minute(cls, messages: int, redis: SharedRedis | None = None) -> "ChatLimits":
        if redis is None:
            return cls(SlidingWindowLimiter(messages), SlidingWindowLimiter(messages * 4))
        return cls(SharedWindowLimiter(redis, "conversation", messages),
                   SharedWindowLimiter(redis, "address", messages * 4))


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
    taught_sync: TaughtSync
    chat_limits: ChatLimits
    metrics: Metrics
    bus: LocalBus
    slips: SlipReader
    http: httpx.AsyncClient
    redis: SharedRedis | None = None
    telegram: Application | None = None


def get_services(request: Request) -> Services:
    return request.app.state.services
