"""Long-lived objects the routes share, created once in the app lifespan and injected per request."""
from __future__ import annotations

import weakref
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
from dossiers.assistant import DossierAssistant
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
    """Requests per minute. Messages: per conversation (every channel) and per network address (web chat, ×4).
    Reads (the web chat's poll and stream opens, the procedure search): per conversation strict, per address high
    (citizens on one mobile carrier share addresses: ×10). Open event streams: at most STREAMS_PER_CONVERSATION
    per conversation in one instance."""
    per_conversation: Limiter
    per_address: Limiter
    reads_per_conversation: Limiter
    reads_per_address: Limiter
    streams: "OpenStreams"

    ADDRESS_FACTOR = 4
    READS_ADDRESS_FACTOR = 10

    @classmethod
    def per_minute(cls, messages: int, redis: SharedRedis | None = None, reads: int = 60) -> "ChatLimits":
        if redis is None:
            return cls(SlidingWindowLimiter(messages), SlidingWindowLimiter(messages * cls.ADDRESS_FACTOR),
                       SlidingWindowLimiter(reads), SlidingWindowLimiter(reads * cls.READS_ADDRESS_FACTOR),
                       OpenStreams())
        return cls(SharedWindowLimiter(redis, "conversation", messages),
                   SharedWindowLimiter(redis, "address", messages * cls.ADDRESS_FACTOR),
                   SharedWindowLimiter(redis, "reads", reads),
                   SharedWindowLimiter(redis, "reads-address", reads * cls.READS_ADDRESS_FACTOR), OpenStreams())


class OpenStreams:
    """Event streams open in this instance, per conversation: a new one beyond the limit is refused. A stream is
    held by its generator, weakly: one that ends, fails or is dropped before it ever started is no longer counted
    (a `finally` would not run for a generator that never started)."""
    PER_CONVERSATION = 3

    def __init__(self) -> None:
        self._open: dict[str, weakref.WeakSet[object]] = {}

    def admit(self, key: str, stream: object) -> bool:
        live = self._open.setdefault(key, weakref.WeakSet())
        if len(live) >= self.PER_CONVERSATION:
            return False
        live.add(stream)
        if len(self._open) > 1024:                    # forget conversations with no stream left
            self._open = {k: v for k, v in self._open.items() if len(v)}
        return True


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
    dossier_assistant: DossierAssistant
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
