"""The staff console's long-lived parts, built once in the gateway lifespan."""
from __future__ import annotations

from dataclasses import dataclass

from staff.accounts import StaffAccounts
from staff.audit import AuditLog
from staff.sessions import StaffSessions
from storage.database import Database


@dataclass
class StaffConsole:
    accounts: StaffAccounts
    sessions: StaffSessions
    audit: AuditLog

    @classmethod
    def on(cls, db: Database) -> "StaffConsole":
        return cls(StaffAccounts(db), StaffSessions(db), AuditLog(db))
