"""What the assistant did over a date range (Vietnam days), for the officers' analytics page and its CSV export:
conversations and messages per day and channel, the most asked procedures, the fallback rate, satisfaction,
handovers and their waiting times, and the questions to work on (no match, or rated 👎)."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.timing import VIETNAM
from storage.database import Database
from storage.tables import AnswerEvent, HandoffRow, Message, Rating


@dataclass(frozen=True)
class DayChannel:
    day: date
    channel: str
    conversations: int
    messages: int


@dataclass(frozen=True)
class WorkItem:
    """A question the assistant did not answer well: officers teach the right procedure from this list."""
    at: datetime
    channel: str
    question: str
    why: str                          # "no_match" | "down"
    procedure_code: str | None
    reason: str | None


@dataclass(frozen=True)
class WorkGroup:
    """The same question asked several times (case and spacing aside): worked on once."""
    question: str                     # as last asked
    count: int
    last_at: datetime
    channels: list[str]
    problems: list[WorkItem]          # one per distinct (why, reason, procedure) pair, newest first


def grouped(work: list[WorkItem]) -> list[WorkGroup]:
    """Identical questions together, the most frequent first (then the most recent)."""
    by_question: dict[str, list[WorkItem]] = defaultdict(list)
    for item in sorted(work, key=lambda w: w.at, reverse=True):
        by_question[" ".join(item.question.casefold().split())].append(item)
    groups = []
    for items in by_question.values():
        problems = list({(w.why, w.reason, w.procedure_code): w for w in reversed(items)}.values())[::-1]
        groups.append(WorkGroup(items[0].question, len(items), items[0].at,
                                sorted({w.channel for w in items}), problems))
    return sorted(groups, key=lambda g: (-g.count, -g.last_at.timestamp()))


@dataclass
class Report:
    start: date
    end: date                         # inclusive
    per_day: list[DayChannel] = field(default_factory=list)
    top_procedures: list[tuple[str, int]] = field(default_factory=list)
    answers: int = 0
    no_match: int = 0
    ratings_up: int = 0
    ratings_down: int = 0
    handovers: int = 0
    handover_waits_minutes: list[float] = field(default_factory=list)
    work: list[WorkItem] = field(default_factory=list)

    @property
    def fallback_rate(self) -> float | None:
        return self.no_match / self.answers if self.answers else None

    @property
    def satisfaction(self) -> float | None:
        rated = self.ratings_up + self.ratings_down
        return self.ratings_up / rated if rated else None

    @property
    def median_wait_minutes(self) -> float | None:
        return statistics.median(self.handover_waits_minutes) if self.handover_waits_minutes else None


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of the first and after the last Vietnam day of the range."""
    return (datetime.combine(start, time(), VIETNAM), datetime.combine(end + timedelta(days=1), time(), VIETNAM))


def _day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def report(db: Database, start: date, end: date, top: int = 10, work_limit: int = 200) -> Report:
    since, until = bounds(start, end)

    def read(session: Session) -> Report:
        out = Report(start, end)
        senders: dict[tuple[date, str], set[str]] = defaultdict(set)
        counts: Counter[tuple[date, str]] = Counter()
        for channel, sender, created in session.execute(select(Message.channel, Message.sender_id, Message.created_at)
                                                        .where(Message.created_at >= since.timestamp(),
                                                               Message.created_at < until.timestamp())):
            key = (_day(datetime.fromtimestamp(created, VIETNAM)), channel)
            senders[key].add(sender)
            counts[key] += 1
        out.per_day = [DayChannel(d, c, len(senders[(d, c)]), counts[(d, c)]) for d, c in sorted(counts)]
        events = session.scalars(select(AnswerEvent).where(AnswerEvent.at >= since, AnswerEvent.at < until)).all()
        out.answers = len(events)
        out.no_match = sum(e.kind == "no_match" for e in events)
        out.top_procedures = Counter(e.procedure_code for e in events if e.procedure_code).most_common(top)
        ratings = session.scalars(select(Rating).where(Rating.at >= since, Rating.at < until)).all()
        out.ratings_up = sum(r.rating == "up" for r in ratings)
        out.ratings_down = sum(r.rating == "down" for r in ratings)
        handoffs = session.scalars(select(HandoffRow).where(HandoffRow.requested_at >= since,
                                                            HandoffRow.requested_at < until)).all()
        out.handovers = len(handoffs)
        out.handover_waits_minutes = [(h.claimed_at - h.requested_at).total_seconds() / 60 for h in handoffs
                                      if h.claimed_at is not None]
        work = [WorkItem(e.at, e.channel, e.question, "no_match", None, None) for e in events if e.kind == "no_match"]
        work += [WorkItem(r.at, r.channel, r.question, "down", r.procedure_code, r.reason)
                 for r in ratings if r.rating == "down"]
        out.work = sorted(work, key=lambda w: w.at, reverse=True)[:work_limit]
        return out
    return db.call(read)
