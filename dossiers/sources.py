"""Where dossiers are looked up: the gateway's own store (filled by the admin API and imports) by default, or a
province's one-stop system over HTTP.

The HTTP contract (documented in the README): `GET {base}/dossiers/{code}` with `Authorization: Bearer {token}`
answers 200 with the dossier as JSON (the fields of `dossiers.models.Dossier`), or 404."""
from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from dossiers.models import Dossier

log = logging.getLogger(__name__)


class SourceUnavailable(RuntimeError):
    """The dossier source could not answer."""


class DossierSource(Protocol):
    async def get(self, code: str) -> Dossier | None: ...


class HttpDossierSource:
    def __init__(self, base_url: str, token: str, http: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._http = http

    async def get(self, code: str) -> Dossier | None:
        try:
            response = await self._http.get(f"{self._base}/dossiers/{quote(code, safe='')}", headers=self._headers)
        except httpx.HTTPError as exc:
            log.warning("dossier source unreachable: %s", type(exc).__name__)
            raise SourceUnavailable(type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            log.warning("dossier source answered HTTP %d", response.status_code)
            raise SourceUnavailable(f"HTTP {response.status_code}")
        try:
            return Dossier.model_validate({**response.json(), "code": code})
        except (ValueError, ValidationError) as exc:
            log.warning("dossier source sent an unreadable dossier")
            raise SourceUnavailable("unreadable dossier") from exc
