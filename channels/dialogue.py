"""Client for the Rasa server (REST channel), the only way the app reaches the dialogue engine."""
from __future__ import annotations

import logging
from typing import Any

import httpx

from channels.schemas import Button, InboundMessage, OutboundMessage

log = logging.getLogger(__name__)


class DialogueUnavailable(RuntimeError):
    """Rasa did not answer in time or answered with an error."""


def _buttons(raw: Any) -> list[Button]:
    return [Button(title=str(b.get("title", "")), payload=str(b.get("payload", ""))) for b in raw or []]


def merge_rasa_messages(raw: list[dict[str, Any]]) -> list[OutboundMessage]:
    """Turn Rasa REST output into reply bubbles.

    Actions send a whole reply as a custom payload `{"text", "buttons", "procedure_codes"}` (Rasa's REST
    channel would split plain text at blank lines); domain responses arrive as plain text/buttons.
    """
    merged: list[OutboundMessage] = []
    for item in raw:
        content = item.get("custom") if isinstance(item.get("custom"), dict) else item
        text = str(content.get("text") or "")
        buttons = _buttons(content.get("buttons"))
        codes = [str(c) for c in content.get("procedure_codes", [])]
        if text or buttons:
            merged.append(OutboundMessage(text=text, buttons=buttons, procedure_codes=codes))
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
