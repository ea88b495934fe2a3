"""Zalo as an outbound channel."""
from __future__ import annotations

from channels.zalo.client import ZaloClient
from channels.zalo.render import render_zalo
from replies.model import Reply


class ZaloChannel:
    name = "zalo"
    stored = False

    def __init__(self, client: ZaloClient) -> None:
        self._client = client

    def render(self, reply: Reply, tokens: list[str]) -> list[dict]:
        return render_zalo(reply, tokens)

    async def send(self, recipient: str, message: dict) -> None:
        await self._client.send_text(recipient, message["text"])
