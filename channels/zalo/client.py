"""A small typed client for the Zalo OA API (no maintained Python SDK exists): send a customer-service text
message; refresh the access token when Zalo says it is invalid or expired. The refresh token works once, so one
gateway refreshes (it holds the stored pair's refresh lease), the others wait for the new pair it stores, and the
new pair is stored before it is used."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
from pydantic import BaseModel

from channels.outbound import DeliveryError
from settings import ZaloSettings
from storage.credentials import CredentialStore, TokenPair

log = logging.getLogger(__name__)
CHANNEL = "zalo"
TOKEN_ERRORS = {-216, -220}          # access token invalid / expired
REFRESH_LEASE = timedelta(seconds=30)          # longer than a refresh call may take
WAIT_POLL_SECONDS = 0.1                        # how often a waiting gateway looks for the new pair


class ZaloResult(BaseModel):
    error: int = 0
    message: str = ""


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str


def _transport_failure(what: str, exc: Exception) -> DeliveryError:
    return DeliveryError(f"{what}: {type(exc).__name__}", transient=True)


class ZaloClient:
    def __init__(self, settings: ZaloSettings, credentials: CredentialStore, http: httpx.AsyncClient,
                 lease: timedelta = REFRESH_LEASE) -> None:
        self._settings = settings
        self._lease = lease
        self._credentials = credentials
        self._http = http
        self._initial = TokenPair(settings.access_token, settings.refresh_token)
        self._refreshing = asyncio.Lock()

    async def send_text(self, user_id: str, text: str) -> None:
        pair = await self._credentials.current(CHANNEL, self._initial)
        result = await self._post_text(pair.access_token, user_id, text)
        if result.error in TOKEN_ERRORS:
            pair = await self._refresh(pair)
            result = await self._post_text(pair.access_token, user_id, text)
        if result.error != 0:
            raise DeliveryError(f"Zalo error {result.error}: {result.message[:200]}", transient=False)

    async def _post_text(self, access_token: str, user_id: str, text: str) -> ZaloResult:
        try:
            response = await self._http.post(
                f"{self._settings.api_base}/v3.0/oa/message/cs", headers={"access_token": access_token},
                json={"recipient": {"user_id": user_id}, "message": {"text": text}})
        except httpx.HTTPError as exc:
            raise _transport_failure("Zalo send", exc) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise DeliveryError(f"Zalo send: HTTP {response.status_code}", transient=True)
        try:
            return ZaloResult.model_validate(response.json())
        except ValueError as exc:
            raise DeliveryError(f"Zalo send: HTTP {response.status_code}, unreadable body", transient=False) from exc

    async def _refresh(self, stale: TokenPair) -> TokenPair:
        async with self._refreshing:                  # one task of this gateway; the lease: one gateway
            deadline = asyncio.get_running_loop().time() + 2 * self._lease.total_seconds()
            while True:
                current = await self._credentials.current(CHANNEL, self._initial)
                if current != stale:                  # refreshed meanwhile by another task or gateway
                    return current
                if await self._credentials.claim_refresh(CHANNEL, stale, self._lease):
                    break
                if asyncio.get_running_loop().time() > deadline:
                    raise DeliveryError("Zalo token refresh: waited too long for another gateway", transient=True)
                await asyncio.sleep(WAIT_POLL_SECONDS)
            try:
                new = await self._call_refresh(stale)
            except DeliveryError:
                await self._credentials.release_refresh(CHANNEL, stale)
                raise
            if not await self._credentials.replace(CHANNEL, stale, new):
                return await self._credentials.current(CHANNEL, self._initial)
            log.info("Zalo access token refreshed")
            return new

    async def _call_refresh(self, stale: TokenPair) -> TokenPair:
        try:
            response = await self._http.post(
                f"{self._settings.oauth_base}/v4/oa/access_token", headers={"secret_key": self._settings.app_secret},
                data={"refresh_token": stale.refresh_token, "app_id": self._settings.app_id,
                      "grant_type": "refresh_token"})
            fresh = TokenResponse.model_validate(response.json())
        except httpx.HTTPError as exc:
            raise _transport_failure("Zalo token refresh", exc) from exc
        except ValueError as exc:
            raise DeliveryError("Zalo token refresh refused", transient=False) from exc
        return TokenPair(fresh.access_token, fresh.refresh_token)
