"""A fake Zalo OA API: customer-service messages (`POST /v3.0/oa/message/cs`) and the OAuth token refresh
(`POST /v4/oa/access_token`), with Zalo's real request and response shapes, and the images citizens send
(`GET /dl/images/{name}`, the URL in a user_send_image event). The refresh token is single-use,
as on Zalo; failures can be queued to test retries."""
from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass, field

from urllib.parse import parse_qs

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response


@dataclass
class SentText:
    user_id: str
    text: str
    access_token: str


@dataclass
class FakeZalo:
    app_id: str = "4242424242"
    app_secret: str = "app-secret"
    access_token: str = "access-1"
    refresh_token: str = "refresh-1"
    sent: list[SentText] = field(default_factory=list)
    refreshes: list[str] = field(default_factory=list)          # refresh tokens presented
    failures: list[int] = field(default_factory=list)           # HTTP statuses for the next send attempts
    images: dict[str, bytes] = field(default_factory=dict)      # what the image attachment URLs serve
    refresh_delay: float = 0.0                                  # seconds a token refresh takes to answer
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def expire_access_token(self) -> None:
        self.access_token = f"access-{next(self._counter)}-rotated"

    def image_path(self, data: bytes) -> str:
        """Where Zalo's CDN would serve an image a citizen sent (a path under the fake's address)."""
        name = f"{next(self._counter)}.jpg"
        self.images[name] = data
        return f"/dl/images/{name}"

    def texts_to(self, user_id: str) -> list[str]:
        return [m.text for m in self.sent if m.user_id == user_id]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v3.0/oa/message/cs")
        async def send(request: Request, access_token: str = Header("", convert_underscores=False)) -> JSONResponse:
            body = await request.json()
            with self._lock:
                if self.failures:
                    status = self.failures.pop(0)
                    return JSONResponse({"error": -500, "message": "Internal error"}, status_code=status)
                if access_token != self.access_token:
                    return JSONResponse({"error": -216, "message": "Access token is invalid"})
                text = body["message"]["text"]
                if len(text) > 2000:
                    return JSONResponse({"error": -201, "message": "Text length is over the limit"})
                self.sent.append(SentText(body["recipient"]["user_id"], text, access_token))
                return JSONResponse({"data": {"message_id": f"m{len(self.sent)}", "user_id": body["recipient"]["user_id"]},
                                     "error": 0, "message": "Success"})

        @app.get("/dl/images/{name}")
        async def image(name: str) -> Response:
            if name not in self.images:
                return Response(status_code=404)
            return Response(self.images[name], media_type="image/jpeg")

        @app.post("/v4/oa/access_token")
        async def refresh(request: Request, secret_key: str = Header("", convert_underscores=False)) -> JSONResponse:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            refresh_token, app_id, grant_type = (form.get(k, "") for k in ("refresh_token", "app_id", "grant_type"))
            await asyncio.sleep(self.refresh_delay)
            with self._lock:
                self.refreshes.append(refresh_token)
                if (secret_key != self.app_secret or app_id != self.app_id or grant_type != "refresh_token"
                        or refresh_token != self.refresh_token):
                    return JSONResponse({"error": -14014, "error_name": "Invalid refresh token",
                                         "error_reason": "Refresh token is invalid"})
                n = next(self._counter)
                self.access_token, self.refresh_token = f"access-{n}", f"refresh-{n}"
                return JSONResponse({"access_token": self.access_token, "refresh_token": self.refresh_token,
                                     "expires_in": "90000"})

        return app
