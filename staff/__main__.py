"""Staff accounts from the command line.

    python -m staff create-user NAME --role officer|admin     (the password is asked for, or read from stdin)
"""
from __future__ import annotations

import argparse
import getpass
import sys

from settings import SETTINGS
from staff.accounts import ROLES, AccountError, StaffAccounts
from storage.database import Database
from storage.tables import utcnow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m staff")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="create a staff account")
    create.add_argument("name")
    create.add_argument("--role", choices=ROLES, default="officer")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Mật khẩu: ")
    db = Database(SETTINGS.database_url)
    db.migrate()
    try:
        member = StaffAccounts(db).create_sync(args.name, password, args.role, utcnow())
    except AccountError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        db.close()
    print(f"Đã tạo tài khoản {member.username} ({member.role}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
