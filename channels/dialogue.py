"""Client for the Rasa server (REST channel), the only way the app reaches the dialogue engine."""
from __future__ import annotations

import asyncio
import json
import logging
import time
import zlib
from typing import Any

import httpx
from prometheus_client import Histogram
from pydantic import ValidationError

from channels.client_address import current_address_key
from channels.request_id import current_request_id
from replies.model import Choice, Reply

log = logging.getLogger(__name__)
INTENT_PREFIX = "/"


class DialogueUnavailable(RuntimeError):
    """Rasa did not answer in time or answered with an error."""


def intent_message(intent: str, entities: dict[str, str]) -> str:
    """Rasa's message form of an intent with entities: `/ask_procedure{"procedure_code":"1.001193"}`."""
    return INTENT_PREFIX + intent + (json.dumps(entities, ensure_ascii=False, separators=(",", ":"))
                                     if entities else "")


def parse_intent_message(payload: str) -> Choice | None:
    """The intent and entities of a `/intent{json}` payload (a domain response's button), or None."""
    if not payload.startswith(INTENT_PREFIX):
        return None
    intent, brace, rest = payload[1:].partition("{")
    try:
        entities = json.loads(brace + rest) if brace else {}
    except ValueError:
        return None
    if not intent or not isinstance(entities, dict):
        return None
    return Choice(title="", intent=intent, entities={str(k): str(v) for k, v in entities.items()})


def _domain_choice(button: dict[str, Any]) -> Choice:
    title, payload = str(button.get("title", "")), str(button.get("payload", ""))
    parsed = parse_intent_message(payload)
    if parsed is not None:
        return parsed.model_copy(update={"title": title})
    return Choice(title=title, text=payload or title)


def parse_rasa_messages(raw: list[dict[str, Any]]) -> list[Reply]:
    """Rasa REST output as replies. Actions send a whole `Reply` as a custom payload (Rasa's REST channel would
    split plain text at blank lines); domain responses arrive as plain text and buttons."""
    replies: list[Reply] = []
    for item in raw:
        if isinstance(item.get("custom"), dict):
            try:
                reply = Reply.model_validate(item["custom"])
            except ValidationError as exc:
                log.warning("ignored a malformed custom reply from Rasa: %d errors", exc.error_count())
                continue
        else:
            reply = Reply.plain(str(item.get("text") or ""), [_domain_choice(b) for b in item.get("buttons") or []])
        if reply.blocks or reply.title or reply.choices:
            replies.append(reply)
    return replies


class RasaDialogue:
    """One or several Rasa servers (`TTHC_RASA_URL`, comma-separated). Each conversation always goes to the same
    server, chosen by a stable hash of its id, so servers that keep their locks in memory never see one
    conversation at once; behind a balancer with a shared lock store (the cluster) one URL is enough.

    A server that refuses the connection (crashed, or restarting: Rasa opens its port only once its model is
    loaded) never received the turn, so the turn goes to the next server instead; the servers share the tracker
    store, so that one continues the conversation where it stood. The refusing server is skipped for
    REFUSED_SKIP_SECONDS, then tried first again: with every server up, each conversation is back on its own. The
    gateway handles one conversation's messages one at a time (`conversation.Gateway`), so a conversation is
    still never on two servers at once. A server that fails after the turn was sent (timeout, dropped connection)
    is not retried elsewhere: the turn may have run there; the citizen gets the polite reply.

    At most MAX_IN_FLIGHT turns per server are sent at once; the others wait here, within the same timeout: a
    queue inside the HTTP client's pool costs CPU per waiting request (measured under load: a third of the
    gateway's time went to the pool's bookkeeping)."""

    MAX_IN_FLIGHT = 64
    REFUSED_SKIP_SECONDS = 2.0

    def __init__(self, base_url: str, timeout: float, latency: Histogram | None = None, token: str = "") -> None:
        limits = httpx.Limits(max_connections=self.MAX_IN_FLIGHT, max_keepalive_connections=self.MAX_IN_FLIGHT)
        self._clients = [httpx.AsyncClient(base_url=url.strip(), timeout=timeout, limits=limits)
                         for url in base_url.split(",") if url.strip()]
        self._timeout = timeout
        self._in_flight = [asyncio.Semaphore(self.MAX_IN_FLIGHT) for _ in self._clients]
        self._refused_until = [0.0 for _ in self._clients]
        # Rasa's HTTP API (`rasa run --auth-token`) and its REST channel (bot/server.py requires the same token)
        self._auth = {"token": token} if token else {}
        self._latency = latency

    async def send(self, conversation_id: str, text: str, channel: str) -> list[Reply]:
        started, outcome = time.perf_counter(), "error"
        try:
            replies = await self._send(conversation_id, text, channel)
            outcome = "ok"
            return replies
        finally:
            if self._latency is not None:
                self._latency.labels(outcome).observe(time.perf_counter() - started)

    def servers_for(self, conversation_id: str) -> list[int]:
        """The servers to try, in order: the conversation's own (stable hash) and then the next ones, those that
        refused a connection in the last REFUSED_SKIP_SECONDS moved to the end."""
        count = len(self._clients)
        own = zlib.crc32(conversation_id.encode()) % count
        order = [(own + step) % count for step in range(count)]
        now = time.monotonic()
        return sorted(order, key=lambda server: self._refused_until[server] > now)      # stable: keeps the order

    async def _send(self, conversation_id: str, text: str, channel: str) -> list[Reply]:
        metadata = {"channel": channel, "request_id": current_request_id()}
        if (address := current_address_key()) is not None:
            metadata["address"] = address                   # web chat: the dossier actions limit per address
        body = {"sender": conversation_id, "message": text, "metadata": metadata}
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._post(self.servers_for(conversation_id), body)
            response.raise_for_status()
            return parse_rasa_messages(response.json())
        except (httpx.HTTPError, ValueError, TimeoutError) as exc:
            log.warning("Rasa call failed: %s", type(exc).__name__)
            raise DialogueUnavailable(type(exc).__name__) from exc

    async def _post(self, servers: list[int], body: dict[str, Any]) -> httpx.Response:
        for attempt, server in enumerate(servers):
            try:
                async with self._in_flight[server]:
                    return await self._clients[server].post("/webhooks/rest/webhook", json=body, params=self._auth)
            except (httpx.ConnectError, httpx.ConnectTimeout):      # nothing was sent: another server may take it
                self._refused_until[server] = time.monotonic() + self.REFUSED_SKIP_SECONDS
                if attempt == len(servers) - 1:
                    raise
                log.warning("Rasa server %d refused the connection; its conversations go to server %d for now",
                            server + 1, servers[attempt + 1] + 1)
        raise DialogueUnavailable("no Rasa server configured")

    async def status(self) -> dict[str, Any]:
        """Raises DialogueUnavailable unless every Rasa server is up with a model loaded."""
        model_ids = set()
        for client in self._clients:
            try:
                response = await client.get("/status", params=self._auth, timeout=5)
                response.raise_for_status()
                body = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise DialogueUnavailable(self._which(client) + type(exc).__name__) from exc
            if not body.get("model_id"):
                raise DialogueUnavailable(self._which(client) + "Rasa is running without a model")
            model_ids.add(body["model_id"])
        return {"model_id": ",".join(sorted(model_ids)), "servers": len(self._clients)}

    def _which(self, client: httpx.AsyncClient) -> str:
        """`server 2 of 2: ` when there are several (health names the one that is down), else nothing."""
        return f"server {self._clients.index(client) + 1} of {len(self._clients)}: " if len(self._clients) > 1 else ""

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()
