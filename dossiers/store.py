"""The dossier store: records with their stages, an append-only history, and the notifications a change owes
to subscribers (written in the same transaction as the change)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from dossiers.models import Dossier, DossierData, HistoryEntry, Pause, Stage, Status
from storage.database import Database
from storage.tables import (DossierHistoryRow, DossierNotification, DossierRow, DossierSubscription, utcnow)

FIELDS = ("procedure_code", "applicant_name", "phone", "received_at", "due_at", "status", "current_office",
          "delivery_method", "note")
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
NOTIFICATION_LEASE = timedelta(minutes=2)       # a notifier that died while sending: another takes it after this


@dataclass(frozen=True)
class SaveResult:
    created: bool
    changes: list[str]                # field names that changed ("created" for a new dossier); empty: nothing new
    notifications: int                # subscribers to tell


@dataclass(frozen=True)
class PendingNotification:
    id: int
    code: str
    channel: str
    sender_id: str


def _values(data: DossierData) -> dict[str, object]:
    values = {f: getattr(data, f) for f in FIELDS}
    values["status"] = data.status.value
    values["delivery_method"] = data.delivery_method.value
    return values


def _stages(stages: list[Stage]) -> list[dict]:
    return [s.model_dump(mode="json") for s in stages]


def to_dossier(row: DossierRow) -> Dossier:
    return Dossier(code=row.code, **{f: getattr(row, f) for f in FIELDS},
                   stages=[Stage.model_validate(s) for s in row.stages or []],
                   pauses=[Pause.model_validate(p) for p in row.pauses or []])


def _pauses(pauses: list[dict], before: str | None, after: str, now: datetime) -> list[dict]:
    """A wait for the citizen's supplement opens when the status becomes `need_supplement` and closes when it
    leaves it (the supplement arrived)."""
    waiting = Status.NEED_SUPPLEMENT.value
    if after == waiting and before != waiting:
        return [*pauses, {"started_at": now.isoformat(), "ended_at": None}]
    if before == waiting and after != waiting and pauses and pauses[-1].get("ended_at") is None:
        return [*pauses[:-1], {**pauses[-1], "ended_at": now.isoformat()}]
    return pauses


def _stage_name(stages: list[dict]) -> str | None:
    return next((s["name"] for s in stages if not s.get("finished_at")), None)


def _save(session: Session, code: str, data: DossierData, now: datetime) -> SaveResult:
    row = session.get(DossierRow, code, with_for_update=True)
    values = _values(data)
    stages = _stages(data.stages) if data.stages is not None else None
    if row is None:
        row = DossierRow(code=code, **values, stages=stages or [], pauses=_pauses([], None, data.status.value, now),
                         updated_at=now)
        session.add(row)
        changes, created, before = ["created"], True, (None, None)
    else:
        row.pauses = _pauses(list(row.pauses or []), row.status, data.status.value, now)
        before = (row.status, _stage_name(row.stages))
        changes = [f for f, v in values.items() if getattr(row, f) != v]
        if stages is not None and stages != row.stages:
            changes.append("stages")
        created = False
        for f in changes:
            setattr(row, f, stages if f == "stages" else values[f])
        if changes:
            row.updated_at = now
    if not changes:
        return SaveResult(False, [], 0)
    stage = _stage_name(row.stages)
    session.add(DossierHistoryRow(code=code, at=now, status=row.status, stage=stage, changes=changes))
    notified = 0
    if not created and before != (row.status, stage):
        subscribers = session.execute(select(DossierSubscription.channel, DossierSubscription.sender_id)
                                      .where(DossierSubscription.code == code)).all()
        session.add_all(DossierNotification(code=code, channel=c, sender_id=s, status=PENDING, created_at=now)
                        for c, s in subscribers)
        notified = len(subscribers)
    return SaveResult(created, changes, notified)


class DossierStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, code: str) -> Dossier | None:
        def read(session: Session) -> Dossier | None:
            row = session.get(DossierRow, code)
            return to_dossier(row) if row else None
        return await self._db.run(read)

    async def find(self, status: Status | None = None, procedure_code: str | None = None) -> list[Dossier]:
        """Every dossier, or those in `status` / of `procedure_code`."""
        def read(session: Session) -> list[Dossier]:
            query = select(DossierRow)
            if status is not None:
                query = query.where(DossierRow.status == status.value)
            if procedure_code:
                query = query.where(DossierRow.procedure_code == procedure_code)
            return [to_dossier(row) for row in session.scalars(query)]
        return await self._db.run(read)

    async def save(self, code: str, data: DossierData, now: datetime) -> SaveResult:
        """Create or update; a change appends to the history and queues notifications when the status or the
        current stage moved. Saving the same data again changes nothing."""
        return await self._db.run(_save, code, data, now)

    def save_sync(self, code: str, data: DossierData, now: datetime) -> SaveResult:
        return self._db.call(_save, code, data, now)

    async def history(self, code: str) -> list[HistoryEntry]:
        def read(session: Session) -> list[HistoryEntry]:
            rows = session.scalars(select(DossierHistoryRow).where(DossierHistoryRow.code == code)
                                   .order_by(DossierHistoryRow.id))
            return [HistoryEntry(at=r.at, status=Status(r.status), stage=r.stage, changes=r.changes) for r in rows]
        return await self._db.run(read)

    async def claim_notifications(self, limit: int = 50,
                                  lease: timedelta = NOTIFICATION_LEASE) -> list[PendingNotification]:
        """Pending notifications, and those left `sending` by a notifier whose lease ran out, marked as being
        sent until the lease ends (each is claimed by one notifier only: the UPDATE re-checks)."""
        def claim(session: Session) -> list[PendingNotification]:
            now = utcnow()
            claimable = or_(DossierNotification.status == PENDING,
                            (DossierNotification.status == SENDING)
                            & or_(DossierNotification.lease_until.is_(None), DossierNotification.lease_until < now))
            ids = session.scalars(select(DossierNotification.id).where(claimable).order_by(DossierNotification.id)
                                  .limit(limit).with_for_update(skip_locked=True)).all()
            claimed = []
            for id_ in ids:
                if session.execute(update(DossierNotification).where(DossierNotification.id == id_, claimable)
                                   .values(status=SENDING, lease_until=now + lease,
                                           attempts=DossierNotification.attempts + 1)).rowcount == 1:
                    row = session.get(DossierNotification, id_)
                    claimed.append(PendingNotification(row.id, row.code, row.channel, row.sender_id))
            return claimed
        return await self._db.run(claim)

    async def settle_notification(self, notification_id: int, status: str, error: str | None = None) -> None:
        await self._db.run(lambda s: s.execute(update(DossierNotification)
                                               .where(DossierNotification.id == notification_id)
                                               .values(status=status, lease_until=None, error=error)))
