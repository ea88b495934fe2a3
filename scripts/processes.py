"""Child processes of `make run` and `make run-cluster`: started in their own session (so a kill takes their
children too), logged to files or the console, killed and restarted by name for the fault tests."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from settings import ROOT, SETTINGS

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
RASA_MODEL = SETTINGS.cache_dir / "rasa-models" / "assistant.tar.gz"
COMMON_ENV = {"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_token() -> str:
    """A fresh token for Rasa's API or the action endpoint: 192 random bits in hex (a command-line value must not
    start with `-`, which token_urlsafe may produce)."""
    return secrets.token_hex(24)


def gateway_command(host: str, port: int, behind_proxy: bool = False) -> list[str]:
    """No access log: web chat paths carry conversation ids, which must not reach a log. Behind the cluster's nginx
    the client address comes from X-Forwarded-For, trusted from 127.0.0.1 only: nginx appends the address it saw,
    so an address a remote client writes there itself is never taken."""
    proxy = ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"] if behind_proxy else []
    return [str(APP_PYTHON), "-m", "uvicorn", "channels.app:app", "--host", host, "--port", str(port),
            "--no-access-log", *proxy]


def rasa_command(port: int, endpoints: Path, token: str) -> list[str]:
    if token.startswith("-"):
        raise SystemExit("TTHC_RASA_TOKEN must not start with '-' (Rasa would read it as an option).")
    if not RASA_MODEL.exists():
        raise SystemExit(f"No trained Rasa model at {RASA_MODEL}; run `make run` (it trains one).")
    # bot.server is `rasa` with two speed fixes to Rasa's per-turn work (see its docstring).
    return [str(RASA_PYTHON), "-m", "bot.server", "run", "--model", str(RASA_MODEL), "--endpoints", str(endpoints),
            "--credentials", "bot/credentials.yml", "--interface", "127.0.0.1", "--port", str(port),
            "--enable-api", "--auth-token", token]


def answers(url: str, timeout: float = 5) -> tuple[bool, str]:
    """(True, "") when GET `url` gives 200; else (False, why)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200, ""
    except urllib.error.HTTPError as exc:
        return False, exc.read().decode("utf-8", "replace")
    except OSError as exc:
        return False, str(exc)


class ProcessGroup:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_paths: dict[str, Path] = {}
        self._launch: dict[str, tuple[list[str], dict[str, str], bool]] = {}

    def spawn(self, name: str, command: list[str], env: dict[str, str], to_console: bool = False) -> None:
        self._launch[name] = (command, env, to_console)
        stdout = None
        if not to_console:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self.log_paths[name] = self.log_dir / f"{name}.log"
            stdout = open(self.log_paths[name], "ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **COMMON_ENV, **env}, stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None, start_new_session=True,
        )

    def check_running(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode}; see {self.log_paths.get(name, 'console')}")

    def wait_for(self, url: str, timeout: float) -> None:
        """Until GET `url` answers 200, failing early when a process died."""
        deadline, last = time.monotonic() + timeout, "no answer yet"
        while time.monotonic() < deadline:
            self.check_running()
            ok, last = answers(url)
            if ok:
                return
            time.sleep(1)
        raise TimeoutError(f"{url} not ready after {timeout:.0f}s: {last}")

    def kill(self, name: str) -> None:
        """Kill one process at once (SIGKILL): a crash, for the fault tests."""
        proc = self.processes[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def respawn(self, name: str) -> None:
        """Start a killed (or running) process again with the same command."""
        if self.processes[name].poll() is None:
            self.kill(name)
        self.spawn(name, *self._launch[name])

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


class ManagedProcesses:
    """What `Stack` and `Cluster` share: start everything, wait until healthy, kill or restart one process by name
    (the fault tests), stop everything; usable as a context manager that stops on any failure."""

    group: ProcessGroup
    restart_timeout = 600.0

    def start(self) -> None:
        raise NotImplementedError

    def wait_healthy(self, timeout: float = 600) -> None:
        raise NotImplementedError

    def kill(self, name: str) -> None:
        self.group.kill(name)

    def restart(self, name: str, timeout: float | None = None) -> None:
        """Start a killed (or running) process again with the same command, and wait until all is healthy."""
        self.group.respawn(name)
        self.wait_healthy(timeout or self.restart_timeout)

    def stop(self) -> None:
        self.group.stop()

    def run_in_foreground(self, starting: Callable[[], str], ready: str) -> None:
        """`make run` / `make run-cluster`: start, say so, and run until Ctrl-C, SIGTERM or a process dying."""
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        try:
            self.start()
            print(starting(), flush=True)
            self.wait_healthy()
            print(ready, flush=True)
            while all(p.poll() is None for p in self.group.processes.values()):
                time.sleep(1)
            dead = [n for n, p in self.group.processes.items() if p.poll() is not None]
            raise SystemExit(f"{', '.join(dead)} stopped unexpectedly; shutting down.")
        except KeyboardInterrupt:
            print("\nStopping…", flush=True)
        finally:
            self.stop()

    def __enter__(self):  # type: ignore[no-untyped-def]
        try:
            self.start()
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
