"""Import a one-stop system's export (CSV or JSON) into the dossier store: idempotent (a row already saved as it
is changes nothing), and every row is either accepted or rejected with its reason, never silently dropped.

JSON: a list of objects (or {"dossiers": [...]}) with `code` and the fields of the admin API, `stages` included.
CSV: a header row with the same column names; `stages`, when present, holds the stage list as JSON."""
from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dossiers.codes import normalise_dossier_code
from dossiers.models import DossierData
from dossiers.store import SaveResult


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)     # (row, reason)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        lines = [f"accepted {self.accepted} (created {self.created}, updated {self.updated}, unchanged "
                 f"{self.unchanged}), rejected {len(self.rejected)}"]
        lines += [f"  rejected {row}: {reason}" for row, reason in self.rejected]
        return "\n".join(lines)


def _rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        items = data.get("dossiers", []) if isinstance(data, dict) else data
        for n, item in enumerate(items, start=1):
            yield f"#{n}", item if isinstance(item, dict) else {"_not_an_object": item}
        return
    for n, row in enumerate(csv.DictReader(text.splitlines()), start=2):          # line 1 is the header
        record: dict[str, Any] = {k.strip(): (v.strip() if isinstance(v, str) else v)
                                  for k, v in row.items() if k and v not in (None, "")}
        if "stages" in record:
            try:
                record["stages"] = json.loads(record["stages"])
            except ValueError:
                record["stages"] = "(không đọc được JSON)"
        yield f"line {n}", record


def _reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "row"
    return f"{where}: {first['msg']}"


def import_file(path: Path, save: Callable[[str, DossierData, datetime], SaveResult],
                known_procedure: Callable[[str], bool], now: datetime) -> ImportReport:
    report = ImportReport()
    for row, record in _rows(path):
        code = normalise_dossier_code(str(record.pop("code", "")))
        if code is None:
            report.rejected.append((row, "code: thiếu hoặc không phải mã hồ sơ hợp lệ"))
            continue
        try:
            data = DossierData.model_validate(record)
        except ValidationError as exc:
            report.rejected.append((row, _reason(exc)))
            continue
        if not known_procedure(data.procedure_code):
            report.rejected.append((row, f"procedure_code: thủ tục '{data.procedure_code}' không có trong danh mục"))
            continue
        result = save(code, data, now)
        if result.created:
            report.created += 1
        elif result.changes:
            report.updated += 1
        else:
            report.unchanged += 1
    return report
