"""Dossier status in the conversation, safely: a code alone tells nothing (the same question for the phone digits
whether or not the code exists: codes are predictable); the last 4 digits of the phone registered with the dossier
are checked here and remembered here (bound to the conversation and the code, for a limited time), and a wrong
answer is one neutral reply whether the code or the digits were wrong. Lookups and wrong answers are limited per
conversation, per code, per network address and across every code (then every lookup pauses and the staff board
says so); the counters live in the database, checked and counted in one transaction."""
from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from dossiers import replies
from dossiers.access_store import LOOKUP, AnswerLimits, DossierAccessStore, Verdict
from dossiers.models import Dossier
from dossiers.sources import DossierSource, SourceUnavailable
from dossiers.timing import timing
from replies.model import Reply
from storage.tables import utcnow


@dataclass(frozen=True)
class AccessPolicy:
    verification_ttl: timedelta = timedelta(minutes=15)
    max_wrong_answers: int = 3                     # for one code, from any conversation
    lockout: timedelta = timedelta(minutes=30)
    max_lookups: int = 10                          # codes looked up by one conversation
    lookup_window: timedelta = timedelta(minutes=10)
    # One network address (web chat; carriers share addresses, so well above one citizen's needs).
    max_wrong_per_address: int = 20
    address_window: timedelta = timedelta(hours=1)
    # Across every code: this many wrong answers within a minute pause every lookup for `pause`.
    max_wrong_per_minute: int = 30
    pause: timedelta = timedelta(minutes=15)

    def limits(self, now: datetime) -> AnswerLimits:
        return AnswerLimits(code_since=now - self.lockout, per_code=self.max_wrong_answers,
                            address_since=now - self.address_window, per_address=self.max_wrong_per_address,
                            minute_since=now - timedelta(minutes=1), per_minute=self.max_wrong_per_minute,
                            paused_since=now - self.pause)


class Outcome(str, Enum):
    FOUND = "found"
    VERIFIED = "verified"
    NOT_FOUND = "not_found"
    WRONG = "wrong"
    LOCKED = "locked"
    TOO_MANY_LOOKUPS = "too_many_lookups"
    PAUSED = "paused"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Step:
    """The outcome of a step, with what to tell the citizen (None: the dialogue asks the next question)."""
    outcome: Outcome
    reply: Reply | None = None


def split_conversation(conversation_id: str) -> tuple[str, str]:
    channel, _, sender_id = conversation_id.partition(":")
    return channel, sender_id


class DossierAssistant:
    def __init__(self, source: DossierSource, access: DossierAccessStore, procedure_name: Callable[[str], str | None],
                 policy: AccessPolicy = AccessPolicy(), clock: Callable[[], datetime] = utcnow) -> None:
        self._source = source
        self._access = access
        self._procedure_name = procedure_name
        self.policy = policy
        self._clock = clock

    async def _find(self, code: str) -> tuple[Dossier | None, Step | None]:
        """The dossier, or the step that says why there is none."""
        try:
            dossier = await self._source.get(code)
        except SourceUnavailable:
            return None, Step(Outcome.UNAVAILABLE, replies.source_unavailable())
        if dossier is None:
            return None, Step(Outcome.NOT_FOUND, replies.not_found(code))
        return dossier, None

    async def _locked(self, code: str, now: datetime) -> bool:
        wrong = await self._access.wrong_answers_for(code, now - self.policy.lockout)
        return wrong >= self.policy.max_wrong_answers

    async def is_verified(self, conversation_id: str, code: str) -> bool:
        at = await self._access.verified_at(conversation_id, code)
        return at is not None and self._clock() - at <= self.policy.verification_ttl

    async def paused_until(self) -> datetime | None:
        """While too many wrong answers across all codes pause every lookup: until when."""
        at = await self._access.paused_at(self._clock() - self.policy.pause)
        return at + self.policy.pause if at is not None else None

    async def look_up(self, conversation_id: str, code: str, address: str | None = None) -> Step:
        """A citizen names a code: FOUND (the digits are asked next, whether or not the code exists), VERIFIED
        (this conversation proved it recently), or why lookups wait. The source is not asked: nothing here may
        depend on the code existing."""
        now = self._clock()
        if await self.paused_until() is not None:
            return Step(Outcome.PAUSED, replies.paused(self.policy.pause))
        if await self._access.lookups_by(conversation_id, now - self.policy.lookup_window) >= self.policy.max_lookups \
                or (address is not None and await self._access.wrong_answers_from(
                    address, now - self.policy.address_window) >= self.policy.max_wrong_per_address):
            return Step(Outcome.TOO_MANY_LOOKUPS, replies.too_many_lookups(self.policy.lookup_window))
        await self._access.record(LOOKUP, conversation_id, code, now, address)
        if await self._locked(code, now):
            return Step(Outcome.LOCKED, replies.locked(code, self.policy.lockout))
        if await self.is_verified(conversation_id, code):
            return Step(Outcome.VERIFIED)
        return Step(Outcome.FOUND)

    async def verify(self, conversation_id: str, code: str, digits: str, address: str | None = None) -> Step:
        """The citizen answers with the last 4 digits of the registered phone: verified, or one neutral "the code
        or the phone does not match" (an unknown code counts as a wrong answer, like wrong digits)."""
        now = self._clock()
        try:
            dossier = await self._source.get(code)
        except SourceUnavailable:
            return Step(Outcome.UNAVAILABLE, replies.source_unavailable())
        expected = dossier.phone_digits[-4:] if dossier is not None else ""
        correct = len(digits) == 4 and len(expected) == 4 and hmac.compare_digest(digits.encode(), expected.encode())
        answered = await self._access.answer(conversation_id, code, address, correct, now, self.policy.limits(now))
        if answered.verdict is Verdict.VERIFIED:
            return Step(Outcome.VERIFIED)
        if answered.verdict is Verdict.PAUSED:
            return Step(Outcome.PAUSED, replies.paused(self.policy.pause))
        if answered.verdict is Verdict.ADDRESS_LOCKED:
            return Step(Outcome.TOO_MANY_LOOKUPS, replies.too_many_lookups(self.policy.address_window))
        remaining = self.policy.max_wrong_answers - answered.wrong_for_code
        if answered.verdict is Verdict.LOCKED or remaining <= 0:
            return Step(Outcome.LOCKED, replies.locked(code, self.policy.lockout))
        return Step(Outcome.WRONG, replies.no_match(remaining))

    async def status(self, conversation_id: str, code: str) -> Reply:
        """The status, only for a conversation that verified this code recently."""
        if not await self.is_verified(conversation_id, code):
            return replies.verify_first(code)
        dossier, missing = await self._find(code)
        if dossier is None:
            return missing.reply  # type: ignore[union-attr,return-value]
        return self.describe(dossier)

    def describe(self, dossier: Dossier, update: bool = False) -> Reply:
        return replies.status_reply(dossier, self._procedure_name(dossier.procedure_code),
                                    timing(dossier, self._clock()), update)

    async def subscribe(self, conversation_id: str, code: str) -> Reply:
        if not await self.is_verified(conversation_id, code):
            return replies.verify_first(code)
        channel, sender_id = split_conversation(conversation_id)
        created = await self._access.subscribe(channel, sender_id, code, self._clock())
        return replies.subscribed(code, already=not created)

    async def last_verified(self, conversation_id: str) -> str | None:
        """The code this conversation verified most recently, while the verification holds."""
        return await self._access.last_verified(conversation_id, self._clock() - self.policy.verification_ttl)

    async def unsubscribe(self, conversation_id: str) -> Reply:
        channel, sender_id = split_conversation(conversation_id)
        return replies.unsubscribed(await self._access.unsubscribe(channel, sender_id))
