"""Entrypoint of the Rasa image: check the settings, then become `rasa ARGS…` (through bot.server).

- deploy/rasa/endpoints.yml takes its values from the environment (Rasa substitutes ${VAR}); the Redis lock store
  needs host, port and database apart, so they are derived here from TTHC_REDIS_URL (one URL for the gateways and
  Rasa, as in `make run-cluster`).
- `${TTHC_RASA_TOKEN}` in ARGS is replaced by that setting (the image's default command passes
  `--auth-token ${TTHC_RASA_TOKEN}`; Kubernetes may expand `$(VAR)` itself, Compose `${VAR}`).
- `--enable-api` is refused without a non-empty `--auth-token`: Rasa's HTTP API is never open.

Standard library and settings.py only (the settings are read there, once): it runs with the Rasa image's Python 3.10.
"""
from __future__ import annotations

import os
import re
import sys
from typing import Any, Mapping, Sequence
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


def container_env(settings: Any) -> dict[str, str]:
    """What `rasa` needs in its environment besides the settings (`settings.Settings`, checked): the lock store's
    parts."""
    values = {"TTHC_ACTION_TOKEN": settings.action_token, "TTHC_TRACKER_STORE_URL": settings.tracker_store_url,
              "TTHC_REDIS_URL": settings.redis_url}
    missing = [name for name in REQUIRED if not values[name]]
    if missing:
        raise SettingsError("set " + ", ".join(missing))
    if not settings.tracker_store_url.startswith(("postgresql://", "postgres://")):
        raise SettingsError("TTHC_TRACKER_STORE_URL must be postgresql://user:password@host:port/database "
                            "(plain postgresql://: the Rasa image has psycopg2)")
    return {**lock_store_env(settings.redis_url), "RASA_TELEMETRY_ENABLED": "false"}


def rasa_args(argv: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """`argv` with ${VAR} replaced from `values`; an API without a token is refused."""
    def value(match: re.Match[str]) -> str:
        if not values.get(match.group(1)):
            raise SettingsError(f"set {match.group(1)}")
        return values[match.group(1)]

    args = [VARIABLE.sub(value, arg) for arg in argv]
    if "--enable-api" in args:
        token = args[args.index("--auth-token") + 1] if "--auth-token" in args[:-1] else ""
        if not token.strip():
            raise SettingsError("--enable-api needs --auth-token (TTHC_RASA_TOKEN)")
    return args


def main(argv: Sequence[str]) -> None:
    from settings import load_settings            # /app, on the image's PYTHONPATH

    settings = load_settings()
    try:
        extra = container_env(settings)
        args = rasa_args(argv, {"TTHC_RASA_TOKEN": settings.rasa_token})
    except SettingsError as exc:
        sys.exit(f"rasa container: {exc}")
    os.environ.update(extra)                      # endpoints.yml's ${VAR}s: Rasa reads them from its environment
    # bot.server is `rasa` with speed fixes to Rasa's per-turn work (see its docstring), as `make run` uses.
    os.execvp(sys.executable, [sys.executable, "-m", "bot.server", *args])


if __name__ == "__main__":
    main(sys.argv[1:])
