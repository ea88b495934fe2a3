"""Rotating channel credentials (Zalo's access/refresh token pair), persisted so a restart or another instance
uses the newest pair: Zalo's refresh token works once."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
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
        """The stored pair; the configured `initial` pair is stored the first time."""
        def read(session: Session) -> TokenPair:
            row = session.get(ChannelCredential, channel)
            if row is None:
                session.add(ChannelCredential(channel=channel, access_token=initial.access_token,
                                              refresh_token=initial.refresh_token, updated_at=utcnow()))
                return initial
            return TokenPair(row.access_token, row.refresh_token)
        return await self._db.run(read)

    async def replace(self, channel: str, old: TokenPair, new: TokenPair) -> bool:
        """Store `new` only if `old` is still current (another instance may have refreshed first)."""
        def swap(session: Session) -> bool:
            result = session.execute(
                update(ChannelCredential)
                .where(ChannelCredential.channel == channel, ChannelCredential.access_token == old.access_token,
                       ChannelCredential.refresh_token == old.refresh_token)
                .values(access_token=new.access_token, refresh_token=new.refresh_token, updated_at=utcnow()))
            return result.rowcount == 1
        return await self._db.run(swap)
