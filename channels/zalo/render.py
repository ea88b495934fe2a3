"""Zalo rendering: plain text, at most 2,000 characters a message, split on line or sentence boundaries;
choices as numbered options the citizen answers with the number."""
from __future__ import annotations

from channels.render.split import split_text
from replies.model import Reply
from replies.text import reply_text

MAX_MESSAGE_CHARS = 2000


def numbered_options(titles: list[str]) -> str:
    lines = [f"{n}. {title}" for n, title in enumerate(titles, start=1)]
    hint = ("Anh/chị trả lời số 1 để chọn ạ." if len(titles) == 1
            else f"Anh/chị trả lời bằng số (từ 1 đến {len(titles)}) để chọn ạ.")
    return "\n".join(lines + [hint])


def render_zalo(reply: Reply, tokens: list[str]) -> list[dict]:
    text = reply_text(reply)
    if reply.choices:
        text = "\n\n".join(p for p in (text, numbered_options([c.title for c in reply.choices])) if p)
    return [{"text": part} for part in split_text(text, MAX_MESSAGE_CHARS)]
