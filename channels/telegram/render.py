"""Telegram rendering: HTML with everything escaped, at most 4,096 characters a message (split between lines,
which never share a tag), choices as an inline keyboard under the last message."""
from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from channels.render.split import split_text
from replies.model import Content, Reply
from replies.text import SOURCE_LABEL, TextStyle

MAX_MESSAGE_CHARS = 4096
MAX_CALLBACK_BYTES = 64
_TAG = re.compile(r"<[^>]+>")


class HtmlStyle(TextStyle):
    def escape(self, text: str) -> str:
        return html.escape(text, quote=False)

    def title(self, text: str) -> str:
        return f"<b>{self.escape(text)}</b>"

    def heading(self, text: str) -> str:
        return f"<b>{self.escape(text)}</b>"

    def label(self, text: str) -> str:
        return f"<b>{self.escape(text)}</b>"

    def source(self, url: str) -> str:
        host = urlsplit(url).hostname or url
        return f'{SOURCE_LABEL}<a href="{html.escape(url, quote=True)}">{self.escape(host)}</a>'


HTML = HtmlStyle()


def _plain_parts(line: str, limit: int) -> list[str]:
    """A line too long for one message, without its markup, cut so that each escaped part fits."""
    text = html.unescape(_TAG.sub("", line))
    return [html.escape(p, quote=False) for p in split_text(text, limit // 5)]   # escaping grows text ≤ 5×


def pack_lines(lines: list[str], limit: int) -> list[str]:
    """Consecutive lines joined into messages of at most `limit` characters; never splits inside a line unless
    the line alone is too long."""
    messages: list[str] = []
    current = ""
    for line in lines:
        for piece in ([line] if len(line) <= limit else _plain_parts(line, limit)):
            joined = f"{current}\n{piece}" if current else piece
            if len(joined) <= limit:
                current = joined
            else:
                if current.strip():
                    messages.append(current.strip("\n"))
                current = piece
    if current.strip():
        messages.append(current.strip("\n"))
    return messages


def render_html(content: Content, prompt: str | None = None) -> list[str]:
    lines: list[str] = []
    for section in HTML.sections(content, prompt):
        lines += ([""] if lines else []) + section
    return pack_lines(lines, MAX_MESSAGE_CHARS)


def render_telegram(reply: Reply, tokens: list[str]) -> list[dict]:
    texts = render_html(reply, reply.choices_prompt) or ["…"]
    keyboard = [[{"text": c.title[:64], "callback_data": t}] for c, t in zip(reply.choices, tokens)
                if len(t.encode()) <= MAX_CALLBACK_BYTES]
    messages: list[dict] = [{"text": t} for t in texts]
    if keyboard:
        messages[-1]["keyboard"] = keyboard
    return messages
