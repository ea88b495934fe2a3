"""The real gateway app served by uvicorn on a localhost port inside the test process, so tests can also reach
its services (e.g. push a message) on the server's own event loop."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI

from tests.fakes.server import ServerThread


class RunningApp(ServerThread):
    start_timeout = 300.0                  # the knowledge base loads first

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None

        async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                self.loop = asyncio.get_running_loop()
            await app(scope, receive, send)

        super().__init__(asgi)

    @property
    def services(self) -> Any:
        return self.app.state.services

    def call(self, work: Callable[[], Awaitable[Any]], timeout: float = 30) -> Any:
        """Run `work()` on the app's event loop and return its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(work(), self.loop).result(timeout)
