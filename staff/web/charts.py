"""Charts drawn as plain SVG shapes on the server (no chart library, no CDN): the template only places them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from feedback.analytics import DayChannel

CHANNEL_COLOURS = {"web": "#a3161b", "zalo": "#0068ff", "telegram": "#27a7e7"}
WIDTH, HEIGHT, PAD = 720, 220, 28
COUNT_ROOM = 72                        # right of the longest bar: its count, up to seven digits


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    title: str | None = None           # the whole text, as a tooltip, where `text` is shortened


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[Label]


def messages_per_day(rows: list[DayChannel], start: date, end: date) -> Chart:
    """Stacked bars: messages per day, one colour per channel."""
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    by_day = {d: [r for r in rows if r.day == d] for d in days}
    peak = max((sum(r.messages for r in day) for day in by_day.values()), default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(len(days), 1)
    bars, labels = [], []
    for n, day in enumerate(days):
        bottom = HEIGHT - PAD
        for row in sorted(by_day[day], key=lambda r: r.channel):
            height = (HEIGHT - 2 * PAD) * row.messages / peak
            bottom -= height
            bars.append(Bar(PAD + n * slot + slot * 0.15, bottom, slot * 0.7, height,
                            CHANNEL_COLOURS.get(row.channel, "#666"),
                            f"{day:%d/%m} · {row.channel}: {row.messages} tin nhắn, {row.conversations} cuộc trò chuyện"))
        if len(days) <= 14 or n % max(1, len(days) // 10) == 0:
            labels.append(Label(PAD + n * slot + slot / 2, HEIGHT - 8, f"{day:%d/%m}"))
    labels.append(Label(PAD, 14, f"tối đa {peak} tin nhắn/ngày"))
    return Chart(WIDTH, HEIGHT, bars, labels)


def top_procedures(items: list[tuple[str, int, str]]) -> Chart:
    """Horizontal bars: (code, answers, name) of the most asked procedures."""
    row = 26
    height = PAD + row * max(len(items), 1)
    peak = max((n for _, n, _ in items), default=1) or 1
    bars, labels = [], []
    for i, (code, count, name) in enumerate(items):
        y = 8 + i * row
        width = (WIDTH - COUNT_ROOM - 290) * count / peak        # the longest bar leaves room for its count
        bars.append(Bar(290, y, width, row - 8, "#a3161b", f"{code} · {name}: {count} câu trả lời"))
        short = len(name) > 45
        labels.append(Label(4, y + row / 2, name[:44] + "…" if short else name, title=name if short else None))
        labels.append(Label(296 + width, y + row / 2, str(count)))
    return Chart(WIDTH, height, bars, labels)
