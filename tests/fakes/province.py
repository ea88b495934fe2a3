"""A fake provincial one-stop system exposing the dossier lookup contract the gateway's HTTP source speaks:
`GET /dossiers/{code}` with a bearer token, 200 with the dossier as JSON, or 404."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse


@dataclass
class FakeProvince:
    token: str = "province-token"
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)
    down: bool = False

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/dossiers/{code}")
        async def get(code: str, authorization: str = Header("")) -> JSONResponse:
            if self.down:
                return JSONResponse({"message": "maintenance"}, status_code=503)
            if authorization != f"Bearer {self.token}":
                return JSONResponse({"message": "unauthorized"}, status_code=401)
            if code not in self.dossiers:
                return JSONResponse({"message": "not found"}, status_code=404)
            return JSONResponse(self.dossiers[code])

        return app
