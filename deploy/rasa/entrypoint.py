"""Entrypoint of the Rasa image: check the settings, then become `rasa ARGS…` (through bot.server).

- deploy/rasa/endpoints.yml takes its values from the environment (Rasa substitutes ${VAR}); the Redis lock store
  needs host, port and database apart, so they are derived here from TTHC_REDIS_URL (one URL for the gateways and
  Rasa, as in `make run-cluster`).
- `${VAR}` in ARGS is replaced from the environment (the image's default command passes
  `--auth-token ${TTHC_RASA_TOKEN}`; Kubernetes may expand `$(VAR)` itself, Compose `${VAR}`).
- `--enable-api` is refused without a non-empty `--auth-token`: Rasa's HTTP API is never open.

Standard library only: it runs with the Rasa image's Python 3.10.
"""
from __future__ import annotations

import os
import re
import sys
from typing import Mapping, Sequence
from urllib.parse import unquote, urlsplit

REQUIRED = ("TTHC_ACTION_TOKEN", "TTHC_TRACKER_STORE_URL", "TTHC_REDIS_URL")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SettingsError(ValueError):
    """A setting the Rasa container cannot start without is missing or malformed."""


def lock_store_env(redis_url: str) -> dict[str, str]:
    """RASA_LOCK_STORE_* for deploy/rasa/endpoints.yml from a redis://[user:password@]host[:port][/db] URL."""
    parts = urlsplit(redis_url)
    if parts.scheme != "redis" or not parts.hostname:
        raise SettingsError(f"TTHC_REDIS_URL must be redis://[user:password@]host[:port][/db], not {parts.scheme}://…")
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise SettingsError("TTHC_REDIS_URL: the database (the path) must be a number")
    return {
        "RASA_LOCK_STORE_HOST": parts.hostname,
        "RASA_LOCK_STORE_PORT": str(parts.port or 6379),
        "RASA_LOCK_STORE_DB": db,
        "RASA_LOCK_STORE_USERNAME": unquote(parts.username or ""),
        "RASA_LOCK_STORE_PASSWORD": unquote(parts.password or ""),
    }


def container_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment `rasa` runs with: `environ` checked, plus the lock store's parts."""
    missing = [name for name in REQUIRED if not environ.get(name)]
    if missing:
        raise SettingsError("set " + ", ".join(missing))
    if not environ["TTHC_TRACKER_STORE_URL"].startswith(("postgresql://", "postgres://")):
        raise SettingsError("TTHC_TRACKER_STORE_URL must be postgresql://user:password@host:port/database "
                            "(plain postgresql://: the Rasa image has psycopg2)")
    return {**environ, **lock_store_env(environ["TTHC_REDIS_URL"]), "RASA_TELEMETRY_ENABLED": "false"}


def rasa_args(argv: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """`argv` with ${VAR} replaced from `environ`; an API without a token is refused."""
    def value(match: re.Match[str]) -> str:
        if not environ.get(match.group(1)):
            raise SettingsError(f"set {match.group(1)}")
        return environ[match.group(1)]

    args = [VARIABLE.sub(value, arg) for arg in argv]
    if "--enable-api" in args:
        token = args[args.index("--auth-token") + 1] if "--auth-token" in args[:-1] else ""
        if not token.strip():
            raise SettingsError("--enable-api needs --auth-token (TTHC_RASA_TOKEN)")
    return args


def main(argv: Sequence[str]) -> None:
    try:
        env = container_env(os.environ)
        args = rasa_args(argv, env)
    except SettingsError as exc:
        sys.exit(f"rasa container: {exc}")
    # bot.server is `rasa` with two speed fixes to Rasa's per-turn work (see its docstring), as `make run` uses.
    os.execvpe(sys.executable, [sys.executable, "-m", "bot.server", *args], {**env, "PYTHONPATH": "/app"})


if __name__ == "__main__":
    main(sys.argv[1:])
