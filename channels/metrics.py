"""GET /metrics in Prometheus format. Request and Rasa latencies are measured in this process; answers by kind,
the handover queue and undelivered messages are read from the database at scrape time, so every instance reports
the same totals. Restarts per process come from the runner of `make run` / `make run-cluster`, a separate process:
it keeps them in a small JSON file (TTHC_SUPERVISOR_STATE, scripts/processes.py `Supervisor`), read at scrape time."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cluster.redis_client import SharedRedis
from storage.database import Database
from storage.tables import AnswerEvent, HandoffRow, OutboxMessage

log = logging.getLogger(__name__)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30)
CHANNEL_OF_ROUTE = {"/api/chat": "web", "/channels/zalo/webhook": "zalo", "/channels/telegram/webhook": "telegram"}


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram("tthc_http_request_seconds", "HTTP request latency", ["route", "method", "status",
                                  "channel"], buckets=BUCKETS, registry=self.registry)
        self.rasa = Histogram("tthc_rasa_call_seconds", "Latency of calls to the Rasa server", ["outcome"],
                              buckets=BUCKETS, registry=self.registry)

    def watch_database(self, db: Database) -> None:
        self.registry.register(DatabaseCollector(db))

    def watch_redis(self, redis: SharedRedis | None) -> None:
        if redis is not None:
            self.registry.register(RedisCollector(redis))

    def exposition(self, supervisor_state: Path) -> bytes:
        """The scrape: this registry, then the runner's restart counts read from `supervisor_state`."""
        runner = CollectorRegistry()
        runner.register(SupervisorCollector(supervisor_state))
        return generate_latest(self.registry) + generate_latest(runner)


class SupervisorCollector:
    """Restarts per process by the runner, and whether each runs now; nothing when no runner supervises this
    gateway (tests, containers and systemd count restarts themselves: README, "Staying up")."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def collect(self) -> Iterator[Metric]:
        try:
            processes = json.loads(self._path.read_text(encoding="utf-8"))["processes"]
            counts = {str(name): (int(p["restarts"]), bool(p["running"])) for name, p in processes.items()}
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("metrics: restart counts unreadable: %s", type(exc).__name__)
            return
        restarts = CounterMetricFamily("tthc_process_restarts", "Restarts of a process that stopped unexpectedly, "
                                       "by the runner (make run / make run-cluster)", labels=["process"])
        running = GaugeMetricFamily("tthc_process_running", "1 while the runner's process runs, 0 while it waits "
                                    "to be restarted", labels=["process"])
        for name, (count, up) in sorted(counts.items()):
            restarts.add_metric([name], count)
            running.add_metric([name], 1 if up else 0)
        yield restarts
        yield running


class RedisCollector:
    """Whether this instance is using Redis right now, and how often it had to fall back."""

    def __init__(self, redis: SharedRedis) -> None:
        self._redis = redis

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("tthc_redis_available", "1 while Redis answers, 0 while the instance falls back",
                                value=1 if self._redis.available else 0)
        yield CounterMetricFamily("tthc_redis_failures", "Redis calls that failed (the instance fell back)",
                                  value=self._redis.failures)


class DatabaseCollector:
    """Totals kept in the database, read at scrape time."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def collect(self) -> Iterator[Metric]:
        def read(session):  # type: ignore[no-untyped-def]
            kinds = dict(session.execute(select(AnswerEvent.kind, func.count()).group_by(AnswerEvent.kind)).all())
            waiting = session.scalar(select(func.count()).select_from(HandoffRow).where(HandoffRow.status == "waiting"))
            failed = dict(session.execute(select(OutboxMessage.channel, func.count())
                                          .where(OutboxMessage.status == "failed").group_by(OutboxMessage.channel)).all())
            return kinds, waiting, failed
        try:
            kinds, waiting, failed = self._db.call(read)
        except Exception as exc:             # the database is down: /health/ready says so; metrics still answer
            log.warning("metrics: database totals unavailable: %s", type(exc).__name__)
            return
        answers = GaugeMetricFamily("tthc_answers", "Knowledge-base answers by outcome (answer, clarify, no_match)",
                                    labels=["kind"])
        for kind in ("answer", "clarify", "no_match"):
            answers.add_metric([kind], kinds.get(kind, 0))
        yield answers
        yield GaugeMetricFamily("tthc_handover_queue_length", "Requests for an officer waiting", value=waiting or 0)
        undelivered = GaugeMetricFamily("tthc_undelivered_messages", "Messages not delivered after retries",
                                        labels=["channel"])
        for channel, count in failed.items():
            undelivered.add_metric([channel], count)
        yield undelivered


class RequestTimer:
    """Times every HTTP request by its route template (never the raw path: it may carry a session id)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), "500"

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)
        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            if route != "/api/chat/{sender_id}/events":               # streams last as long as the page is open
                self.metrics.requests.labels(route, scope["method"], status[0] + "xx",
                                             CHANNEL_OF_ROUTE.get(route, "")).observe(time.perf_counter() - started)
