"""The request id: one short opaque id per inbound request, kept in a context variable so every log record made
while handling it carries the id (`channels.logs` adds it), and sent along wherever the work goes next:

- back to the caller as the `X-Request-ID` response header (an incoming one is kept when it looks safe);
- to Rasa in the REST message's metadata (`channels.dialogue`), and from Rasa's action call back into the action
  endpoint (`channels.action_server` reads `tracker.latest_message.metadata.request_id`);
- into background tasks: `asyncio.create_task` copies the context when the task is created (Zalo's webhook);
  Telegram updates go through python-telegram-bot's queue, whose tasks are created elsewhere, so the webhook hands
  the id over by update id (`telegram_updates`) and the bot's first handler binds it again.
"""
from __future__ import annotations

import logging
import re
import secrets
import time
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
QUIET_ROUTES = ("/health", "/metrics")           # probes and scrapes: logged at DEBUG only

_current: ContextVar[str | None] = ContextVar("tthc_request_id", default=None)
log = logging.getLogger(__name__)


def new_request_id() -> str:
    return secrets.token_hex(8)


def accepted(value: object) -> str | None:
    """`value` when it is a safe id (letters, digits, `.`, `_`, `-`; 8 to 64 of them), else None."""
    return value if isinstance(value, str) and SAFE_ID.fullmatch(value) else None


def current_request_id() -> str | None:
    return _current.get()


def bind_request_id(value: object = None) -> str:
    """Make `value` (when safe, else a fresh id) the current request id of this task and the tasks it creates
    from now on; returns the id."""
    request_id = accepted(value) or new_request_id()
    _current.set(request_id)
    return request_id


class RequestContext:
    """Outermost middleware: binds the request id, returns it as `X-Request-ID`, and logs one line per request
    when it is done (route template, never the raw path: it may carry a session id).

    The id is not unbound at the end: each request runs in its own task, and the error handler that answers an
    unhandled exception (outside this middleware) still needs it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == b"x-request-id"), b"")
        bind_request_id(given.decode("latin-1"))
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                # read now, not at the start: the action endpoint adopts the id of the message it serves
                headers.append((b"x-request-id", (current_request_id() or "").encode()))
                message = {**message, "headers": headers}
            await send(message)
        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            log.log(logging.DEBUG if route.startswith(QUIET_ROUTES) else logging.INFO, "request done",
                    extra={"method": scope.get("method"), "route": route, "status": status,
                           "ms": round((time.perf_counter() - started) * 1000, 1)})


class IdHandoff:
    """Request ids waiting for work that runs in a task created elsewhere, by a key (a Telegram update id).
    Bounded: an entry nobody takes is dropped after `size` newer ones."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._ids: OrderedDict[Any, str] = OrderedDict()

    def give(self, key: Any, request_id: str | None) -> None:
        if request_id is None:
            return
        self._ids[key] = request_id
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def take(self, key: Any) -> str | None:
        return self._ids.pop(key, None)


telegram_updates = IdHandoff()


async def bind_telegram_update(update: Any, _context: Any = None) -> None:
    """The bot's first handler (group -1): the id of the webhook request that brought this update, or a fresh one
    (polling). Handlers of one update run in one task, so the binding reaches them all and no other update."""
    bind_request_id(telegram_updates.take(getattr(update, "update_id", None)))
