"""Refusals that happen before any route runs, in the same Vietnamese error shape as the others."""
from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

NUL_REASON = "Địa chỉ yêu cầu chứa ký tự không hợp lệ."
TOO_LARGE_REASON = "Nội dung gửi lên quá lớn."


async def _refuse(send: Send, status: int, reason: str) -> None:
    body = json.dumps({"detail": reason}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RequestGuards:
    """A NUL character in the path or query string (`%00`) gets 400: it is never meant, and PostgreSQL would refuse
    it later anyway. A body announced larger than `max_body` gets 413 before it is read (a body that does not
    announce its size is cut by the framework's own limit). Photo uploads (paths ending in `/photo`) check their
    own, larger limit as they read (`channels.web.routes.photo_body`)."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
            if b"%00" in raw or b"\x00" in raw or "\x00" in scope.get("path", ""):
                await _refuse(send, 400, NUL_REASON)
                return
            length = dict(scope.get("headers", [])).get(b"content-length", b"0")
            photo = scope.get("path", "").endswith("/photo")
            if not photo and length.isdigit() and int(length) > self.max_body:
                await _refuse(send, 413, TOO_LARGE_REASON)
                return
        await self.app(scope, receive, send)
