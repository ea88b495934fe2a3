"""Staff accounts: argon2 password hashes, sign-in with throttling (failures per username and per address),
changing one's password, disabling an account."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.database import Database
from storage.tables import StaffLoginFailure, StaffSession, StaffUser

ROLES = ("officer", "admin")
USERNAME_PATTERN = r"^[a-z0-9._-]{3,64}$"
MIN_PASSWORD = 8


class AccountError(ValueError):
    """An account cannot be created as asked (the message says why, in Vietnamese)."""


@dataclass(frozen=True)
class StaffMember:
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class SignIn(str, Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"
    DISABLED = "disabled"              # the right password of a disabled account


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class Throttle:
    window: timedelta = timedelta(minutes=15)
    per_username: int = 5
    per_address: int = 20


def check_password(password: str) -> None:
    """The rule every new password follows, at creation and at a change."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.")


class StaffAccounts:
    def __init__(self, db: Database, throttle: Throttle = Throttle()) -> None:
        self._db = db
        self._hasher = PasswordHasher()
        self._dummy = self._hasher.hash("not a password of anyone")
        self.throttle = throttle

    def create_sync(self, username: str, password: str, role: str, now: datetime) -> StaffMember:
        username = username.strip().lower()
        if role not in ROLES:
            raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}.")
        check_password(password)
        if not re.match(USERNAME_PATTERN, username):
            raise AccountError("Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch (3–64 ký tự).")
        try:
            self._db.call(lambda s: s.add(StaffUser(username=username, password_hash=self._hasher.hash(password),
                                                    role=role, created_at=now)))
        except IntegrityError as exc:
            raise AccountError(f"Tài khoản {username} đã tồn tại.") from exc
        return StaffMember(username, role)

    async def create(self, username: str, password: str, role: str, now: datetime) -> StaffMember:
        return await asyncio.to_thread(self.create_sync, username, password, role, now)

    def ensure_first_admin(self, username: str, password: str, now: datetime) -> bool:
        """Create this administrator when no account exists yet (a fresh install); True if created."""
        if self._db.call(lambda s: s.scalar(select(func.count()).select_from(StaffUser))):
            return False
        try:
            self.create_sync(username, password, "admin", now)
        except AccountError:
            if self._db.call(lambda s: s.scalar(select(func.count()).select_from(StaffUser))):
                return False                      # another instance starting at the same time created it
            raise
        return True

    async def member(self, username: str) -> StaffMember | None:
        def read(session: Session) -> StaffMember | None:
            row = session.scalar(select(StaffUser).where(StaffUser.username == username))
            return StaffMember(row.username, row.role) if row else None
        return await self._db.run(read)

    def _verify(self, session: Session, username: str, password: str, address: str,
                now: datetime) -> tuple[SignIn, StaffUser | None]:
        """Check a password under the sign-in throttle; a wrong one is counted against the name and the address."""
        since = now - self.throttle.window
        failures = session.scalar(select(func.count()).select_from(StaffLoginFailure).where(
            StaffLoginFailure.username == username, StaffLoginFailure.at >= since))
        from_address = session.scalar(select(func.count()).select_from(StaffLoginFailure).where(
            StaffLoginFailure.address == address, StaffLoginFailure.at >= since))
        if failures >= self.throttle.per_username or from_address >= self.throttle.per_address:
            return SignIn.THROTTLED, None
        row = session.scalar(select(StaffUser).where(StaffUser.username == username))
        try:
            self._hasher.verify(row.password_hash if row else self._dummy, password)
            if row is not None:
                return (SignIn.DISABLED if row.disabled_at else SignIn.OK), row
        except (VerificationError, InvalidHashError):
            pass
        session.add(StaffLoginFailure(username=username, address=address[:64], at=now))
        return SignIn.WRONG, None

    async def sign_in(self, username: str, password: str, address: str, now: datetime) -> tuple[SignIn, StaffMember | None]:
        username = username.strip().lower()[:64]

        def check(session: Session) -> tuple[SignIn, StaffMember | None]:
            outcome, row = self._verify(session, username, password, address, now)
            return outcome, (StaffMember(row.username, row.role) if row and outcome is SignIn.OK else None)
        return await self._db.run(check)

    async def change_password(self, username: str, old: str, new: str, address: str, now: datetime) -> SignIn:
        """Replace the password when `old` is right (throttled like a sign-in); OK means changed."""
        check_password(new)
        new_hash = await asyncio.to_thread(self._hasher.hash, new)

        def change(session: Session) -> SignIn:
            outcome, row = self._verify(session, username, old, address, now)
            if outcome is SignIn.OK and row is not None:
                row.password_hash = new_hash
            return outcome
        return await self._db.run(change)

    async def set_disabled(self, username: str, disabled: bool, now: datetime) -> bool:
        """Disable (its sessions end at once) or enable an account; False when there is no such account."""
        def change(session: Session) -> bool:
            found = session.execute(update(StaffUser).where(StaffUser.username == username)
                                    .values(disabled_at=now if disabled else None)).rowcount == 1
            if found and disabled:
                session.execute(delete(StaffSession).where(StaffSession.username == username))
            return found
        return await self._db.run(change)

    async def all(self) -> list[Account]:
        def read(session: Session) -> list[Account]:
            return [Account(r.username, r.role, r.created_at, r.disabled_at)
                    for r in session.scalars(select(StaffUser).order_by(StaffUser.username))]
        return await self._db.run(read)
