"""The staff console's long-lived parts, built once in the gateway lifespan."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

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
    def on(cls, db: Database, idle: timedelta) -> "StaffConsole":
        return cls(StaffAccounts(db), StaffSessions(db, idle=idle), AuditLog(db))
