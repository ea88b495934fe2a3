"""Feedback commands.

    python -m feedback export-examples [-o FILE]    the examples officers taught (active ones), in the format of
                                                    knowledge_base/data/examples.jsonl, for review into the repo
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from feedback.examples import TaughtExampleStore
from settings import SETTINGS
from storage.database import Database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m feedback")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export-examples", help="write the taught examples as JSON lines")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    db = Database(SETTINGS.database_url)
    db.migrate()
    lines = [e.jsonl() for e in TaughtExampleStore(db).all_sync()]
    db.close()
    text = "".join(line + "\n" for line in lines)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"{len(lines)} examples written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
