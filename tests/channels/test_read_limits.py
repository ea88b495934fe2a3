"""Limits on what a stranger can read without sending a message: the web chat's poll and event-stream routes (per
conversation strict, per address high) and the procedure search (per address); open streams per conversation."""
from __future__ import annotations

from contextlib import ExitStack
from typing import Iterator

import httpx
import pytest

from channels.services import ChatLimits, OpenStreams
from channels.web.routes import TOO_MANY_READS, TOO_MANY_STREAMS
from tests.fakes.app import RunningApp
from tests.fakes.server import wait_for

READS = 3                                   # per conversation and minute; the address gets ten times as many


@pytest.fixture
def tight(gateway_app: RunningApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatLimits]:
    """Small limits for this test only (the session's app is shared by every test, all from 127.0.0.1)."""
    limits = ChatLimits.per_minute(30, None, reads=READS)
    monkeypatch.setattr(gateway_app.services, "chat_limits", limits)
    yield limits


def session(app: RunningApp) -> str:
    """A web conversation as POST /api/chat starts it (without waiting for the dialogue)."""
    return app.call(app.services.web_sessions.start)


def refused(response: httpx.Response, reason: str) -> bool:
    return response.status_code == 429 and response.json()["detail"] == reason and \
        response.headers["Retry-After"] == "60"


def test_polling_is_limited_per_conversation_and_per_address(client: httpx.Client, gateway_app: RunningApp,
                                                             tight: ChatLimits) -> None:
    first = session(gateway_app)
    for _ in range(READS):
        assert client.get(f"/api/chat/{first}/messages").status_code == 200
    assert refused(client.get(f"/api/chat/{first}/messages"), TOO_MANY_READS)
    others = [session(gateway_app) for _ in range(ChatLimits.READS_ADDRESS_FACTOR)]
    served = [client.get(f"/api/chat/{s}/messages").status_code for s in others for _ in range(READS)]
    assert served.count(429) == len(served) - (READS * ChatLimits.READS_ADDRESS_FACTOR - READS)  # the address's share


def test_searching_is_limited_per_address(client: httpx.Client, tight: ChatLimits) -> None:
    codes = [client.get("/api/procedures/search", params={"q": "khai sinh"}).status_code
             for _ in range(READS * ChatLimits.READS_ADDRESS_FACTOR + 1)]
    assert codes[:-1] == [200] * (READS * ChatLimits.READS_ADDRESS_FACTOR) and codes[-1] == 429


def test_a_conversation_holds_a_few_event_streams_at_most(client: httpx.Client, gateway_app: RunningApp) -> None:
    sender = session(gateway_app)
    with ExitStack() as streams:
        for _ in range(OpenStreams.PER_CONVERSATION):
            opened = streams.enter_context(client.stream("GET", f"/api/chat/{sender}/events"))
            assert opened.status_code == 200
        assert refused(client.get(f"/api/chat/{sender}/events"), TOO_MANY_STREAMS)
        other = session(gateway_app)                                      # another conversation is not affected
        with client.stream("GET", f"/api/chat/{other}/events") as response:
            assert response.status_code == 200

    def reopens() -> bool:                                               # closed streams no longer count
        with client.stream("GET", f"/api/chat/{sender}/events") as response:
            return response.status_code == 200
    assert wait_for(reopens, timeout=20, interval=0.5)
