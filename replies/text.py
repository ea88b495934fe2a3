"""Text rendering of the reply model, shared by every channel that shows text. `TextStyle` writes plain text
(web chat, Zalo, tools); a channel with markup subclasses it (Telegram's HTML) and keeps the same layout:

    Tên thủ tục (cấp xã)

    Dạ, hồ sơ anh/chị cần chuẩn bị gồm:
    ☐ Tờ khai đăng ký khai sinh theo mẫu — 1 bản chính

    Nguồn: https://dichvucong.gov.vn/…

Lines never share markup, so a renderer may split between any two lines.
"""
from __future__ import annotations

from replies.model import Block, Bullets, Checklist, ChecklistItem, Content, Facts, Paragraph, Reply, Steps

SOURCE_LABEL = "Nguồn: "


class TextStyle:
    """Plain text. Subclasses override `escape` and the decorated pieces."""

    def escape(self, text: str) -> str:
        return text

    def title(self, text: str) -> str:
        return self.escape(text)

    def heading(self, text: str) -> str:
        return f"▸ {self.escape(text)}:"

    def label(self, text: str) -> str:
        return self.escape(text)

    def source(self, url: str) -> str:
        return SOURCE_LABEL + self.escape(url)

    def checklist_item(self, item: ChecklistItem) -> str:
        form = f" (mẫu: {self.escape(item.form)})" if item.form else ""
        quantity = f" — {self.escape(item.quantity)}" if item.quantity else ""
        return f"{'☐' if item.quantity else '•'} {self.escape(item.name)}{form}{quantity}"

    def block_lines(self, block: Block) -> list[str]:
        if isinstance(block, Paragraph):
            return [self.escape(line) for line in block.text.split("\n")]
        if isinstance(block, Checklist):
            heading = [self.heading(block.title)] if block.title else []
            return heading + [self.checklist_item(i) for i in block.items]
        if isinstance(block, Facts):
            return [f"• {self.label(f.label)}: {self.escape(f.value)}" for f in block.items]
        if isinstance(block, Steps):
            return [f"{self.label(f'{n}.')} {self.escape(step)}" for n, step in enumerate(block.items, start=1)]
        if isinstance(block, Bullets):
            return [f"• {self.escape(item)}" for item in block.items]
        raise TypeError(f"unknown block {block!r}")

    def sections(self, content: Content, prompt: str | None = None) -> list[list[str]]:
        """Lines grouped into sections (shown with a blank line between): title, body, source, prompt."""
        sections: list[list[str]] = [[self.title(content.title)]] if content.title else []
        previous: Block | None = None
        for block in content.blocks:
            lines = self.block_lines(block)
            if sections and previous is not None and _introduces(previous, block):
                sections[-1].extend(lines)
            else:
                sections.append(lines)
            previous = block
        if content.source_url:
            sections.append([self.source(content.source_url)])
        if prompt:
            sections.append([self.escape(prompt)])
        return [s for s in sections if s]

    def render(self, content: Content, prompt: str | None = None) -> str:
        return "\n\n".join("\n".join(lines) for lines in self.sections(content, prompt))


def _introduces(previous: Block, block: Block) -> bool:
    """A paragraph ending with ':' introduces the untitled list right after it (no blank line between)."""
    return (isinstance(previous, Paragraph) and previous.text.rstrip().endswith(":")
            and not isinstance(block, Paragraph) and not getattr(block, "title", None))


PLAIN = TextStyle()


def content_text(content: Content) -> str:
    return PLAIN.render(content)


def reply_text(reply: Reply) -> str:
    """The whole reply as plain text, without its choices (each channel shows those its own way)."""
    return PLAIN.render(reply, reply.choices_prompt)
