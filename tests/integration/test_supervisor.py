"""The one-machine stack heals itself (issue #28).

First the parts on their own, with small real processes: the restart policy (backoff 1, 2, 4 … s, reset after a
healthy minute, 5 crashes within 60 s stop everything), the restart counts the gateway's /metrics reads, and the
gateway moving a conversation whose Rasa server refuses connections to the other one.

Then `make run` itself (`python -m scripts.stack`, the real runner with its gateway and two Rasa servers on free
ports): kill -9 one Rasa server (its conversations go on from the shared SQLite tracker store, the others never
notice, it is back by itself), kill -9 the gateway (back within seconds, web sessions still work), and one process
killed five times in a minute (the runner stops everything and names it). Measured recovery times are printed
(`pytest -s`)."""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from channels.conversation import UNAVAILABLE_REPLY
from channels.dialogue import RasaDialogue
from channels.metrics import Metrics
from scripts.processes import APP_PYTHON, ROOT, CrashLoop, ProcessGroup, RestartPolicy, Supervisor
from tests.fakes.server import free_port, wait_for

BIRTH = "1.001193"
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


# ------------------------------------------------------------------------------------------- the restart policy
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def crash(group: ProcessGroup, name: str) -> None:
    os.kill(group.processes[name].pid, signal.SIGKILL)
    group.processes[name].wait(timeout=10)


@pytest.fixture
def sleepers(tmp_path: Path) -> Iterator[ProcessGroup]:
    group = ProcessGroup(tmp_path / "logs")
    yield group
    group.stop()


def test_backoff_doubles_to_its_cap_and_starts_again_after_a_healthy_minute(sleepers: ProcessGroup,
                                                                             tmp_path: Path) -> None:
    sleepers.spawn("worker", SLEEPER, {})
    clock = Clock()
    supervisor = Supervisor(sleepers, RestartPolicy(crash_limit=100, crash_window=60), tmp_path / "state.json", clock)
    waits = []
    for _ in range(7):
        crash(sleepers, "worker")
        supervisor.tick()
        watched = supervisor.watched["worker"]
        waits.append(watched.restart_at - clock.now)
        clock.now = watched.restart_at - 0.01
        supervisor.tick()
        assert sleepers.processes["worker"].poll() is not None            # not before its time
        clock.now = watched.restart_at
        supervisor.tick()
        assert sleepers.processes["worker"].poll() is None                 # restarted
        clock.now += 5
    assert waits == [1, 2, 4, 8, 16, 30, 30]
    clock.now += 60                                                        # then a healthy minute
    crash(sleepers, "worker")
    supervisor.tick()
    assert supervisor.watched["worker"].restart_at - clock.now == 1
    state = json.loads((tmp_path / "state.json").read_text())["processes"]["worker"]
    assert state == {"pid": sleepers.processes["worker"].pid, "running": False, "restarts": 7, "last_exit_code": -9}


def test_five_crashes_within_a_minute_is_a_crash_loop_naming_the_process(sleepers: ProcessGroup) -> None:
    sleepers.spawn("worker", SLEEPER, {})
    sleepers.spawn("steady", SLEEPER, {})
    clock = Clock()
    supervisor = Supervisor(sleepers, RestartPolicy(), None, clock)
    assert (supervisor.policy.crash_limit, supervisor.policy.crash_window) == (5, 60)    # the documented numbers
    for _ in range(4):
        crash(sleepers, "worker")
        supervisor.tick()
        clock.now = supervisor.watched["worker"].restart_at
        supervisor.tick()
    assert clock.now - 1000 == 1 + 2 + 4 + 8
    crash(sleepers, "worker")
    with pytest.raises(CrashLoop) as stopped:
        supervisor.tick()
    assert stopped.value.name == "worker"
    assert str(stopped.value).startswith(
        "worker stopped unexpectedly 5 times within 60 s (last: exit code -9 (SIGKILL))")
    assert sleepers.processes["steady"].poll() is None


def test_crashes_spread_over_more_than_the_window_never_stop_the_stack(sleepers: ProcessGroup) -> None:
    sleepers.spawn("worker", SLEEPER, {})
    clock = Clock()
    supervisor = Supervisor(sleepers, RestartPolicy(), None, clock)
    for _ in range(8):                                 # one crash every 20 s: never 5 within 60 s
        crash(sleepers, "worker")
        supervisor.tick()
        clock.now = supervisor.watched["worker"].restart_at
        supervisor.tick()
        clock.now += 20
    assert supervisor.watched["worker"].restarts == 8


def test_a_killed_process_is_restarted_and_the_gateway_metrics_count_it(sleepers: ProcessGroup,
                                                                         tmp_path: Path) -> None:
    state = tmp_path / "supervisor.json"
    sleepers.spawn("sleeper", SLEEPER, {})
    supervisor, stop = Supervisor(sleepers, RestartPolicy(), state), threading.Event()
    watching = threading.Thread(target=supervisor.run, args=(stop, 0.1), daemon=True)
    watching.start()
    try:
        first = sleepers.processes["sleeper"].pid
        wait_for(state.exists, timeout=10)
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: json.loads(state.read_text())["processes"]["sleeper"]["restarts"] == 1, timeout=15)
        wait_for(lambda: json.loads(state.read_text())["processes"]["sleeper"]["running"], timeout=15)
        assert sleepers.processes["sleeper"].pid != first
        scrape = Metrics().exposition(state).decode()
        assert 'tthc_process_restarts_total{process="sleeper"} 1.0' in scrape
        assert 'tthc_process_running{process="sleeper"} 1.0' in scrape
    finally:
        stop.set()
        watching.join(timeout=10)
    supervisor.close()
    assert not state.exists() and "tthc_process_restarts" not in Metrics().exposition(state).decode()


# --------------------------------------------------------------------------- a conversation whose server is down
class RasaStandIn:
    """Speaks Rasa's REST shape on a fixed port, and can be stopped and started again on it."""

    def __init__(self, name: str) -> None:
        self.name, self.port, self.senders = name, free_port(), Counter[str]()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/rest/webhook")
        async def message(request: Request) -> list[dict]:
            body = await request.json()
            self.senders[body["sender"]] += 1
            return [{"recipient_id": body["sender"], "text": f"{self.name} trả lời"}]
        return app

    def start(self) -> None:
        self._server = uvicorn.Server(uvicorn.Config(self.app(), host="127.0.0.1", port=self.port,
                                                     log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        wait_for(lambda: self._server.started, timeout=10)

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)


def test_a_conversation_goes_to_a_live_server_while_its_own_refuses_and_comes_back_after() -> None:
    one, two = RasaStandIn("một"), RasaStandIn("hai")
    one.start()
    two.start()
    try:
        async def scenario() -> None:
            dialogue = RasaDialogue(f"{one.url},{two.url}", timeout=10)
            dialogue.REFUSED_SKIP_SECONDS = 0.3
            pinned_two = next(f"web:c{n}" for n in range(100) if dialogue.servers_for(f"web:c{n}")[0] == 1)
            pinned_one = next(f"web:c{n}" for n in range(100) if dialogue.servers_for(f"web:c{n}")[0] == 0)
            assert (await dialogue.send(pinned_two, "một", "web"))[0].blocks[0].text == "hai trả lời"
            two.stop()
            for turn in range(3):                     # each turn reaches Rasa exactly once, on the live server
                assert (await dialogue.send(pinned_two, f"câu {turn}", "web"))[0].blocks[0].text == "một trả lời"
                assert (await dialogue.send(pinned_one, f"câu {turn}", "web"))[0].blocks[0].text == "một trả lời"
            assert one.senders == {pinned_two: 3, pinned_one: 3} and two.senders == {pinned_two: 1}
            two.start()
            await asyncio.sleep(0.4)
            assert (await dialogue.send(pinned_two, "lại", "web"))[0].blocks[0].text == "hai trả lời"   # pinned again
            await dialogue.close()
        asyncio.run(scenario())
    finally:
        one.stop()
        two.stop()


# ------------------------------------------------------------------------------------------ `make run`, for real
class Runner:
    """`python -m scripts.stack` (what `make run` runs) in its own data folder, on free ports."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = ports_outside_the_ephemeral_range(1)
        self.rasa_port = ports_outside_the_ephemeral_range(2)
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = data_dir / "runner.out"
        self.state_file = data_dir / "supervisor.json"
        self.known_pids: set[int] = set()
        env = {key: value for key, value in os.environ.items() if not key.startswith("TTHC_")}
        env.update({"PYTHONPATH": str(ROOT), "TTHC_DATA_DIR": str(data_dir), "TTHC_CHAT_RATE_PER_MINUTE": "1000",
                    "TTHC_DATABASE_URL": f"sqlite:///{data_dir / 'gateway.db'}",
                    "TTHC_TRACKER_STORE_URL": f"sqlite:///{data_dir / 'rasa_tracker.db'}"})
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(
                [str(APP_PYTHON), "-m", "scripts.stack", "--port", str(self.port), "--rasa-port", str(self.rasa_port)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def processes(self) -> dict[str, dict]:
        processes = json.loads(self.state_file.read_text(encoding="utf-8"))["processes"]
        self.known_pids |= {p["pid"] for p in processes.values()}
        return processes

    def pid(self, name: str) -> int:
        return self.processes()[name]["pid"]

    def health(self, path: str) -> httpx.Response | None:
        try:
            return httpx.get(self.url + path, timeout=10)
        except httpx.HTTPError:
            return None

    def metric(self, name: str, process: str) -> float:
        scrape = httpx.get(self.url + "/metrics", timeout=10).text
        found = re.search(rf'^{name}{{process="{process}"}} (\S+)$', scrape, re.MULTILINE)
        assert found, f"{name} for {process} not in /metrics"
        return float(found.group(1))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for pid in self.known_pids:                   # never leave a child behind, whatever happened
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def ports_outside_the_ephemeral_range(count: int) -> int:
    """The first of `count` consecutive free ports below Linux's ephemeral range (32768-60999), as `make run`'s 8000
    and 5005-5006 are: a server restarted on a port from that range can find it taken as the local port of some
    outgoing connection in the meantime (EADDRINUSE), which the default ports never meet."""
    for _ in range(200):
        first = random.randrange(20000, 32000 - count)
        try:
            for port in range(first, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports")


class Citizen:
    def __init__(self, url: str) -> None:
        self.url, self.sender_id = url, ""

    def send(self, text: str, timeout: float = 60) -> httpx.Response:
        body = {"text": text, **({"sender_id": self.sender_id} if self.sender_id else {})}
        response = httpx.post(self.url + "/api/chat", json=body, timeout=timeout)
        if response.status_code == 200:
            self.sender_id = response.json()["sender_id"]
        return response

    def say(self, text: str) -> list[dict]:
        response = self.send(text)
        assert response.status_code == 200, response.text
        return response.json()["messages"]

    @property
    def server(self) -> int:
        """The Rasa server this conversation is pinned to: the gateway's own rule (channels/dialogue.py)."""
        dialogue = RasaDialogue("http://127.0.0.1:1,http://127.0.0.1:2", timeout=1)
        try:
            return dialogue.servers_for(f"web:{self.sender_id}")[0]
        finally:
            asyncio.run(dialogue.close())


def answered(messages: list[dict]) -> bool:
    return bool(messages) and messages[0]["text"] != UNAVAILABLE_REPLY and bool(messages[0]["procedure_codes"])


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    running = Runner(tmp_path_factory.mktemp("runner"))
    try:
        started = time.monotonic()
        def up_or_gone() -> bool:
            # The runner's own "ready" line: it supervises from then on (a gateway answering /health is not enough:
            # a process killed while the runner still waits for the others is a failed start, not a crash).
            return running.process.poll() is not None or "Press Ctrl-C to stop." in running.log()
        wait_for(up_or_gone, timeout=300, interval=1)
        health = running.health("/health")
        assert health is not None and health.status_code == 200, running.log()[-4000:]
        assert running.process.poll() is None, running.log()[-4000:]
        wait_for(running.state_file.exists, timeout=10)
        running.processes()
        print(f"\n[supervisor] `make run` stack healthy after {time.monotonic() - started:.1f} s")
        yield running
    except BaseException:
        print(running.log()[-4000:])
        raise
    finally:
        running.stop()


def restart_logged(runner: Runner, name: str) -> str:
    """The runner logged the kill of `name`, its restart 1 s later and, within 10 s, when it answered again (it looks
    twice a second): the seconds it says that took."""
    back = wait_for(lambda: re.search(rf"{name} is answering again, ([\d.]+) s after it stopped", runner.log()),
                    timeout=10)
    log = runner.log()
    assert f"{name} stopped unexpectedly (exit code -9 (SIGKILL)); restarting it in 1 s" in log
    assert "Traceback" not in log
    return back.group(1)


def test_kill_9_one_rasa_server_the_stack_stays_up_and_its_conversations_go_on(runner: Runner) -> None:
    pinned: dict[int, Citizen] = {}
    while len(pinned) < 2:                                         # one conversation on each server
        citizen = Citizen(runner.url)
        citizen.say("xin chào")
        pinned.setdefault(citizen.server, citizen)
    on_victim, elsewhere = pinned[1], pinned[0]                    # rasa-2 is the second server
    for citizen in (on_victim, elsewhere):
        assert citizen.say("đăng ký khai sinh cần giấy tờ gì")[0]["procedure_codes"][0] == BIRTH

    os.kill(runner.pid("rasa-2"), signal.SIGKILL)
    killed = time.monotonic()
    ready = wait_for(lambda: (r := runner.health("/health/ready")) is not None and r.json()["status"] == "degraded"
                     and r, timeout=10)
    assert ready.status_code == 200 and ready.json()["degraded"] == ["rasa"]

    fee = on_victim.say("còn lệ phí thì sao")       # the other server, from the shared tracker store: same context
    answered_after = time.monotonic() - killed
    assert fee[0]["procedure_codes"] == [BIRTH] and "miễn phí" in fee[0]["text"].lower()
    assert runner.health("/health/ready").json()["status"] == "degraded"          # answered while rasa-2 was down
    assert answered(elsewhere.say("lệ phí làm hộ chiếu bao nhiêu"))               # never noticed

    for _ in range(3):                                 # a few more turns each while rasa-2 loads its model
        assert answered(elsewhere.say("lệ phí làm hộ chiếu bao nhiêu"))
        assert answered(on_victim.say("lệ phí làm hộ chiếu bao nhiêu"))
    assert runner.health("/health/ready").json()["status"] == "degraded"
    wait_for(lambda: (health := runner.health("/health")) is not None and health.status_code == 200,
             timeout=180, interval=0.5)
    recovered = time.monotonic() - killed
    assert runner.processes()["rasa-2"]["restarts"] == 1 and runner.processes()["rasa"]["restarts"] == 0
    assert runner.metric("tthc_process_restarts_total", "rasa-2") == 1
    assert runner.metric("tthc_process_restarts_total", "gateway") == 0
    assert runner.health("/health/ready").json()["status"] == "ready"
    assert answered(on_victim.say("lệ phí làm hộ chiếu bao nhiêu"))               # back on its own server
    back = restart_logged(runner, "rasa-2")
    print(f"\n[supervisor] rasa-2 killed: its conversation answered by the other server after {answered_after:.2f} s; "
          f"rasa-2 answering again after {back} s (runner's log), /health 200 again after {recovered:.1f} s")


def test_kill_9_the_gateway_it_is_back_within_seconds_and_web_sessions_still_work(runner: Runner) -> None:
    citizen = Citizen(runner.url)
    assert citizen.say("đăng ký khai sinh cần giấy tờ gì")[0]["procedure_codes"][0] == BIRTH
    os.kill(runner.pid("gateway"), signal.SIGKILL)
    killed = time.monotonic()

    def follow_up() -> httpx.Response | None:
        try:
            return citizen.send("còn lệ phí thì sao", timeout=30)
        except httpx.HTTPError:                                    # refused while the gateway starts again
            return None
    fee = wait_for(follow_up, timeout=120, interval=0.2)
    back_after = time.monotonic() - killed
    assert fee.status_code == 200, fee.text                       # the server-issued id is still accepted
    first = fee.json()["messages"][0]
    assert first["procedure_codes"] == [BIRTH] and "miễn phí" in first["text"].lower()
    assert httpx.get(f"{runner.url}/api/chat/{citizen.sender_id}/messages", timeout=10).status_code == 200
    assert runner.metric("tthc_process_restarts_total", "gateway") == 1
    assert runner.metric("tthc_process_restarts_total", "rasa-2") == 1             # kept across the gateway's restart
    back = restart_logged(runner, "gateway")
    print(f"\n[supervisor] gateway killed: the conversation answered again after {back_after:.1f} s "
          f"(runner's log: answering after {back} s)")


def test_five_crashes_in_a_minute_stop_the_stack_with_a_message_naming_the_process(runner: Runner) -> None:
    started = time.monotonic()
    for crash_number in range(1, 6):
        pid = runner.pid("rasa")
        os.kill(pid, signal.SIGKILL)
        if crash_number < 5:
            wait_for(lambda: runner.processes()["rasa"]["pid"] != pid and runner.processes()["rasa"]["running"],
                     timeout=30, interval=0.1)
    assert runner.process.wait(timeout=60) == 1
    log = runner.log()
    assert re.search(r"rasa stopped unexpectedly 5 times within 60 s \(last: exit code -9 \(SIGKILL\)\); not "
                     r"restarting it \(its log: .*rasa\.log\); stopping the stack\.", log), log[-3000:]
    assert not runner.state_file.exists()
    with pytest.raises(httpx.HTTPError):
        httpx.get(runner.url + "/health/live", timeout=5)                           # the gateway went with it
    for pid in runner.known_pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    print(f"\n[supervisor] five crashes of rasa: the stack stopped {time.monotonic() - started:.1f} s after the first")
