"""Dossier store commands.

    python -m dossiers import FILE      import a one-stop system's CSV or JSON export (idempotent)
    python -m dossiers demo-data        fill the store with a few hundred realistic dossiers (make demo-data)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dossiers.demo import demo_dossiers
from dossiers.importer import import_file
from dossiers.store import DossierStore
from knowledge_base.service import load_procedures
from settings import SETTINGS
from storage.database import Database
from storage.tables import utcnow

# Demo dossiers use commune-level procedures of the fields citizens ask about most.
DEMO_FIELDS = ("Hộ tịch", "Chứng thực", "Đăng ký, quản lý cư trú", "Đất đai",
               "Thành lập và hoạt động doanh nghiệp (hộ kinh doanh)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dossiers")
    sub = parser.add_subparsers(dest="command", required=True)
    imports = sub.add_parser("import", help="import a CSV or JSON export")
    imports.add_argument("file", type=Path)
    demo = sub.add_parser("demo-data", help="fill the store with demo dossiers")
    demo.add_argument("--count", type=int, default=300)
    args = parser.parse_args(argv)

    db = Database(SETTINGS.database_url)
    db.migrate()
    store = DossierStore(db)
    procedures = load_procedures(SETTINGS)
    now = utcnow()
    if args.command == "import":
        codes = {p.code for p in procedures}
        report = import_file(args.file, store.save_sync, codes.__contains__, now)
        print(report.summary())
        return 0 if not report.rejected else 2
    candidates = [p.code for p in procedures if p.field in DEMO_FIELDS and "Cấp xã" in p.levels]
    shown = []
    for code, data in demo_dossiers(sorted(candidates), now, args.count):
        store.save_sync(code, data, now)
        if len(shown) < 9 and code.endswith(tuple(f"{n:04d}" for n in range(1, 10))):
            shown.append((code, data))
    print(f"{args.count} demo dossiers in {SETTINGS.database_url}. Try one in the chat "
          "(\"tra cứu hồ sơ <mã>\", then the 4 digits):")
    for code, data in shown:
        print(f"  {code}  {data.status.value:<16} phone digits {data.phone_digits[-4:]}")
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
