"""Several Rasa servers behind one gateway (`TTHC_RASA_URL` with commas, as `make run` starts two): each
conversation always reaches the same server, conversations spread over all of them, and health needs them all.
The servers are small recording stand-ins speaking Rasa's REST shapes."""
from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from fastapi import FastAPI, Request

from channels.dialogue import DialogueUnavailable, RasaDialogue
from tests.fakes.server import ServerThread, free_port


class RecordingRasa:
    def __init__(self, name: str) -> None:
        self.name = name
        self.senders: list[str] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/rest/webhook")
        async def message(request: Request) -> list[dict]:
            body = await request.json()
            self.senders.append(body["sender"])
            return [{"recipient_id": body["sender"], "text": f"{self.name} trả lời"}]

        @app.get("/status")
        async def status() -> dict:
            return {"model_id": "m1"}
        return app


def test_a_conversation_always_reaches_the_same_server_and_conversations_spread() -> None:
    one, two = RecordingRasa("một"), RecordingRasa("hai")
    with ServerThread(one.app()) as first, ServerThread(two.app()) as second:
        async def scenario() -> dict[str, set[str]]:
            dialogue = RasaDialogue(f"{first.url}, {second.url}", timeout=10)
            answered_by: dict[str, set[str]] = defaultdict(set)
            for turn in range(3):
                for n in range(20):
                    replies = await dialogue.send(f"web:citizen-{n}", f"câu {turn}", "web")
                    answered_by[f"web:citizen-{n}"].add(replies[0].blocks[0].text)
            assert await dialogue.status() == {"model_id": "m1", "servers": 2}
            await dialogue.close()
            return answered_by
        answered_by = asyncio.run(scenario())
    assert all(len(servers) == 1 for servers in answered_by.values())       # never split between servers
    assert len(one.senders) == 3 * len(set(one.senders)) and len(two.senders) == 3 * len(set(two.senders))
    assert set(one.senders).isdisjoint(two.senders) and len(set(one.senders)) >= 5 and len(set(two.senders)) >= 5


def test_health_needs_every_server() -> None:
    one = RecordingRasa("một")
    with ServerThread(one.app()) as first:
        async def scenario() -> None:
            dialogue = RasaDialogue(f"{first.url},http://127.0.0.1:{free_port()}", timeout=2)
            with pytest.raises(DialogueUnavailable):
                await dialogue.status()
            await dialogue.close()
        asyncio.run(scenario())
