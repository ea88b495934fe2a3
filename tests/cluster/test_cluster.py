"""The production layout on this machine (`make run-cluster`): nginx, 2 gateways and 2 Rasa servers, state in a
scratch PostgreSQL database and Redis. What must hold across instances: one conversation served by both,
sessions, rate limits, an officer's reply reaching a stream held by the other gateway, a taught example used by
the other gateway; and one gateway killed under load fails only the requests it held."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from typing import Iterator

import httpx
import pytest
import redis

from scripts.cluster import Cluster, ClusterConfig, scratch_database
from scripts.processes import RestartPolicy, Supervisor, answers, free_port
from tests.fakes.server import wait_for

REDIS_TEST_URL = "redis://127.0.0.1:6379/7"
STAFF_ADMIN = ("cluster.admin", "cluster-admin-password")
RATE_PER_MINUTE = 20


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    scratch_redis = redis.Redis.from_url(REDIS_TEST_URL)
    scratch_redis.flushdb()
    data = tmp_path_factory.mktemp("cluster")
    env = {"TTHC_CHAT_RATE_PER_MINUTE": str(RATE_PER_MINUTE), "TTHC_STAFF_ADMIN_USER": STAFF_ADMIN[0],
           "TTHC_STAFF_ADMIN_PASSWORD": STAFF_ADMIN[1], "TTHC_OFFICE_HOURS": "Mon-Sun 00:00-23:59"}
    with scratch_database() as database:
        running = Cluster(ClusterConfig(port=free_port(), data_dir=data, database_url=database,
                                        redis_url=REDIS_TEST_URL, env=env))
        try:
            running.start()
            running.wait_healthy()
        except BaseException:
            running.stop()
            for path in running.group.log_paths.values():
                print(f"--- {path}\n" + path.read_text(errors="replace")[-3000:])
            raise
        yield running
        running.stop()
    scratch_redis.flushdb()


class Citizen:
    """One web chat conversation; each message can go to a chosen gateway, from its own (forwarded) address."""

    def __init__(self, cluster: Cluster, address: str) -> None:
        self.cluster = cluster
        self.headers = {"X-Forwarded-For": address}        # trusted from 127.0.0.1: the gateways sit behind nginx
        self.sender_id: str | None = None

    def say(self, text: str, gateway: int) -> httpx.Response:
        body = {"text": text, **({"sender_id": self.sender_id} if self.sender_id else {})}
        response = httpx.post(self.cluster.gateway_url(gateway) + "/api/chat", json=body, headers=self.headers,
                              timeout=60)
        if response.status_code == 200:
            self.sender_id = response.json()["sender_id"]
        return response


def staff(cluster: Cluster, gateway: int) -> httpx.Client:
    client = httpx.Client(base_url=cluster.gateway_url(gateway), timeout=30,
                          headers={"X-Forwarded-For": "10.9.9.9"})
    login = client.post("/api/staff/login", json={"username": STAFF_ADMIN[0], "password": STAFF_ADMIN[1]})
    assert login.status_code == 200, login.text
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return client


def test_one_conversation_is_served_by_both_gateways_and_both_rasa_servers(cluster: Cluster) -> None:
    citizen = Citizen(cluster, "10.0.0.1")
    first = citizen.say("đăng ký khai sinh cần giấy tờ gì", gateway=1)
    assert first.status_code == 200 and first.json()["messages"][0]["procedure_codes"][0] == "1.001193"
    follow_up = citizen.say("còn lệ phí thì sao", gateway=2)          # session and dialogue state are shared
    assert follow_up.status_code == 200
    fee = follow_up.json()["messages"][0]
    assert fee["procedure_codes"] == ["1.001193"] and "miễn phí" in fee["text"].lower()
    through_nginx = httpx.post(cluster.config.url + "/api/chat", json={"text": "xin chào"}, timeout=60)
    assert through_nginx.status_code == 200
    assert httpx.post(cluster.config.url + "/webhook", json={}, timeout=10).status_code == 404   # internal only


def test_the_rate_limit_holds_across_gateways(cluster: Cluster) -> None:
    citizen = Citizen(cluster, "10.0.0.2")
    # The first message opens the conversation; the next RATE_PER_MINUTE are counted against it, on both gateways.
    statuses = [citizen.say(f"xin chào {n}", gateway=1 + n % 2).status_code for n in range(RATE_PER_MINUTE + 2)]
    assert statuses == [200] * (RATE_PER_MINUTE + 1) + [429]


def read_stream(url: str, found: list[str], stop: threading.Event) -> None:
    with httpx.stream("GET", url, timeout=httpx.Timeout(60, read=60)) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                found.append(json.loads(line[6:])["text"])
            if stop.is_set():
                return


def test_an_officer_reply_reaches_a_stream_held_by_the_other_gateway_at_once(cluster: Cluster) -> None:
    officer = staff(cluster, gateway=1)
    officer.get("/api/staff/handoffs")                               # an officer is online
    citizen = Citizen(cluster, "10.0.0.3")
    assert "vị trí số" in citizen.say("cho tôi gặp cán bộ", gateway=2).json()["messages"][0]["text"]
    found: list[str] = []
    stop = threading.Event()
    url = f"{cluster.gateway_url(2)}/api/chat/{citizen.sender_id}/events"
    threading.Thread(target=read_stream, args=(url, found, stop), daemon=True).start()
    handoff = next(h for h in officer.get("/api/staff/handoffs").json() if h["status"] == "waiting")
    assert officer.post(f"/api/staff/handoffs/{handoff['id']}/claim").status_code == 200
    wait_for(lambda: found, timeout=10)                              # the "officer joined" notice
    sent_at = time.monotonic()
    assert officer.post(f"/api/staff/handoffs/{handoff['id']}/messages",
                        json={"text": "Chào anh/chị, tôi là cán bộ một cửa."}).status_code == 201
    wait_for(lambda: any("tôi là cán bộ một cửa" in text for text in found), timeout=10)
    # The stream on gateway 2 re-reads the outbox every 15 s by itself; the bus wakes it at once.
    assert time.monotonic() - sent_at < 3
    stop.set()
    officer.post(f"/api/staff/handoffs/{handoff['id']}/release")
    officer.close()


def test_an_example_taught_on_one_gateway_is_used_by_the_other(cluster: Cluster) -> None:
    question = "giấy tờ để xin cấp lại thẻ bảo hiểm y tế khi bị rách nát"
    citizen = Citizen(cluster, "10.0.0.4")
    before = citizen.say(question, gateway=2).json()["messages"][0].get("procedure_codes") or []
    officer = staff(cluster, gateway=1)
    target = "1.001193" if (before[:1] != ["1.001193"]) else "1.000894"
    taught = officer.post("/api/staff/examples", json={"question": question, "codes": [target]})
    assert taught.status_code == 201, taught.text

    def answered_on_two() -> bool:
        reply = Citizen(cluster, "10.0.0.5").say(question, gateway=2).json()["messages"][0]
        return reply.get("procedure_codes", [])[:1] == [target]
    wait_for(answered_on_two, timeout=10, interval=0.5)
    assert officer.delete(f"/api/staff/examples/{taught.json()['id']}").status_code == 204
    officer.close()


def test_a_gateway_killed_under_load_fails_only_requests_in_flight(cluster: Cluster) -> None:
    results: list[tuple[float, int]] = []                            # (sent at, status or 0 for a failure)
    stop = threading.Event()

    def citizen_loop(n: int) -> None:
        with httpx.Client(base_url=cluster.config.url, timeout=30, headers={"X-Forwarded-For": f"10.1.0.{n}"}) as c:
            while not stop.is_set():
                sent = time.monotonic()
                try:
                    status = c.post("/api/chat", json={"text": "lệ phí làm hộ chiếu bao nhiêu"}).status_code
                except httpx.HTTPError:
                    status = 0
                results.append((sent, status))
                time.sleep(0.2)

    # Fresh addresses stay under the per-address limit: each sends about 5 a second for a few seconds only.
    workers = [threading.Thread(target=citizen_loop, args=(n,), daemon=True) for n in range(4)]
    for w in workers:
        w.start()
    time.sleep(3)
    killed_at = time.monotonic()
    cluster.kill("gateway-1")
    time.sleep(4)
    stop.set()
    for w in workers:
        w.join(timeout=30)
    try:
        failed = [(sent, status) for sent, status in results if status != 200]
        after_kill = [status for sent, status in results if sent > killed_at + 0.5]
        assert len(results) > 20
        assert len(failed) <= len(workers)                   # at most the requests each citizen had in flight
        assert after_kill and all(status == 200 for status in after_kill)   # nginx sends the rest to gateway 2
    finally:
        cluster.restart("gateway-1")


def test_the_runner_restarts_a_killed_nginx_and_gateway_and_the_metrics_count_it(cluster: Cluster) -> None:
    """`make run-cluster` supervises its processes as `make run` does (scripts/processes.py `Supervisor`, here in a
    thread over the running cluster): nginx killed with its workers left behind, and a gateway, come back."""
    supervisor, stop = Supervisor(cluster.group, RestartPolicy(), cluster.supervisor_state), threading.Event()
    watching = threading.Thread(target=supervisor.run, args=(stop, 0.2), daemon=True)
    watching.start()
    try:
        wait_for(cluster.supervisor_state.exists, timeout=10)
        killed = time.monotonic()
        for name in ("nginx", "gateway-1"):
            os.kill(cluster.group.processes[name].pid, signal.SIGKILL)     # the master only: a crash

        def served() -> bool:
            try:
                return httpx.post(cluster.config.url + "/api/chat", json={"text": "xin chào"}, timeout=30,
                                  headers={"X-Forwarded-For": "10.2.0.1"}).status_code == 200
            except httpx.HTTPError:
                return False
        def restarted(name: str) -> bool:
            state = json.loads(cluster.supervisor_state.read_text(encoding="utf-8"))["processes"][name]
            return state["restarts"] == 1 and state["running"]
        wait_for(lambda: restarted("nginx"), timeout=30, interval=0.2)    # its old workers cleared away too
        wait_for(served, timeout=60, interval=0.2)
        nginx_back = time.monotonic() - killed
        wait_for(lambda: answers(cluster.gateway_url(1) + "/health/ready")[0], timeout=120, interval=0.5)
        gateway_back = time.monotonic() - killed
        scrape = httpx.get(cluster.gateway_url(2) + "/metrics", timeout=10).text
        for name, count in (("nginx", 1), ("gateway-1", 1), ("gateway-2", 0), ("rasa-1", 0)):
            assert f'tthc_process_restarts_total{{process="{name}"}} {count:.1f}' in scrape
        print(f"\n[cluster] killed nginx and gateway-1: served through nginx again after {nginx_back:.1f} s, "
              f"gateway-1 ready after {gateway_back:.1f} s")
    finally:
        stop.set()
        watching.join(timeout=10)
        supervisor.close()


def test_no_token_or_password_reaches_any_log_of_the_cluster(cluster: Cluster) -> None:
    secrets = [cluster.config.rasa_token, cluster.config.action_token, STAFF_ADMIN[1]]
    logs = {path.name: path.read_text(errors="replace") for path in cluster.group.log_paths.values()}
    nginx_errors = cluster.group.log_dir / "nginx-error.log"
    if nginx_errors.exists():
        logs[nginx_errors.name] = nginx_errors.read_text(errors="replace")
    assert set(logs) >= {"gateway-1.log", "gateway-2.log", "rasa-1.log", "rasa-2.log"}
    assert not [(name, s[:4]) for name, text in logs.items() for s in secrets if s in text]
