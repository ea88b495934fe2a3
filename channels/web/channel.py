"""Web chat as an outbound channel: pushed messages are stored for the widget to fetch."""
from __future__ import annotations

from channels.outbound import DeliveryError
from channels.web.render import render_web
from replies.model import Reply


class WebChannel:
    name = "web"
    stored = True

    def render(self, reply: Reply, tokens: list[str]) -> list[dict]:
        return render_web(reply, tokens)

    async def send(self, recipient: str, message: dict) -> None:
        raise DeliveryError("web messages are stored, not sent", transient=False)
