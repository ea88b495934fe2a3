"""The action endpoint (`/webhook`, where Rasa runs the custom actions) when an action raises: Rasa still gets a
valid reply carrying the polite failure text for the citizen, the log names the action and the exception type but
never the exception's message, and the next call is answered normally."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from channels.action_server import ACTION_FAILED_TEXT
from channels.request_id import HEADER
from replies.model import Reply
from replies.text import reply_text
from tests.channels.test_request_id import Lines, fresh_id, lines  # noqa: F401  (fixture)
from tests.fakes.app import RunningApp
from dataclasses import replace

TRACKER = Path(__file__).parents[1] / "actions" / "fixtures" / "ask_birth_documents.json"
SECRET = "Nguyễn Văn An 0912345678"


def action_call() -> dict:
    """What Rasa 3.6 posts to the action endpoint for this turn."""
    tracker = json.loads(TRACKER.read_text(encoding="utf-8"))
    return {"next_action": "action_answer_procedure", "sender_id": tracker["sender_id"], "tracker": tracker,
            "domain": {}, "version": "3.6.21"}


def call(client: httpx.Client, gateway_app: RunningApp, request_id: str) -> httpx.Response:
    token = gateway_app.app.state.services.settings.action_token
    return client.post("/webhook", params={"token": token}, json=action_call(), headers={HEADER: request_id})


def replies_of(response: httpx.Response) -> list[Reply]:
    return [Reply.model_validate(r["custom"]) for r in response.json()["responses"]]


def test_an_action_that_raises_is_answered_politely_and_logged_without_its_message(
        client: httpx.Client, gateway_app: RunningApp, lines: Lines, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_args: object, **_kwargs: object) -> list:
        raise RuntimeError(f"lookup failed for {SECRET}")

    monkeypatch.setitem(gateway_app.app.state.services.actions.actions, "action_answer_procedure", broken)
    request_id = fresh_id("action")
    response = call(client, gateway_app, request_id)
    assert response.status_code == 200
    assert response.json()["events"] == []
    assert replies_of(response) == [Reply.plain(ACTION_FAILED_TEXT)]
    [failed] = [line for line in lines.of(request_id) if line["msg"].startswith("Action ")]
    assert failed["level"] == "ERROR" and failed["msg"] == "Action action_answer_procedure failed: RuntimeError"
    assert SECRET not in json.dumps(lines.lines, ensure_ascii=False)

    monkeypatch.undo()                                       # the action works again: so does the endpoint
    answered = call(client, gateway_app, fresh_id("action"))
    assert answered.status_code == 200
    replies = replies_of(answered)
    assert "1.001193" in replies[0].procedure_codes
    assert not any(ACTION_FAILED_TEXT in reply_text(reply) for reply in replies)


@pytest.mark.parametrize("given", [None, "", "forged"])
def test_with_no_action_token_configured_the_endpoint_refuses_every_caller(
        client: httpx.Client, gateway_app: RunningApp, monkeypatch: pytest.MonkeyPatch, given: str | None) -> None:
    services = gateway_app.services
    monkeypatch.setattr(services, "settings", replace(services.settings, action_token=""))   # TTHC_ACTION_TOKEN unset
    params = {} if given is None else {"token": given}
    response = client.post("/webhook", params=params, json=action_call())
    assert response.status_code == 401
    assert client.get("/actions", params=params).status_code == 401


def test_the_configured_action_token_is_required(client: httpx.Client, gateway_app: RunningApp) -> None:
    assert client.post("/webhook", params={"token": "forged"}, json=action_call()).status_code == 401
    assert client.get("/actions", params={"token": gateway_app.services.settings.action_token}).status_code == 200
