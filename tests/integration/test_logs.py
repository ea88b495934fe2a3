"""The gateway's log file with the real Rasa server: one chat message's request id on the line where it comes in,
on the action endpoint's lines (Rasa called back with the id it was given in the message metadata) and on the
lines where the reply goes out; the message's words, the conversation id and the tokens nowhere in the gateway's
or Rasa's logs."""
from __future__ import annotations

import json
import uuid

import httpx

from channels.request_id import HEADER
from scripts.stack import Stack
from tests.fakes.server import wait_for
from tests.integration.conftest import ADMIN_TOKEN, STAFF_ADMIN

BIRTH = "1.001193"


def gateway_lines(stack: Stack) -> list[dict]:
    """Every JSON line of the gateway's log (uvicorn's few start-up lines before the app configures logging are
    plain text)."""
    text = stack.log_paths["gateway"].read_text(encoding="utf-8", errors="replace")
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_one_request_id_follows_a_message_through_rasa_and_the_action_and_back(stack: Stack) -> None:
    request_id = f"it-{uuid.uuid4().hex[:16]}"
    words = f"đăng ký khai sinh cho con của Lê Thị Hoa cần giấy tờ gì {uuid.uuid4().int % 10**6}"
    response = httpx.post(stack.config.app_url + "/api/chat", json={"text": words},
                          headers={HEADER: request_id}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers[HEADER] == request_id
    body = response.json()
    assert body["messages"][0]["procedure_codes"][0] == BIRTH          # the action answered

    def mine() -> list[dict]:
        found = [line for line in gateway_lines(stack) if line.get("request_id") == request_id]
        return found if any(line["msg"] == "request done" and line["route"] == "/api/chat" for line in found) \
            else []
    lines = wait_for(mine, timeout=10)
    said = [(line["logger"], line["msg"]) for line in lines]
    entry = said.index(("channels.conversation", "message in"))
    action = said.index(("channels.action_server", "action done"))
    out = said.index(("channels.conversation", "replies out"))
    done = next(n for n, line in enumerate(lines) if line["msg"] == "request done" and line["route"] == "/api/chat")
    assert entry < action < out < done and lines[done]["status"] == 200
    assert lines[entry]["channel"] == "web" and lines[entry]["chars"] == len(words)
    assert lines[action]["action"] == "action_answer_procedure" and lines[action]["responses"] >= 1
    webhook = [line for line in lines if line["msg"] == "request done" and line["route"] == "/webhook"]
    assert webhook and all(line["status"] == 200 for line in webhook)        # Rasa's call into the action endpoint
    assert lines[out]["channel"] == "web" and lines[out]["replies"] >= 1
    tracker = httpx.get(f"{stack.config.rasa_url}/conversations/web:{body['sender_id']}/tracker",
                        params={"token": stack.config.rasa_token}, timeout=10).json()
    user_events = [e for e in tracker["events"] if e["event"] == "user"]
    assert user_events[-1]["metadata"]["request_id"] == request_id

    log = "".join(path.read_text(encoding="utf-8", errors="replace") for path in stack.log_paths.values())
    for secret in (words, "Lê Thị Hoa", body["sender_id"], stack.config.rasa_token, stack.config.action_token,
                   ADMIN_TOKEN, STAFF_ADMIN[1]):
        assert secret not in log


def test_without_a_usable_id_the_gateway_makes_one(stack: Stack) -> None:
    response = httpx.post(stack.config.app_url + "/api/chat", json={"text": "xin chào"},
                          headers={HEADER: "no good"}, timeout=60)
    made = response.headers[HEADER]
    assert len(made) == 16 and int(made, 16) >= 0
    wait_for(lambda: [line for line in gateway_lines(stack)
                      if line.get("request_id") == made and line["msg"] == "replies out"], timeout=10)


def test_rasa_servers_started_together_log_no_error(stack: Stack) -> None:
    """They share one tracker store and race to create its tables: the loser retries instead of logging an error."""
    rasa_logs = {name: path.read_text(encoding="utf-8", errors="replace")
                 for name, path in stack.log_paths.items() if name.startswith("rasa")}
    assert len(rasa_logs) == len(stack.config.ports_of_rasa) >= 2
    for name, log in rasa_logs.items():
        assert "Rasa server is up and running" in log, name
        assert "Could not create tables" not in log, name
