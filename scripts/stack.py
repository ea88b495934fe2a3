"""Start and stop the two processes: the Rasa server and the FastAPI gateway.

`make run` uses this module as a program; the integration tests use `Stack` on free ports. Rasa's endpoints
(action server, tracker store) are written for each run by `write_endpoints`. The gateway's access log is off:
web chat paths carry conversation ids, which must not reach a log.
"""
from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from settings import ROOT, SETTINGS

RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
RASA_MODEL = SETTINGS.cache_dir / "rasa-models" / "assistant.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StackConfig:
    app_host: str = SETTINGS.app_host
    app_port: int = SETTINGS.app_port
    rasa_port: int = SETTINGS.rasa_port
    data_dir: Path = SETTINGS.data_dir
    log_dir: Path | None = None          # None: gateway logs to the console, Rasa to data_dir/logs
    env: dict[str, str] = field(default_factory=dict)     # extra TTHC_* settings for the gateway
    # Rasa's HTTP API and the action endpoint require these even on localhost; fresh ones per run when unset.
    rasa_token: str = field(default_factory=lambda: SETTINGS.rasa_token or secrets.token_urlsafe(24))
    action_token: str = field(default_factory=lambda: SETTINGS.action_token or secrets.token_urlsafe(24))
    tracker_store: str = ""                 # database URL; empty: SQLite in data_dir (or TTHC_TRACKER_STORE_URL)

    @property
    def tracker_store_url(self) -> str:
        return self.tracker_store or os.environ.get("TTHC_TRACKER_STORE_URL") or \
            f"sqlite:///{self.data_dir / 'rasa_tracker.db'}"

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"


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


def write_endpoints(config: StackConfig) -> Path:
    """Rasa endpoints for this run: actions served by the gateway (with their token), the tracker store."""
    path = config.data_dir / "rasa-endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "action_endpoint:\n"
        f"  url: {config.app_url}/webhook\n"
        f"  token: {config.action_token}\n" + tracker_store_yaml(config.tracker_store_url),
        encoding="utf-8",
    )
    path.chmod(0o600)                                  # it holds the action endpoint's token
    return path


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_paths: dict[str, Path] = {}
        self._launch: dict[str, tuple[list[str], dict[str, str], bool]] = {}

    def _spawn(self, name: str, command: list[str], env: dict[str, str], to_console: bool) -> None:
        self._launch[name] = (command, env, to_console)
        stdout = None
        if not to_console:
            log_dir = self.config.log_dir or self.config.data_dir / "logs"
            log_dir.mkdir(parents=True, exist_ok=True)
            self.log_paths[name] = log_dir / f"{name}.log"
            stdout = open(self.log_paths[name], "ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None, start_new_session=True,
        )

    def start(self) -> None:
        cfg = self.config
        if not RASA_MODEL.exists():
            raise SystemExit(f"No trained Rasa model at {RASA_MODEL}; run `make run` (it trains one).")
        common = {"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
        self._spawn("gateway", [str(APP_PYTHON), "-m", "uvicorn", "channels.app:app", "--host", cfg.app_host,
                                "--port", str(cfg.app_port), "--no-access-log"],
                    {**common, "TTHC_RASA_URL": cfg.rasa_url, "TTHC_DATA_DIR": str(cfg.data_dir),
                     "TTHC_APP_PORT": str(cfg.app_port), "TTHC_RASA_TOKEN": cfg.rasa_token,
                     "TTHC_ACTION_TOKEN": cfg.action_token, "TTHC_TRACKER_STORE_URL": cfg.tracker_store_url,
                     **cfg.env},
                    to_console=cfg.log_dir is None)
        self._spawn("rasa", [str(RASA_BIN), "run", "--model", str(RASA_MODEL),
                             "--endpoints", str(write_endpoints(cfg)), "--credentials", "bot/credentials.yml",
                             "--interface", "127.0.0.1", "--port", str(cfg.rasa_port), "--enable-api",
                             "--auth-token", cfg.rasa_token],
                    common, to_console=False)

    def wait_healthy(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {proc.returncode}; see {self.log_paths.get(name, 'console')}")
            try:
                with urllib.request.urlopen(self.config.app_url + "/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                last = exc.read().decode("utf-8", "replace")
            except OSError as exc:
                last = str(exc)
            time.sleep(1)
        raise TimeoutError(f"stack not healthy after {timeout:.0f}s: {last}")

    def kill(self, name: str) -> None:
        """Kill one process at once (SIGKILL): a crash, for the fault tests."""
        proc = self.processes[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def restart(self, name: str, timeout: float = 300) -> None:
        """Start a killed (or running) process again with the same command, and wait until the stack is healthy."""
        if self.processes[name].poll() is None:
            self.kill(name)
        self._spawn(name, *self._launch[name])
        self.wait_healthy(timeout)

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def __enter__(self) -> "Stack":
        self.start()
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the assistant: Rasa + gateway")
    parser.add_argument("--port", type=int, default=SETTINGS.app_port)
    parser.add_argument("--rasa-port", type=int, default=SETTINGS.rasa_port)
    args = parser.parse_args()
    stack = Stack(StackConfig(app_port=args.port, rasa_port=args.rasa_port))
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        stack.start()
        print(f"Starting Rasa (log: {stack.log_paths['rasa']}) and the gateway…", flush=True)
        stack.wait_healthy()
        print(f"\n  Web chat ready: {stack.config.app_url}/\n  Staff console: {stack.config.app_url}/staff"
              f"\n  API docs: {stack.config.app_url}/docs\n  Press Ctrl-C to stop.\n", flush=True)
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1)
        dead = [n for n, p in stack.processes.items() if p.poll() is not None]
        print(f"{', '.join(dead)} stopped unexpectedly; shutting down.", file=sys.stderr)
        raise SystemExit(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
