#!/usr/bin/env python3
"""Validate the retrieval evaluation dev set.

Checks ``devset.jsonl`` and ``out_of_scope.jsonl`` (next to this script)
against the procedure catalogue ``knowledge_base/data/procedures.jsonl.gz``:

* JSON shape, unique ids, allowed ``group`` and ``aspect`` values;
* every ``acceptable`` code exists in the catalogue and belongs to the
  question's ``group``;
* at least 210 questions over at least 75 distinct procedures, every
  source group covered;
* ``unaccented`` carries no Vietnamese diacritics and is the same question
  as ``natural`` once diacritics, case and punctuation are removed;
* no ``natural`` question contains a full procedure name verbatim;
* ``out_of_scope.jsonl`` has at least 30 well-formed lines.

Prints counts per group and per aspect. Exit status 1 when any error is found.
Warnings (a question that contains the short core of a procedure name, e.g.
"đăng ký kết hôn") are informational: everyday wording often coincides with
short names.

Standard library only.  Usage: ``python tools/evaluation/check_devset.py``
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE.parents[1] / "knowledge_base" / "data" / "procedures.jsonl.gz"

ASPECTS = {
    "documents", "fee", "duration", "where", "steps", "conditions",
    "legal_basis", "result", "online", "applicants", "overview",
}
KEYS = ["id", "group", "acceptable", "aspect", "natural", "unaccented", "abbreviated"]
MIN_QUESTIONS = 210
MIN_PROCEDURES = 75
MIN_OOS = 30


def strip_diacritics(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_diacritics(text: str) -> bool:
    return strip_diacritics(text) != unicodedata.normalize("NFD", text) or "đ" in text.lower()


def norm_words(text: str) -> str:
    """Lower-case, NFC, punctuation to spaces, collapse whitespace."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = re.sub(r"[^\w%]+", " ", text)
    return " ".join(text.split())


def norm_name(text: str) -> str:
    """Normalise a procedure name for verbatim containment tests."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = " ".join(text.split())
    return text.strip(" .:;,")


def core_name(name: str) -> str:
    """Procedure name without a leading 'Thủ tục' and without parentheses."""
    text = norm_name(name)
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"^(thủ tục|\.)\s*", "", text.strip())
    return " ".join(text.split()).strip(" .:;,")


def load_catalogue(path: Path) -> dict[str, dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh if line.strip()]
    return {r["ma_thu_tuc"]: r for r in recs}


def read_jsonl(path: Path, errors: list[str]) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                errors.append(f"{path.name}:{lineno}: empty line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{path.name}:{lineno}: invalid JSON ({exc})")
                continue
            if not isinstance(obj, dict):
                errors.append(f"{path.name}:{lineno}: not a JSON object")
                continue
            rows.append(obj)
    return rows


def check_row_shape(row, keys, id_pattern, example, seen, errors):
    """Keys in order, id format and uniqueness; returns the row's id."""
    rid = row.get("id", "?")
    if list(row.keys()) != keys:
        errors.append(f"{rid}: keys {list(row.keys())} != {keys}")
    if not isinstance(rid, str) or not re.fullmatch(id_pattern, rid):
        errors.append(f"{rid}: id must look like {example}")
    if rid in seen:
        errors.append(f"{rid}: duplicate id")
    seen.add(rid)
    return rid


def check_devset(rows, catalogue, errors, warnings):
    groups_in_catalogue = collections.Counter(r["source_group"] for r in catalogue.values())
    names = [(code, norm_name(r["ten_thu_tuc"]), core_name(r["ten_thu_tuc"]))
             for code, r in catalogue.items()]
    seen_ids, seen_natural = set(), {}
    for row in rows:
        qid = check_row_shape(row, KEYS, r"[qhb]\d{3,}", "q001 (held-out: h001, blind: b001)", seen_ids, errors)
        group = row.get("group")
        if group not in groups_in_catalogue:
            errors.append(f"{qid}: unknown group {group!r}")
        aspect = row.get("aspect")
        if aspect not in ASPECTS:
            errors.append(f"{qid}: unknown aspect {aspect!r}")
        codes = row.get("acceptable")
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            errors.append(f"{qid}: acceptable must be a non-empty list of strings")
            codes = []
        if len(set(codes)) != len(codes):
            errors.append(f"{qid}: duplicate codes in acceptable")
        for code in codes:
            rec = catalogue.get(code)
            if rec is None:
                errors.append(f"{qid}: code {code} not in catalogue")
            elif rec["source_group"] != group:
                errors.append(f"{qid}: code {code} is in {rec['source_group']}, not {group}")
        texts = {}
        for key in ("natural", "unaccented", "abbreviated"):
            val = row.get(key)
            if not isinstance(val, str) or not val.strip():
                errors.append(f"{qid}: {key} must be a non-empty string")
                val = ""
            texts[key] = val
        nat, una, abb = texts["natural"], texts["unaccented"], texts["abbreviated"]
        if nat and not has_diacritics(nat):
            errors.append(f"{qid}: natural has no diacritics")
        if una and has_diacritics(una):
            bad = sorted({ch for ch in una if strip_diacritics(ch) != ch})
            errors.append(f"{qid}: unaccented contains diacritics {bad}")
        if nat and una and norm_words(strip_diacritics(nat)) != norm_words(una):
            errors.append(f"{qid}: unaccented is not the same question as natural:\n"
                          f"    expected ~ {norm_words(strip_diacritics(nat))!r}\n"
                          f"    got        {norm_words(una)!r}")
        if abb and (norm_words(abb) in (norm_words(nat), norm_words(una))):
            errors.append(f"{qid}: abbreviated is identical to natural/unaccented")
        key = norm_words(nat)
        if key in seen_natural:
            errors.append(f"{qid}: natural duplicates {seen_natural[key]}")
        seen_natural[key] = qid
        nat_n = norm_name(nat)
        for code, full, core in names:
            if full and full in nat_n:
                errors.append(f"{qid}: natural contains full procedure name of {code}: {full!r}")
            elif core and core in nat_n:
                warnings.append(f"{qid}: natural contains core name of {code}: {core!r}")


def check_oos(rows, dev_rows, errors):
    seen, texts = set(), set()
    dev_texts = {norm_words(r.get("natural", "")) for r in dev_rows}
    for row in rows:
        oid = check_row_shape(row, ["id", "text"], r"oos\d{2,}", "oos01", seen, errors)
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            errors.append(f"{oid}: text must be a non-empty string")
            continue
        key = norm_words(strip_diacritics(text))
        if key in texts:
            errors.append(f"{oid}: duplicate text")
        texts.add(key)
        if norm_words(text) in dev_texts:
            errors.append(f"{oid}: text also appears in devset")
    if len(rows) < MIN_OOS:
        errors.append(f"out_of_scope: {len(rows)} lines < {MIN_OOS}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devset", type=Path, default=HERE / "devset.jsonl")
    ap.add_argument("--oos", type=Path, default=HERE / "out_of_scope.jsonl")
    ap.add_argument("--catalogue", type=Path, default=CATALOGUE)
    ap.add_argument("--show-warnings", action="store_true", help="list every warning")
    ap.add_argument("--min-questions", type=int, default=MIN_QUESTIONS,
                    help=f"minimum number of questions (default {MIN_QUESTIONS})")
    ap.add_argument("--min-procedures", type=int, default=MIN_PROCEDURES,
                    help=f"minimum number of distinct procedures (default {MIN_PROCEDURES})")
    args = ap.parse_args(argv)

    errors: list[str] = []
    warnings: list[str] = []
    catalogue = load_catalogue(args.catalogue)
    dev = read_jsonl(args.devset, errors)
    oos = read_jsonl(args.oos, errors)
    check_devset(dev, catalogue, errors, warnings)
    check_oos(oos, dev, errors)

    groups_in_catalogue = collections.Counter(r["source_group"] for r in catalogue.values())
    per_group = collections.Counter(r.get("group") for r in dev)
    per_aspect = collections.Counter(r.get("aspect") for r in dev)
    procs = {c for r in dev for c in (r.get("acceptable") or []) if c in catalogue}
    procs_per_group = collections.Counter(catalogue[c]["source_group"] for c in procs)
    for g in groups_in_catalogue:
        if per_group[g] == 0:
            errors.append(f"group {g} has no question")
    if len(dev) < args.min_questions:
        errors.append(f"{len(dev)} questions < {args.min_questions}")
    if len(procs) < args.min_procedures:
        errors.append(f"{len(procs)} distinct procedures < {args.min_procedures}")

    print(f"devset: {len(dev)} questions, {len(procs)} distinct acceptable procedures")
    print("per group (questions / distinct procedures):")
    for g in sorted(groups_in_catalogue, key=lambda g: -per_group[g]):
        print(f"  {g:22s} {per_group[g]:4d} / {procs_per_group[g]:3d}")
    print("per aspect:")
    for a in sorted(ASPECTS, key=lambda a: (-per_aspect[a], a)):
        print(f"  {a:12s} {per_aspect[a]:4d}")
    n_multi = sum(1 for r in dev if len(r.get("acceptable") or []) > 1)
    print(f"questions with several acceptable codes: {n_multi}")
    print(f"out_of_scope: {len(oos)} lines")
    print(f"warnings (core procedure name inside natural): {len(warnings)}")
    if args.show_warnings:
        for w in warnings:
            print("  WARN", w)
    if errors:
        print(f"ERRORS: {len(errors)}")
        for e in errors:
            print("  ERROR", e)
        return 1
    print("OK: no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
