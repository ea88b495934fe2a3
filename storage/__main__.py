"""Store maintenance (a cron job or a Kubernetes CronJob runs `purge`).

    python -m storage upgrade                          bring the schema to the newest migration
    python -m storage purge [--days 180]               delete conversations and tracker events older than that
    python -m storage forget CHANNEL SENDER_ID         delete one citizen's conversation (a request to be forgotten)
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta

from settings import SETTINGS
from storage.database import Database
from storage.retention import forget_conversation, purge, purge_tracker
from storage.tables import utcnow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storage")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="apply the migrations")
    purging = sub.add_parser("purge", help="delete what is older than the retention period")
    purging.add_argument("--days", type=int, default=SETTINGS.retention_days)
    forgetting = sub.add_parser("forget", help="delete one citizen's conversation")
    forgetting.add_argument("channel", choices=["web", "zalo", "telegram"])
    forgetting.add_argument("sender_id")
    args = parser.parse_args(argv)
    db = Database(SETTINGS.database_url)
    try:
        db.migrate()
        if args.command == "purge":
            cutoff = utcnow() - timedelta(days=args.days)
            counts = purge(db, cutoff)
            counts["rasa_tracker_events"] = purge_tracker(SETTINGS.tracker_store_url, cutoff=cutoff)
            print(json.dumps({"older_than_days": args.days, "deleted": counts}, ensure_ascii=False))
        elif args.command == "forget":
            counts = forget_conversation(db, args.channel, args.sender_id)
            counts["rasa_tracker_events"] = purge_tracker(SETTINGS.tracker_store_url,
                                                          conversation_id=f"{args.channel}:{args.sender_id}")
            print(json.dumps({"deleted": counts}, ensure_ascii=False))
    finally:
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
