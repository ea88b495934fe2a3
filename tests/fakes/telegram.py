"""A fake Telegram Bot API (`{base}/bot{token}/{method}`) with Telegram's real response shapes: the methods the
assistant uses (getMe, sendMessage, sendChatAction, answerCallbackQuery, setWebhook, deleteWebhook, getUpdates).
Sent messages are recorded; errors can be queued; updates can be queued for polling."""
from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

BOT = {"id": 7000000001, "is_bot": True, "first_name": "Trợ lý TTHC", "username": "tthc_test_bot",
       "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Công dân", "language_code": "vi"}


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Công dân"}


@dataclass
class FakeTelegram:
    token: str = "7000000001:AAtest-token"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)     # successful calls
    errors: list[tuple[int, str]] = field(default_factory=list)       # next sendMessage calls fail with these
    updates: list[dict[str, Any]] = field(default_factory=list)       # served to getUpdates
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------ what tests build and read
    def text_update(self, chat_id: int, text: str) -> dict[str, Any]:
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
        message = {"message_id": next(self._ids), "date": int(time.time()), "chat": _chat(chat_id),
                   "from": _user(chat_id), "text": text}
        if entities:
            message["entities"] = entities
        return {"update_id": next(self._ids), "message": message}

    def callback_update(self, chat_id: int, data: str) -> dict[str, Any]:
        message = {"message_id": next(self._ids), "date": int(time.time()), "chat": _chat(chat_id),
                   "from": BOT, "text": "…"}
        return {"update_id": next(self._ids), "callback_query": {
            "id": str(next(self._ids)), "from": _user(chat_id), "chat_instance": "ci-1", "message": message,
            "data": data}}

    def photo_update(self, chat_id: int) -> dict[str, Any]:
        photo = [{"file_id": "AgAD", "file_unique_id": "u1", "width": 90, "height": 90, "file_size": 1000}]
        return {"update_id": next(self._ids), "message": {
            "message_id": next(self._ids), "date": int(time.time()), "chat": _chat(chat_id), "from": _user(chat_id),
            "photo": photo}}

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [p for m, p in self.calls if m == "sendMessage" and str(p.get("chat_id")) == str(chat_id)]

    def called(self, method: str) -> list[dict[str, Any]]:
        return [p for m, p in self.calls if m == method]

    # ------------------------------------------------------------ the API
    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/{method}")
        async def call(token: str, method: str, request: Request) -> JSONResponse:
            if token != self.token:
                return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
            params = await _params(request)
            if method == "getUpdates":
                return await self._get_updates(params)
            with self._lock:
                if method == "sendMessage" and self.errors:
                    code, description = self.errors.pop(0)
                    return JSONResponse({"ok": False, "error_code": code, "description": description},
                                        status_code=code)
                self.calls.append((method, params))
            return JSONResponse({"ok": True, "result": self._result(method, params)})

        return app

    async def _get_updates(self, params: dict[str, Any]) -> JSONResponse:
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        offset = int(params.get("offset") or 0)
        while True:
            with self._lock:
                ready = [u for u in self.updates if u["update_id"] >= offset]
            if ready or time.monotonic() >= deadline:
                return JSONResponse({"ok": True, "result": ready})
            await asyncio.sleep(0.05)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            message = {"message_id": next(self._ids), "date": int(time.time()), "chat": _chat(chat_id), "from": BOT,
                       "text": params.get("text", "")}
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            return message
        return True


async def _params(request: Request) -> dict[str, Any]:
    """python-telegram-bot posts JSON or url-encoded form fields whose structured values are JSON strings."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        return json.loads(body) if body else {}
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    params: dict[str, Any] = {}
    for key, value in form.items():
        try:
            params[key] = json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value
        except ValueError:
            params[key] = value
    return params
