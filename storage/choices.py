"""Choices the gateway showed a conversation, each under an opaque short token (a button payload, within
Telegram's 64-byte callback_data) and a number in its menu (what a Zalo user types back). A menu is spent by its
first pick: a second tap (of the same button or another of the menu) picks nothing, so 👍 tapped twice is one
rating. The pick and the spending are one atomic update."""
from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from replies.model import Choice
from storage.database import Database
from storage.tables import IssuedChoice, utcnow

TOKEN_PREFIX = "c_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(9)          # 12 random characters, 72 bits


def looks_like_token(text: str) -> bool:
    return text.startswith(TOKEN_PREFIX) and 8 < len(text) <= 32 and " " not in text


def _choice(row: IssuedChoice) -> Choice:
    return Choice(title=row.title, intent=row.intent, entities=row.entities or {}, text=row.text)


class ChoiceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def issue(self, conversation_id: str, choices: list[Choice]) -> list[str]:
        """Tokens for `choices`, which form the conversation's newest menu (numbered from 1)."""
        if not choices:
            return []
        menu = secrets.token_hex(8)
        tokens = [new_token() for _ in choices]
        now = utcnow()
        rows = [IssuedChoice(token=t, conversation_id=conversation_id, menu=menu, number=n, title=c.title,
                             intent=c.intent, entities=dict(c.entities), text=c.text, created_at=now)
                for n, (t, c) in enumerate(zip(tokens, choices), start=1)]
        await self._db.run(lambda s: s.add_all(rows))
        return tokens

    async def by_token(self, conversation_id: str, token: str) -> Choice | None:
        """The choice behind `token`, only if it was issued to this conversation and its menu is not spent."""
        def pick(session: Session) -> Choice | None:
            row = session.scalar(select(IssuedChoice).where(IssuedChoice.token == token,
                                                            IssuedChoice.conversation_id == conversation_id))
            return _spend(session, row)
        return await self._db.run(pick)

    async def by_number(self, conversation_id: str, number: int) -> Choice | None:
        """Option `number` of the newest menu shown in this conversation, unless that menu is spent."""
        def pick(session: Session) -> Choice | None:
            menu = session.scalar(select(IssuedChoice.menu).where(IssuedChoice.conversation_id == conversation_id)
                                  .order_by(IssuedChoice.id.desc()).limit(1))
            if menu is None:
                return None
            row = session.scalar(select(IssuedChoice).where(IssuedChoice.conversation_id == conversation_id,
                                                            IssuedChoice.menu == menu,
                                                            IssuedChoice.number == number))
            return _spend(session, row)
        return await self._db.run(pick)


def _spend(session: Session, row: IssuedChoice | None) -> Choice | None:
    """`row`'s choice, spending its menu; None when there is no row or its menu was spent (by a parallel pick too:
    the update only spends what is unspent)."""
    if row is None:
        return None
    spent = session.execute(update(IssuedChoice).where(IssuedChoice.menu == row.menu, IssuedChoice.spent_at.is_(None))
                            .values(spent_at=utcnow())).rowcount
    return _choice(row) if spent else None
