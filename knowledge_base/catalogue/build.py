"""Build the parsed catalogue (gzipped JSON list of procedures) and report parse quality.

    python -m knowledge_base.catalogue.build [--report]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from knowledge_base.catalogue.models import Procedure
from knowledge_base.catalogue.parse import DOC_HEADER, MISSING, parse_record, repair_fields

# Numbers we trust: 123/2015/NĐ-CP, 60/2014/QH13, 601/QĐ-BTC, 66.7/2025/NQ-CP.
_STRICT_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?(?:/\d{4})?/[A-ZĐ][A-ZĐa-z0-9]*(?:-[A-ZĐ][A-ZĐa-z0-9]*)*$")
_LONG_DOC_NAME = 1500          # longer names are most likely several rows merged into one
_SMALL_VND_RE = re.compile(r"^\d{1,3} VNĐ$")


@dataclass
class ParseReport:
    """Share of records with each field parsed, plus counts of suspicious shapes."""
    total: int = 0
    seconds: float = 0.0
    fields: Counter[str] = field(default_factory=Counter)      # records with the field present
    anomalies: Counter[str] = field(default_factory=Counter)   # counts of suspicious items
    channel_rows: int = 0
    documents: int = 0
    legal_items: int = 0

    def add(self, proc: Procedure, raw: dict[str, Any], encoded: str) -> None:
        """Count one parsed record; `encoded` is its JSON text (checked for leftover placeholders)."""
        self.total += 1
        f, a = self.fields, self.anomalies
        f["documents"] += bool(proc.documents)
        f["channels"] += bool(proc.channels)
        f["channel times with unit"] += bool(proc.channels) and all(c.time_unit for c in proc.channels)
        f["channel times, any"] += bool(proc.channels) and all(c.time_text for c in proc.channels)
        f["fees"] += bool(proc.channels) and all(c.fee for c in proc.channels)
        f["legal basis"] += bool(proc.legal_basis)
        f["steps"] += bool(proc.steps)
        f["conditions"] += bool(proc.conditions)
        f["result"] += bool(proc.result)
        f["agencies"] += bool(proc.agencies or proc.competent_agency)
        f["address"] += bool(proc.address)
        f["applicants"] += bool(proc.applicants)

        fixed = repair_fields(raw)
        a["repaired: channel table cut at 'Căn cứ pháp lý'"] += \
            fixed["cach_thuc_thuc_hien"] != raw.get("cach_thuc_thuc_hien", "")
        a["repaired: documents recovered from raw_text"] += \
            fixed["thanh_phan_ho_so"] != raw.get("thanh_phan_ho_so", "")
        self.channel_rows += len(proc.channels)
        self.documents += len(proc.documents)
        self.legal_items += len(proc.legal_basis)
        if fixed["cach_thuc_thuc_hien"].strip() and not proc.channels:
            a["channel table without rows"] += 1
        for c in proc.channels:
            a["channel row: time without unit"] += c.time_value is not None and c.time_unit is None
            a["channel row: time as free text"] += c.time_value is None and c.time_text is not None
            a["channel row: no time at all"] += c.time_text is None
            a["channel row: fee unknown"] += c.fee is None
            a["channel row: fee < 1.000 VNĐ (unit doubtful)"] += bool(c.fee and _SMALL_VND_RE.match(c.fee))
        if DOC_HEADER in fixed["thanh_phan_ho_so"] and not proc.documents:
            a["document table without rows"] += 1
        for d in proc.documents:
            a["document: no quantity cell"] += d.original is None
            a["document: name > 1500 chars (rows merged?)"] += len(d.name) > _LONG_DOC_NAME
            a["document: form file found"] += d.form is not None
        raw_legal = fixed["can_cu_phap_ly"]
        if raw_legal.strip() and raw_legal.strip() != MISSING and not proc.legal_basis:
            a["legal table without items"] += 1
        for item in proc.legal_basis:
            a["legal item: no number"] += item.number is None
            a["legal item: unusual number"] += item.number is not None \
                and not _STRICT_NUMBER_RE.match(item.number)
            a["legal item: title is only the number"] += item.title == item.number
        a["'Không có thông tin' left in output"] += MISSING in encoded

    def format(self) -> str:
        n = max(self.total, 1)
        lines = [f"Parsed {self.total} procedures in {self.seconds:.1f} s", "",
                 f"{'field':<28}{'records':>9}{'share':>9}"]
        for name, count in self.fields.items():
            lines.append(f"{name:<28}{count:>9}{count / n:>9.1%}")
        lines += ["(channel, time and fee shares count records where every channel row has it)", "",
                  f"channel rows {self.channel_rows}, documents {self.documents}, "
                  f"legal items {self.legal_items}", "",
                  f"{'anomaly':<50}{'count':>7}"]
        for name, count in self.anomalies.items():
            lines.append(f"{name:<50}{count:>7}")
        return "\n".join(lines)


def iter_raw(source: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(source, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def build_catalogue(source: Path, dest: Path) -> ParseReport:
    """Parse every record of `source` (jsonl.gz) and write `dest` (json.gz) atomically."""
    started = time.perf_counter()
    report = ParseReport()
    encoded: list[str] = []
    for raw in iter_raw(source):
        proc = parse_record(raw)
        text = json.dumps(proc.to_dict(), ensure_ascii=False)
        report.add(proc, raw, text)
        encoded.append(text)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name, suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as raw_fh, gzip.GzipFile(fileobj=raw_fh, mode="wb", compresslevel=6) as gz:
            gz.write(("[" + ",\n".join(encoded) + "]").encode("utf-8"))
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    report.seconds = time.perf_counter() - started
    return report


def load_catalogue(path: Path) -> list[Procedure]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [Procedure.from_dict(item) for item in json.load(fh)]


def main(argv: list[str] | None = None) -> int:
    from settings import SETTINGS

    parser = argparse.ArgumentParser(description="Build the parsed procedure catalogue.")
    parser.add_argument("--report", action="store_true", help="print the parse-quality table")
    args = parser.parse_args(argv)
    report = build_catalogue(SETTINGS.catalogue_source, SETTINGS.catalogue_path)
    print(f"Wrote {report.total} procedures to {SETTINGS.catalogue_path} in {report.seconds:.1f} s")
    if args.report:
        print()
        print(report.format())
    return 0


if __name__ == "__main__":
    sys.exit(main())
