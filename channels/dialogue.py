"""Client for the Rasa server (REST channel), the only way the app reaches the dialogue engine."""
from __future__ import annotations

import logging
from typing import Any

import httpx

from channels.schemas import Button, InboundMessage, OutboundMessage

log = logging.getLogger(__name__)


class DialogueUnavailable(RuntimeError):
    """Rasa did not answer in time or answered with an error."""


def merge_rasa_messages(raw: list[dict[str, Any]]) -> list[OutboundMessage]:
    """Turn Rasa REST output into reply bubbles.

    Rasa emits a custom payload (`{"custom": {"procedure_codes": [...]}}`) as a separate
    message right after the text it belongs to; fold it into that text bubble.
    """
    merged: list[OutboundMessage] = []
    for item in raw:
        custom = item.get("custom")
        if isinstance(custom, dict) and "text" not in item:
            codes = [str(c) for c in custom.get("procedure_codes", [])]
            if merged:
                merged[-1].procedure_codes.extend(c for c in codes if c not in merged[-1].procedure_codes)
            continue
        text = item.get("text") or ""
        buttons = [Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
                   for b in item.get("buttons") or []]
        if text or buttons:
            merged.append(OutboundMessage(text=text, buttons=buttons))
    return merged


class RasaDialogue:
    def __init__(self, base_url: str, timeout: float) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def send(self, message: InboundMessage) -> list[OutboundMessage]:
        try:
            response = await self._client.post(
                "/webhooks/rest/webhook",
                json={"sender": message.conversation_id, "message": message.text,
                      "metadata": {"channel": message.channel}},
            )
            response.raise_for_status()
            return merge_rasa_messages(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("Rasa call failed for %s: %r", message.conversation_id, exc)
            raise DialogueUnavailable(str(exc)) from exc

    async def status(self) -> dict[str, Any]:
        """Raises DialogueUnavailable unless Rasa is up with a model loaded."""
        try:
            response = await self._client.get("/status", timeout=5)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DialogueUnavailable(str(exc)) from exc
        if not body.get("model_id"):
            raise DialogueUnavailable("Rasa is running without a model")
        return {"model_id": body["model_id"]}

    async def close(self) -> None:
        await self._client.aclose()
