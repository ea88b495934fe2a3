"""Start and stop the processes of `make run`: the FastAPI gateway and the Rasa servers (TTHC_RASA_PROCESSES, two
by default: Rasa works on one turn at a time per process, so a second one puts the other core to work).

`make run` uses this module as a program; the integration tests use `Stack` on free ports. Rasa's endpoints
(action server, tracker store, lock store) are written for each run by `write_endpoints`. As a program it
supervises its children (scripts/processes.py `Supervisor`): a Rasa server or the gateway that exits is restarted
with backoff; while a Rasa server is down its conversations go to the other one (they share the tracker store).
"""
from __future__ import annotations

import argparse
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from scripts.processes import (SUPERVISOR_STATE_FILE, ManagedProcesses, ProcessGroup, free_port, gateway_command,
                               new_token, rasa_command)
from settings import SETTINGS

__all__ = ["Stack", "StackConfig", "free_port", "lock_store_yaml", "tracker_store_yaml", "write_endpoints"]


@dataclass
class StackConfig:
    app_host: str = SETTINGS.app_host
    app_port: int = SETTINGS.app_port
    rasa_port: int = SETTINGS.rasa_port
    # Rasa servers: each on its own core; the gateway sends each conversation always to the same one.
    rasa_processes: int = SETTINGS.rasa_processes
    rasa_ports: tuple[int, ...] = ()       # empty: rasa_port and the ports after it
    data_dir: Path = SETTINGS.data_dir
    log_dir: Path | None = None          # None: gateway logs to the console, Rasa to data_dir/logs
    env: dict[str, str] = field(default_factory=dict)     # extra TTHC_* settings for the gateway
    # Rasa's HTTP API and the action endpoint require these even on localhost; fresh ones per run when unset.
    rasa_token: str = field(default_factory=lambda: SETTINGS.rasa_token or new_token())
    action_token: str = field(default_factory=lambda: SETTINGS.action_token or new_token())
    tracker_store: str = ""                 # database URL; empty: SQLite in data_dir (or TTHC_TRACKER_STORE_URL)

    @property
    def tracker_store_url(self) -> str:
        """Explicit, else the settings' (TTHC_TRACKER_STORE_URL) for the default data folder; another data folder
        (tests, load runs) gets its own SQLite file."""
        if self.tracker_store:
            return self.tracker_store
        if self.data_dir == SETTINGS.data_dir:
            return SETTINGS.tracker_store_url
        return f"sqlite:///{self.data_dir / 'rasa_tracker.db'}"

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def ports_of_rasa(self) -> tuple[int, ...]:
        return self.rasa_ports or tuple(self.rasa_port + n for n in range(self.rasa_processes))

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports_of_rasa]

    @property
    def rasa_url(self) -> str:
        """The first Rasa server (they share the tracker store: any of them reads any conversation)."""
        return self.rasa_urls[0]


def tracker_store_yaml(url: str) -> str:
    """Rasa's SQL tracker store settings for a database URL (SQLite file or PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {parsed.database}\n"
    lines = ["tracker_store:", "  type: SQL", "  dialect: postgresql", f"  url: {parsed.host or '127.0.0.1'}",
             f"  port: {parsed.port or 5432}", f"  db: {parsed.database}"]
    lines += [f"  username: {parsed.username}"] if parsed.username else []
    lines += [f"  password: {parsed.password}"] if parsed.password else []
    return "\n".join(lines) + "\n"


def lock_store_yaml(redis_url: str) -> str:
    """Rasa's lock store in Redis, so that several Rasa instances take one conversation's turns one at a time."""
    if not redis_url:
        return ""
    parsed = urlsplit(redis_url)
    lines = ["lock_store:", "  type: redis", f"  url: {parsed.hostname or '127.0.0.1'}",
             f"  port: {parsed.port or 6379}", f"  db: {parsed.path.strip('/') or 0}", "  key_prefix: tthc"]
    lines += [f"  password: {parsed.password}"] if parsed.password else []
    return "\n".join(lines) + "\n"


def write_endpoints(path: Path, action_url: str, action_token: str, tracker_store_url: str,
                    redis_url: str = "") -> Path:
    """Rasa endpoints for this run: actions served by the gateway (with their token), the tracker store, and the
    lock store when several Rasa instances share the conversations."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"action_endpoint:\n  url: {action_url}\n  token: {action_token}\n"
        + tracker_store_yaml(tracker_store_url) + lock_store_yaml(redis_url),
        encoding="utf-8",
    )
    path.chmod(0o600)                                  # it holds the action endpoint's token
    return path


class Stack(ManagedProcesses):
    restart_timeout = 300.0

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.group = ProcessGroup(config.log_dir or config.data_dir / "logs")

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        return self.group.processes

    @property
    def log_paths(self) -> dict[str, Path]:
        return self.group.log_paths

    @property
    def supervisor_state(self) -> Path:
        return self.config.data_dir / SUPERVISOR_STATE_FILE

    def start(self) -> None:
        cfg = self.config
        endpoints = write_endpoints(cfg.data_dir / "rasa-endpoints.yml", f"{cfg.app_url}/webhook", cfg.action_token,
                                    cfg.tracker_store_url)
        self.group.spawn("gateway", gateway_command(cfg.app_host, cfg.app_port),
                         {"TTHC_RASA_URL": ",".join(cfg.rasa_urls), "TTHC_DATA_DIR": str(cfg.data_dir),
                          "TTHC_APP_PORT": str(cfg.app_port), "TTHC_RASA_TOKEN": cfg.rasa_token,
                          "TTHC_ACTION_TOKEN": cfg.action_token, "TTHC_TRACKER_STORE_URL": cfg.tracker_store_url,
                          "TTHC_SUPERVISOR_STATE": str(self.supervisor_state), **cfg.env},
                         to_console=cfg.log_dir is None, health_url=cfg.app_url + "/health/live")
        for name, port in zip(self.rasa_names, cfg.ports_of_rasa):
            self.group.spawn(name, rasa_command(port, endpoints, cfg.rasa_token), {},
                             health_url=f"http://127.0.0.1:{port}/")

    @property
    def rasa_names(self) -> list[str]:
        return ["rasa"] + [f"rasa-{n}" for n in range(2, len(self.config.ports_of_rasa) + 1)]

    def wait_healthy(self, timeout: float = 300) -> None:
        self.group.wait_for(self.config.app_url + "/health", timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the assistant: Rasa + gateway")
    parser.add_argument("--port", type=int, default=SETTINGS.app_port)
    parser.add_argument("--rasa-port", type=int, default=SETTINGS.rasa_port)
    args = parser.parse_args()
    stack = Stack(StackConfig(app_port=args.port, rasa_port=args.rasa_port))
    url = stack.config.app_url
    stack.run_in_foreground(lambda: f"Starting {len(stack.rasa_names)} Rasa server(s) (logs: "
                                    f"{stack.log_paths['rasa'].parent}) and the gateway…",
                            f"\n  Web chat ready: {url}/\n  Staff console: {url}/staff\n  API docs: {url}/docs"
                            "\n  Press Ctrl-C to stop.\n")


if __name__ == "__main__":
    main()
