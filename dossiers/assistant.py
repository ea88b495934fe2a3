"""Dossier status in the conversation, safely: a code alone tells only "found / not found"; more needs the last
4 digits of the phone registered with the dossier, checked here and remembered here (bound to the conversation
and the code, for a limited time). Lookups and wrong answers are limited; the counters live in the database."""
from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from dossiers import replies
from dossiers.access_store import LOOKUP, WRONG, DossierAccessStore
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


class Outcome(str, Enum):
    FOUND = "found"
    VERIFIED = "verified"
    NOT_FOUND = "not_found"
    WRONG = "wrong"
    LOCKED = "locked"
    TOO_MANY_LOOKUPS = "too_many_lookups"
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

    async def look_up(self, conversation_id: str, code: str) -> Step:
        """A citizen names a code: found (already verified or not), or why not."""
        now = self._clock()
        if await self._access.lookups_by(conversation_id, now - self.policy.lookup_window) >= self.policy.max_lookups:
            return Step(Outcome.TOO_MANY_LOOKUPS, replies.too_many_lookups(self.policy.lookup_window))
        await self._access.record(LOOKUP, conversation_id, code, now)
        if await self._locked(code, now):
            return Step(Outcome.LOCKED, replies.locked(code, self.policy.lockout))
        dossier, missing = await self._find(code)
        if missing is not None:
            return missing
        if await self.is_verified(conversation_id, code):
            return Step(Outcome.VERIFIED)
        return Step(Outcome.FOUND)

    async def verify(self, conversation_id: str, code: str, digits: str) -> Step:
        """The citizen answers with the last 4 digits of the registered phone."""
        now = self._clock()
        if await self._locked(code, now):
            return Step(Outcome.LOCKED, replies.locked(code, self.policy.lockout))
        dossier, missing = await self._find(code)
        if dossier is None:
            return missing  # type: ignore[return-value]
        expected = dossier.phone_digits[-4:]
        if len(digits) == 4 and hmac.compare_digest(digits.encode(), expected.encode()):
            await self._access.verify(conversation_id, code, now)
            return Step(Outcome.VERIFIED)
        await self._access.record(WRONG, conversation_id, code, now)
        wrong = await self._access.wrong_answers_for(code, now - self.policy.lockout)
        if wrong >= self.policy.max_wrong_answers:
            return Step(Outcome.LOCKED, replies.locked(code, self.policy.lockout))
        return Step(Outcome.WRONG, replies.wrong_digits(code, self.policy.max_wrong_answers - wrong))

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
