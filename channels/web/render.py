"""Web chat rendering: the stage-one JSON bubble (`text`, `buttons[{title, payload}]`, `procedure_codes`)."""
from __future__ import annotations

from channels.schemas import Button, OutboundMessage
from replies.model import Reply
from replies.text import reply_text


def render_web(reply: Reply, tokens: list[str]) -> list[dict]:
    message = OutboundMessage(
        text=reply_text(reply),
        buttons=[Button(title=c.title, payload=t) for c, t in zip(reply.choices, tokens)],
        procedure_codes=reply.procedure_codes,
    )
    return [message.model_dump()]
