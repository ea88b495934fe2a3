"""Office hours of the one-stop centre (Vietnam time), with holidays: is someone expected to answer now, and if
not, from when.

    OfficeHours.parse("Mon-Fri 07:30-11:30,13:30-17:00; Sat 07:30-11:30", "2026-01-01,2026-09-02")
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dossiers.timing import VIETNAM

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_NAMES = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]
_RULE = re.compile(r"^\s*(?P<days>[a-z]{3}(?:-[a-z]{3})?)\s+(?P<spans>[\d:,\s-]+)$", re.IGNORECASE)


def _time(text: str) -> time:
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class OfficeHours:
    spans: dict[int, list[tuple[time, time]]]          # weekday (Monday = 0) -> opening spans
    holidays: frozenset[date]
    text: str

    @classmethod
    def parse(cls, spec: str, holidays: str = "") -> "OfficeHours":
        spans: dict[int, list[tuple[time, time]]] = {}
        for rule in filter(None, (r.strip() for r in spec.split(";"))):
            match = _RULE.match(rule)
            if not match:
                raise ValueError(f"office hours: cannot read {rule!r} (e.g. 'Mon-Fri 07:30-11:30,13:30-17:00')")
            first, _, last = match["days"].lower().partition("-")
            days = range(DAYS.index(first), DAYS.index(last or first) + 1)
            opening = [(_time(a), _time(b)) for a, b in (span.split("-") for span in match["spans"].split(","))]
            for day in days:
                spans.setdefault(day, []).extend(opening)
        off = frozenset(date.fromisoformat(d.strip()) for d in holidays.split(",") if d.strip())
        return cls(spans, off, spec)

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(VIETNAM)
        if local.date() in self.holidays:
            return False
        return any(a <= local.time() < b for a, b in self.spans.get(local.weekday(), []))

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next moment the centre opens (None if it never does)."""
        local = moment.astimezone(VIETNAM)
        for ahead in range(0, 30):
            day = local.date() + timedelta(days=ahead)
            if day in self.holidays:
                continue
            for start, _ in sorted(self.spans.get(day.weekday(), [])):
                opening = datetime.combine(day, start, VIETNAM)
                if opening > local:
                    return opening
        return None

    def describe(self) -> str:
        """"thứ Hai–thứ Sáu 07:30–11:30, 13:30–17:00; thứ Bảy 07:30–11:30"."""
        groups: list[tuple[list[int], list[tuple[time, time]]]] = []
        for day in sorted(self.spans):
            if groups and groups[-1][1] == self.spans[day] and groups[-1][0][-1] == day - 1:
                groups[-1][0].append(day)
            else:
                groups.append(([day], self.spans[day]))
        parts = []
        for days, spans in groups:
            names = DAY_NAMES[days[0]] + (f"–{DAY_NAMES[days[-1]]}" if len(days) > 1 else "")
            parts.append(names + " " + ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in spans))
        return "; ".join(parts)


def when(moment: datetime) -> str:
    """"07:30 thứ Hai 07/12"."""
    local = moment.astimezone(VIETNAM)
    return f"{local:%H:%M} {DAY_NAMES[local.weekday()]} {local:%d/%m}"
