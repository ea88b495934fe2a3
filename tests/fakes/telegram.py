"""A fake Telegram Bot API (`{base}/bot{token}/{method}`) with Telegram's real response shapes: the methods the
assistant uses (getMe, sendMessage, sendChatAction, answerCallbackQuery, setWebhook, deleteWebhook, getUpdates,
getFile) and file downloads (`{base}/file/bot{token}/{file_path}`). Sent messages are recorded; errors can be
queued; updates can be queued for polling; photos and documents carry the bytes a test gives them."""
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
from fastapi.responses import JSONResponse, Response

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
    files: dict[str, bytes] = field(default_factory=dict)             # file_id -> content, served by getFile
    downloads: list[str] = field(default_factory=list)                # file_ids downloaded
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

    def _file(self, data: bytes) -> str:
        file_id = f"AgAD{next(self._ids)}"
        self.files[file_id] = data
        return file_id

    def photo_update(self, chat_id: int, data: bytes = b"", size: tuple[int, int] = (1280, 960)) -> dict[str, Any]:
        """A photo as Telegram sends it: several sizes, the largest last; only the largest carries `data`."""
        small = self._file(b"thumbnail bytes: not the photo")
        photo = [{"file_id": small, "file_unique_id": f"u{small}", "width": 90, "height": 68, "file_size": 30},
                 {"file_id": self._file(data), "file_unique_id": f"u{next(self._ids)}", "width": size[0],
                  "height": size[1], "file_size": len(data)}]
        return {"update_id": next(self._ids), "message": {
            "message_id": next(self._ids), "date": int(time.time()), "chat": _chat(chat_id), "from": _user(chat_id),
            "photo": photo}}

    def document_update(self, chat_id: int, data: bytes, mime_type: str = "image/jpeg",
                        announced_size: int | None = None) -> dict[str, Any]:
        document = {"file_id": self._file(data), "file_unique_id": f"u{next(self._ids)}", "file_name": "phieu-hen.jpg",
                    "mime_type": mime_type, "file_size": len(data) if announced_size is None else announced_size}
        return {"update_id": next(self._ids), "message": {
            "message_id": next(self._ids), "date": int(time.time()), "chat": _chat(chat_id), "from": _user(chat_id),
            "document": document}}

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
            if method == "getFile" and params.get("file_id") not in self.files:
                return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                                    status_code=400)
            return JSONResponse({"ok": True, "result": self._result(method, params)})

        @app.get("/file/bot{token}/photos/{file_id}.jpg")
        async def download(token: str, file_id: str) -> Response:
            if token != self.token or file_id not in self.files:
                return Response(status_code=404)
            self.downloads.append(file_id)
            return Response(self.files[file_id], media_type="application/octet-stream")

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
        if method == "getFile":
            file_id = params["file_id"]
            return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self.files[file_id]),
                    "file_path": f"photos/{file_id}.jpg"}
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
