"""Rotating channel credentials (Zalo's access/refresh token pair), persisted so a restart or another instance
uses the newest pair: Zalo's refresh token works once, so only the gateway holding the row's refresh lease (taken
by an atomic compare-and-set on the row) refreshes; the others wait for the pair it stores."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Update, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import ChannelCredential, utcnow


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str


class CredentialStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def current(self, channel: str, initial: TokenPair) -> TokenPair:
        """The stored pair; the configured `initial` pair is stored the first time (by whichever caller, of several
        at once, inserts first: the others read what it stored)."""
        def read(session: Session) -> TokenPair | None:
            row = session.get(ChannelCredential, channel)
            return None if row is None else TokenPair(row.access_token, row.refresh_token)

        def seed(session: Session) -> None:
            session.add(ChannelCredential(channel=channel, access_token=initial.access_token,
                                          refresh_token=initial.refresh_token, updated_at=utcnow()))

        stored = await self._db.run(read)
        if stored is not None:
            return stored
        try:
            await self._db.run(seed)
            return initial
        except IntegrityError:                       # another caller stored it first
            return await self._db.run(read) or initial

    def _where(self, channel: str, pair: TokenPair) -> Update:
        return update(ChannelCredential).where(ChannelCredential.channel == channel,
                                               ChannelCredential.access_token == pair.access_token,
                                               ChannelCredential.refresh_token == pair.refresh_token)

    async def claim_refresh(self, channel: str, stale: TokenPair, lease: timedelta) -> bool:
        """Take the refresh lease while `stale` is still the stored pair and nobody holds an unexpired lease; True
        for exactly one of several gateways asking at once (one atomic UPDATE, on SQLite and PostgreSQL alike)."""
        def claim(session: Session) -> bool:
            now = utcnow()
            result = session.execute(
                self._where(channel, stale)
                .where(or_(ChannelCredential.refresh_lease_until.is_(None),
                           ChannelCredential.refresh_lease_until <= now))
                .values(refresh_lease_until=now + lease))
            return result.rowcount == 1
        return await self._db.run(claim)

    async def release_refresh(self, channel: str, stale: TokenPair) -> None:
        """Give the lease up after a failed refresh, so another attempt need not wait for it to expire."""
        await self._db.run(lambda s: s.execute(self._where(channel, stale).values(refresh_lease_until=None)))

    async def replace(self, channel: str, old: TokenPair, new: TokenPair) -> bool:
        """Store `new` only if `old` is still current (another instance may have refreshed first); ends the lease."""
        def swap(session: Session) -> bool:
            result = session.execute(self._where(channel, old).values(
                access_token=new.access_token, refresh_token=new.refresh_token, updated_at=utcnow(),
                refresh_lease_until=None))
            return result.rowcount == 1
        return await self._db.run(swap)
