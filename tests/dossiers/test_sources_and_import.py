"""Ways dossiers come in: a province's lookup API (against a local fake) and file imports (CSV, JSON)."""
from __future__ import annotations

import asyncio
import csv
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from dossiers.access_store import DossierAccessStore
from dossiers.assistant import DossierAssistant, Outcome
from dossiers.importer import import_file
from dossiers.sources import HttpDossierSource, SourceUnavailable
from dossiers.store import DossierStore
from replies.text import reply_text
from storage.database import Database
from tests.dossiers.fixtures import CODE, NOW, dossier_data
from tests.fakes.province import FakeProvince
from tests.fakes.server import serving

KNOWN = {"1.001193", "1.000894"}


def record(code: str = CODE, **changes: object) -> dict:
    return {"code": code, **json.loads(dossier_data(**changes).model_dump_json())}


async def lookup(url: str, token: str, code: str):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(timeout=5) as http:
        return await HttpDossierSource(url, token, http).get(code)


def test_the_province_source_reads_dossiers_and_reports_outages() -> None:
    province = FakeProvince(dossiers={CODE: {k: v for k, v in record().items() if k != "code"}})
    with serving(province) as (_, url):
        found = asyncio.run(lookup(url, province.token, CODE))
        assert found is not None and found.code == CODE and found.phone_digits.endswith("5678")
        assert asyncio.run(lookup(url, province.token, "H45.22-231015-9999")) is None
        with pytest.raises(SourceUnavailable):
            asyncio.run(lookup(url, "wrong-token", CODE))
        province.down = True
        with pytest.raises(SourceUnavailable):
            asyncio.run(lookup(url, province.token, CODE))


def test_an_outage_of_the_province_is_said_politely(database: Database) -> None:
    province = FakeProvince(down=True)
    with serving(province) as (_, url):
        async def scenario() -> str:
            async with httpx.AsyncClient(timeout=5) as http:
                assistant = DossierAssistant(HttpDossierSource(url, province.token, http),
                                             DossierAccessStore(database), lambda _: None)
                assert (await assistant.look_up("web:a", CODE)).outcome is Outcome.FOUND   # the source is not asked
                step = await assistant.verify("web:a", CODE, "5678")
                assert step.outcome is Outcome.UNAVAILABLE
                assert await DossierAccessStore(database).wrong_answers_for(CODE, NOW - timedelta(days=3650)) == 0
                return reply_text(step.reply)
        assert "đang bận" in asyncio.run(scenario())


def test_a_json_import_is_idempotent_and_reports_every_rejected_row(tmp_path: Path, database: Database) -> None:
    store = DossierStore(database)
    path = tmp_path / "export.json"
    rows = [record(), record("h45.22 – 231015 – 0013", status="need_supplement", note="Thiếu ảnh"),
            record("not a code"), record("H45.22-231015-0014", procedure_code="9.999999"),
            {**record("H45.22-231015-0015"), "phone": "x"}, "not an object"]
    path.write_text(json.dumps({"dossiers": rows}, ensure_ascii=False), encoding="utf-8")
    first = import_file(path, store.save_sync, KNOWN.__contains__, NOW)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    reasons = dict(first.rejected)
    assert set(reasons) == {"#3", "#4", "#5", "#6"}
    assert reasons["#3"].startswith("code") and "9.999999" in reasons["#4"] and reasons["#5"].startswith("phone")
    again = import_file(path, store.save_sync, KNOWN.__contains__, NOW)
    assert (again.created, again.updated, again.unchanged, len(again.rejected)) == (0, 0, 2, 4)
    assert asyncio.run(store.get("H45.22-231015-0013")).note == "Thiếu ảnh"
    assert "accepted 2 (created 0, updated 0, unchanged 2), rejected 4" in again.summary()


def test_a_csv_import_reads_flat_rows_and_stages_as_json(tmp_path: Path, database: Database) -> None:
    store = DossierStore(database)
    base = record()
    columns = ["code", "procedure_code", "applicant_name", "phone", "received_at", "due_at", "status",
               "current_office", "delivery_method", "note", "stages"]
    line = [base[c] if c != "stages" else json.dumps(base["stages"], ensure_ascii=False) for c in columns]
    broken = list(line)
    broken[0], broken[6] = "H45.22-231015-0020", "misplaced"
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerow(["" if v is None else v for v in line])
        writer.writerow(["" if v is None else v for v in broken])
    report = import_file(path, store.save_sync, KNOWN.__contains__, NOW)
    assert report.created == 1 and report.rejected == [("line 3", report.rejected[0][1])]
    assert report.rejected[0][1].startswith("status")
    assert len(asyncio.run(store.get(CODE)).stages) == 2
