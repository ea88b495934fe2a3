"""Child processes of `make run` and `make run-cluster`: started in their own session (so a kill takes their
children too), logged to files or the console, killed and restarted by name for the fault tests, and supervised
while the runner is in the foreground: a process that exits unexpectedly is restarted with backoff (`Supervisor`,
README "Staying up: restarts and systemd")."""
from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from settings import ROOT, SETTINGS

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
RASA_MODEL = SETTINGS.cache_dir / "rasa-models" / "assistant.tar.gz"
COMMON_ENV = {"RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
SUPERVISOR_STATE_FILE = "supervisor.json"     # in the runner's data folder; the gateway's /metrics reads it
log = logging.getLogger("supervisor")


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
        self.health_urls: dict[str, str] = {}          # what answers 200 once a process is up (the supervisor logs it)
        self._launch: dict[str, tuple[list[str], dict[str, str], bool]] = {}

    def spawn(self, name: str, command: list[str], env: dict[str, str], to_console: bool = False,
              health_url: str = "") -> None:
        self._launch[name] = (command, env, to_console)
        if health_url:
            self.health_urls[name] = health_url
        if to_console:
            self.processes[name] = self._popen(command, env, None)
            return
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log_paths[name] = self.log_dir / f"{name}.log"
        with open(self.log_paths[name], "ab") as stdout:          # the child keeps its own copy
            self.processes[name] = self._popen(command, env, stdout)

    @staticmethod
    def _popen(command: list[str], env: dict[str, str], stdout: IO[bytes] | None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
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

    def clear_leftovers(self, name: str) -> None:
        """After a process exited by itself: kill whatever it left in its session (its process group)."""
        try:
            os.killpg(self.processes[name].pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def respawn(self, name: str) -> None:
        """Start a killed (or running) process again with the same command. (A process that exited by itself had its
        leftovers cleared when it was found dead: clearing again later could hit a group whose id was reused.)"""
        if self.processes[name].poll() is None:
            self.kill(name)
        self.spawn(name, *self._launch[name])

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:                  # it died just now
                    pass
        for proc in self.processes.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def describe_exit(code: int) -> str:
    """`exit code 1`, or `exit code -9 (SIGKILL)` for a process ended by a signal."""
    if code < 0:
        try:
            return f"exit code {code} ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"exit code {code}"


@dataclass(frozen=True)
class RestartPolicy:
    """How the runner treats a process that exits unexpectedly: restarted after 1 s, then 2, 4, 8 … up to 30 s for
    each further crash; a process that ran a healthy minute starts again from 1 s. One process exiting
    `crash_limit` times within `crash_window` seconds (TTHC_RESTART_LIMIT / TTHC_RESTART_WINDOW_SECONDS, 5 in 60 s)
    is broken, not unlucky: the runner stops everything and says which one."""
    first_backoff: float = 1.0
    max_backoff: float = 30.0
    healthy_after: float = 60.0
    crash_limit: int = field(default_factory=lambda: SETTINGS.restart_limit)
    crash_window: float = field(default_factory=lambda: SETTINGS.restart_window_seconds)

    def backoff(self, streak: int) -> float:
        """The wait before restarting a process that already crashed `streak` times since it last ran well."""
        return min(self.first_backoff * 2 ** min(streak, 30), self.max_backoff)


class CrashLoop(RuntimeError):
    """One process keeps dying: the runner stops the stack."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass
class Watched:
    """What the supervisor knows about one process."""
    started_at: float
    restarts: int = 0
    streak: int = 0                                  # crashes since the process last ran `healthy_after` seconds
    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None                  # set while waiting out the backoff
    down_since: float | None = None                  # set from a crash until the process answers again
    last_exit: int | None = None


class Supervisor:
    """Watches a `ProcessGroup`: a process that exits (whatever its code: nothing here exits on purpose while the
    runner runs) is restarted after its backoff, each crash and restart logged with the exit code, and the time
    until it answers again logged too. `run` returns when `stop` is set and raises `CrashLoop` when a process
    keeps dying. Restart counts go to `state_file` (JSON) for the gateway's /metrics."""

    def __init__(self, group: ProcessGroup, policy: RestartPolicy | None = None, state_file: Path | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.group = group
        self.policy = policy or RestartPolicy()
        self.state_file = state_file
        self._clock = clock
        self.watched: dict[str, Watched] = {}

    def run(self, stop: threading.Event | None = None, interval: float = 0.5) -> None:
        stop = stop or threading.Event()
        self.write_state()
        while not stop.is_set():
            self.tick()
            stop.wait(interval)

    def tick(self) -> None:
        """One look at every process: restart those due, note those that died or came back."""
        changed = False
        for name, proc in list(self.group.processes.items()):
            now = self._clock()
            watched = self.watched.setdefault(name, Watched(started_at=now))
            if watched.restart_at is not None:
                if now >= watched.restart_at:
                    self._restart(name, watched, now)
                    changed = True
                continue
            code = proc.poll()
            if code is not None:
                self._crashed(name, watched, code, now)
                changed = True
            elif watched.down_since is not None and self._answers(name):
                log.info("%s is answering again, %.1f s after it stopped", name, now - watched.down_since)
                watched.down_since = None
        if changed:
            self.write_state()

    def _answers(self, name: str) -> bool:
        url = self.group.health_urls.get(name)
        return answers(url, timeout=1)[0] if url else True

    def _crashed(self, name: str, watched: Watched, code: int, now: float) -> None:
        self.group.clear_leftovers(name)
        watched.last_exit = code
        if now - watched.started_at >= self.policy.healthy_after:
            watched.streak = 0
        watched.crashes.append(now)
        while watched.crashes and watched.crashes[0] <= now - self.policy.crash_window:
            watched.crashes.popleft()
        if watched.down_since is None:
            watched.down_since = now
        if len(watched.crashes) >= self.policy.crash_limit:
            self.write_state()
            where = self.group.log_paths.get(name)
            raise CrashLoop(name, f"{name} stopped unexpectedly {len(watched.crashes)} times within "
                                  f"{self.policy.crash_window:.0f} s (last: {describe_exit(code)}); not restarting it"
                                  + (f" (its log: {where})" if where else ""))
        delay = self.policy.backoff(watched.streak)
        watched.streak += 1
        watched.restart_at = now + delay
        log.warning("%s stopped unexpectedly (%s); restarting it in %.0f s", name, describe_exit(code), delay)

    def _restart(self, name: str, watched: Watched, now: float) -> None:
        self.group.respawn(name)
        watched.restarts += 1
        watched.started_at, watched.restart_at = now, None
        log.info("%s restarted (restart %d, pid %d)", name, watched.restarts, self.group.processes[name].pid)

    def state(self) -> dict[str, object]:
        processes = {}
        for name, proc in self.group.processes.items():
            watched = self.watched.get(name)
            processes[name] = {"pid": proc.pid, "running": proc.poll() is None,
                               "restarts": watched.restarts if watched else 0,
                               "last_exit_code": watched.last_exit if watched else None}
        return {"supervisor_pid": os.getpid(), "updated": time.time(), "processes": processes}

    def write_state(self) -> None:
        """Replace the state file at once (written aside, then renamed): a scrape never reads half of it."""
        if self.state_file is None:
            return
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self.state_file.with_name(self.state_file.name + ".tmp")
            partial.write_text(json.dumps(self.state(), indent=1), encoding="utf-8")
            os.replace(partial, self.state_file)
        except OSError as exc:
            log.warning("could not write %s: %s", self.state_file, type(exc).__name__)

    def close(self) -> None:
        """The runner stops: the counts go with it (a stale file would report processes that no longer run)."""
        if self.state_file is not None:
            self.state_file.unlink(missing_ok=True)


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

    @property
    def supervisor_state(self) -> Path:
        """Where the runner keeps restart counts (the runner passes it to its gateways as TTHC_SUPERVISOR_STATE)."""
        raise NotImplementedError

    def run_in_foreground(self, starting: Callable[[], str], ready: str) -> None:
        """`make run` / `make run-cluster`: start, say so, and supervise until Ctrl-C or SIGTERM; a process that
        exits is restarted (`Supervisor`). The stack stops by itself only when a process fails to start or keeps
        dying; then this exits with status 1 and says which process."""
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        supervisor = Supervisor(self.group, RestartPolicy(), self.supervisor_state)
        failure = ""
        try:
            self.start()
            supervisor.write_state()
            print(starting(), flush=True)
            self.wait_healthy()
            print(ready, flush=True)
            supervisor.run()
        except KeyboardInterrupt:
            print("\nStopping…", flush=True)
        except CrashLoop as exc:
            failure = f"{exc}; stopping the stack."
        except (RuntimeError, TimeoutError) as exc:          # a process died or hung while the stack started
            failure = f"The stack did not start: {exc}"
        finally:
            if failure:
                log.error(failure)
            for stopping in (signal.SIGINT, signal.SIGTERM):       # a second Ctrl-C must not orphan the children
                signal.signal(stopping, signal.SIG_IGN)
            self.stop()
            supervisor.close()
        if failure:
            raise SystemExit(1)

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
