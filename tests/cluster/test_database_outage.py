"""PostgreSQL unreachable under the real gateway (a relay between them is cut, the server itself keeps running
for everyone else): requests get a clear Vietnamese 503, readiness says which part fails, the process stays up,
and service resumes by itself once the database is back."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import httpx
import pytest

from channels.app import DATABASE_UNAVAILABLE, create_app
from scripts.cluster import scratch_database
from settings import SETTINGS
from tests.fakes.app import RunningApp
from tests.fakes.server import wait_for
from tests.fakes.tcp_proxy import CuttableProxy


@pytest.fixture(scope="module")
def outage() -> Iterator[tuple[RunningApp, CuttableProxy]]:
    proxy = CuttableProxy(5432)
    proxy.start()
    with scratch_database() as url:
        relayed = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        settings = replace(SETTINGS, database_url=relayed, rasa_url="http://127.0.0.1:9", rasa_timeout=1.0,
                           telegram=replace(SETTINGS.telegram, bot_token=""),
                           zalo=replace(SETTINGS.zalo, app_id=""))
        with RunningApp(create_app(settings)) as running:
            yield running, proxy
        proxy.cut()


def test_postgresql_unreachable_is_a_clear_503_and_service_resumes_by_itself(outage) -> None:
    running, proxy = outage
    with httpx.Client(base_url=running.url, timeout=30) as client:
        first = client.post("/api/chat", json={"text": "đăng ký khai sinh cần giấy tờ gì"})
        assert first.status_code == 200                          # Rasa is absent: the polite reply, logged
        sender = first.json()["sender_id"]

        proxy.cut()
        down = client.post("/api/chat", json={"text": "lệ phí bao nhiêu", "sender_id": sender})
        assert down.status_code == 503 and down.json() == {"detail": DATABASE_UNAVAILABLE}
        assert down.headers["Retry-After"] == "30"
        ready = client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["failing"] == ["database"]
        assert client.get("/health/live").status_code == 200      # alive: an orchestrator must not kill it

        proxy.start()
        back = wait_for(lambda: client.post("/api/chat", json={"text": "lệ phí bao nhiêu", "sender_id": sender})
                        if client.get("/health/ready").status_code == 200 else None, timeout=30)
        assert back.status_code == 200 and back.json()["sender_id"] == sender   # the same conversation goes on


def test_redis_unreachable_the_gateway_falls_back_and_says_it_is_degraded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.redis_server import OwnRedis

    redis_server = OwnRedis(tmp_path)
    redis_server.start()
    settings = replace(SETTINGS, database_url=f"sqlite:///{tmp_path / 'gateway.db'}", redis_url=redis_server.url,
                       rasa_url="http://127.0.0.1:9", rasa_timeout=1.0, chat_rate_per_minute=3,
                       telegram=replace(SETTINGS.telegram, bot_token=""), zalo=replace(SETTINGS.zalo, app_id=""))
    try:
        with RunningApp(create_app(settings)) as running, httpx.Client(base_url=running.url, timeout=30) as client:
            first = client.post("/api/chat", json={"text": "xin chào"})
            assert first.status_code == 200
            sender = first.json()["sender_id"]
            assert client.get("/health/ready").json() == {"status": "degraded", "failing": [], "degraded": ["rasa"]}

            redis_server.stop()
            statuses = [client.post("/api/chat", json={"text": "xin chào", "sender_id": sender}).status_code
                        for _ in range(4)]
            assert statuses == [200, 200, 200, 429]         # limits still hold, counted by this instance alone
            ready = client.get("/health/ready")
            assert ready.status_code == 200 and ready.json()["degraded"] == ["rasa", "redis"]
            assert "tthc_redis_available 0.0" in client.get("/metrics").text
    finally:
        redis_server.stop()
