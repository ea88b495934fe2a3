"""The dossier store: idempotent saves, an append-only history, notifications queued with the change."""
from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from dossiers.access_store import DossierAccessStore
from dossiers.models import Stage, Status
from dossiers.store import SENT, DossierStore
from dossiers.timing import timing
from storage.database import Database
from tests.dossiers.fixtures import CODE, NOW, dossier_data

run = asyncio.run


def test_saving_the_same_data_again_changes_nothing(store: DossierStore) -> None:
    result = run(store.save(CODE, dossier_data(), NOW))
    assert not result.created and result.changes == [] and result.notifications == 0
    assert [h.changes for h in run(store.history(CODE))] == [["created"]]


def test_every_change_is_appended_with_its_time(store: DossierStore) -> None:
    run(store.save(CODE, dossier_data(status=Status.NEED_SUPPLEMENT, note="Thiếu ảnh"), NOW + timedelta(hours=1)))
    history = run(store.history(CODE))
    assert [h.changes for h in history] == [["created"], ["status", "note"]]
    assert history[-1].status is Status.NEED_SUPPLEMENT and history[-1].at == NOW + timedelta(hours=1)
    assert history[-1].stage == "Thẩm định hồ sơ"
    dossier = run(store.get(CODE))
    assert dossier.note == "Thiếu ảnh" and dossier.current_stage().name == "Thẩm định hồ sơ"


def test_stages_are_kept_when_an_update_leaves_them_out(store: DossierStore) -> None:
    run(store.save(CODE, dossier_data(stages=None, current_office="Phòng Tư pháp"), NOW))
    assert len(run(store.get(CODE)).stages) == 2


def test_subscribers_are_queued_when_status_or_stage_moves_and_claimed_once(store: DossierStore,
                                                                            database: Database) -> None:
    access = DossierAccessStore(database)
    run(access.subscribe("telegram", "111", CODE, NOW))
    run(access.subscribe("web", "abc", CODE, NOW))
    assert run(store.save(CODE, dossier_data(current_office="Phòng Tư pháp (tầng 2)"), NOW)).notifications == 0
    stages = dossier_data().stages
    stages[1] = stages[1].model_copy(update={"finished_at": NOW})
    stages.append(Stage(name="Phê duyệt", office="Lãnh đạo UBND", started_at=NOW))
    moved = run(store.save(CODE, dossier_data(stages=stages, current_office="Phòng Tư pháp (tầng 2)"), NOW))
    assert moved.changes == ["stages"] and moved.notifications == 2
    claimed = run(store.claim_notifications())
    assert {(n.channel, n.sender_id) for n in claimed} == {("telegram", "111"), ("web", "abc")}
    assert run(store.claim_notifications()) == []


def test_control_characters_never_reach_the_database(database: Database) -> None:
    store = DossierStore(database)
    dirty = dossier_data(applicant_name="Trần\x00 Văn\u202e An", note="thiếu\x00 ảnh\r\nthẻ")
    assert dirty.applicant_name == "Trần Văn An" and dirty.note == "thiếu ảnh\nthẻ"
    run(store.save("H45.22-231015-0099", dirty, NOW))                   # PostgreSQL refuses NUL: it must be gone
    assert run(store.get("H45.22-231015-0099")).applicant_name == "Trần Văn An"


def test_a_notification_left_sending_by_a_notifier_that_died_is_claimed_again_after_its_lease(
        store: DossierStore, database: Database) -> None:
    run(DossierAccessStore(database).subscribe("zalo", "222", CODE, NOW))
    run(store.save(CODE, dossier_data(status=Status.NEED_SUPPLEMENT, note="Thiếu ảnh"), NOW))
    [first] = run(store.claim_notifications(lease=timedelta(seconds=0.3)))   # its notifier dies here
    assert run(store.claim_notifications()) == []                              # still leased
    time.sleep(0.4)
    [again] = run(store.claim_notifications())
    assert again == first
    run(store.settle_notification(again.id, SENT))
    assert run(store.claim_notifications(lease=timedelta(0))) == []


def test_the_wait_for_a_supplement_is_kept_from_the_status_changes(store: DossierStore) -> None:
    asked, arrived = NOW + timedelta(days=1), NOW + timedelta(days=4)
    run(store.save(CODE, dossier_data(status=Status.NEED_SUPPLEMENT, note="Thiếu ảnh"), asked))
    assert [(p.started_at, p.ended_at) for p in run(store.get(CODE)).pauses] == [(asked, None)]
    run(store.save(CODE, dossier_data(status=Status.NEED_SUPPLEMENT, note="Thiếu ảnh 4x6"), asked))
    run(store.save(CODE, dossier_data(status=Status.IN_PROGRESS), arrived))
    dossier = run(store.get(CODE))
    assert [(p.started_at, p.ended_at) for p in dossier.pauses] == [(asked, arrived)]
    assert timing(dossier, arrived).due_at == dossier.due_at + timedelta(days=3)
