"""Structured log lines and the request id, without a running gateway: the formatter and filter, logging's
set-up and tear-down, the request-id middleware, and how the id reaches background tasks, Telegram updates, Rasa's
message metadata and back from an action call."""
from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from starlette.testclient import TestClient

from channels.action_server import message_request_id
from channels.background import BackgroundTasks
from channels.dialogue import RasaDialogue
from channels.logs import StderrHandler, configure_logging, make_handler
from channels.request_id import (HEADER, IdHandoff, RequestContext, accepted, bind_request_id, bind_telegram_update,
                                 current_request_id, telegram_updates)
from tests.fakes.server import ServerThread

USER_TEXT = "Nguyễn Văn An 0912345678 hỏi làm lại căn cước"
FRESH = re.compile(r"^[0-9a-f]{16}$")


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[callable]:
    """Logging configured as the gateway does it; yields a function returning the JSON lines written so far."""
    restore = configure_logging("json")
    capsys.readouterr()

    def lines() -> list[dict]:
        raw = capsys.readouterr().err.splitlines()
        return [json.loads(line) for line in raw if line.strip()]        # every line must be one JSON object
    yield lines
    restore()


def in_fresh_context(work):  # type: ignore[no-untyped-def]
    """Run `work()` in a context of its own, as a new request's task would."""
    return contextvars.Context().run(work)


def test_every_line_is_one_json_object_with_the_request_id_and_extra_fields(json_logs) -> None:
    log = logging.getLogger("channels.test")

    def during_request() -> str:
        request_id = bind_request_id("it-abc.DEF_123")
        log.info("message in", extra={"channel": "web", "chars": 12})
        log.warning("two\nlines stay on one")
        return request_id
    request_id = in_fresh_context(during_request)
    in_fresh_context(lambda: log.info("outside any request"))
    first, second, outside = json_logs()[-3:]
    assert request_id == "it-abc.DEF_123"
    assert first["msg"] == "message in" and first["level"] == "INFO" and first["logger"] == "channels.test"
    assert first["request_id"] == request_id and first["channel"] == "web" and first["chars"] == 12
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["ts"])
    assert second["msg"] == "two\nlines stay on one" and second["request_id"] == request_id
    assert "request_id" not in outside


def test_an_exception_is_its_type_and_frames_never_its_message(json_logs, capsys) -> None:
    log = logging.getLogger("channels.test")

    def failing() -> None:
        bind_request_id("req-exc-0001")
        try:
            try:
                {}[USER_TEXT]
            except KeyError as exc:
                raise ValueError(f"không hiểu câu: {USER_TEXT}") from exc
        except ValueError as exc:
            log.error("Action %s failed: %s", "action_answer_procedure", type(exc).__name__, exc_info=exc)
    in_fresh_context(failing)
    lines = json_logs()
    line = lines[-1]
    assert line["request_id"] == "req-exc-0001" and line["msg"] == "Action action_answer_procedure failed: ValueError"
    assert line["exc_type"] == "ValueError" and line["exc_cause"] == "KeyError"
    assert line["exc_at"].startswith("tests/channels/test_logs.py:") and line["exc_at"].endswith("in failing")
    assert line["exc_trace"][-1] == line["exc_at"]
    assert not [entry for entry in lines if USER_TEXT in json.dumps(entry, ensure_ascii=False)]
    assert "0912345678" not in json.dumps(lines) and "Traceback" not in json.dumps(lines)


def test_the_text_format_is_one_readable_line_also_without_the_message_of_an_exception(capsys) -> None:
    restore = configure_logging("text")
    capsys.readouterr()
    try:
        def failing() -> None:
            bind_request_id("req-text-001")
            try:
                raise RuntimeError(USER_TEXT)
            except RuntimeError:
                logging.getLogger("channels.test").exception("lookup failed", extra={"channel": "zalo"})
        in_fresh_context(failing)
    finally:
        restore()
    [line] = [line for line in capsys.readouterr().err.splitlines() if "lookup failed" in line]
    assert re.match(r"^\S+Z ERROR +channels\.test \[req-text-001\] lookup failed channel=zalo exc_type=RuntimeError"
                    r' exc_at="tests/channels/test_logs.py:\d+ in failing" trace=', line)
    assert USER_TEXT not in line


def test_an_unknown_format_is_refused_and_the_configuration_is_put_back() -> None:
    with pytest.raises(ValueError, match="TTHC_LOG_FORMAT"):
        make_handler("yaml")
    root, httpx_logger = logging.getLogger(), logging.getLogger("httpx")

    def state() -> tuple:
        return root.level, set(root.handlers), httpx_logger.level

    def ours() -> list[logging.Handler]:
        return [h for h in root.handlers if isinstance(h, StderrHandler)]
    before, others = state(), [h for h in root.handlers if not isinstance(h, StderrHandler)]
    restore = configure_logging("json")
    configured = ours()
    assert len(configured) == 1 and root.level == logging.INFO and configured[0] not in before[1]
    assert [h for h in root.handlers if h not in configured] == others          # pytest's own stay
    assert httpx_logger.getEffectiveLevel() >= logging.WARNING    # httpx logs URLs (Telegram's carry the bot token)
    again = configure_logging("text")                      # a second app in one process, or a test: replaced
    assert len(ours()) == 1 and ours() != configured
    restore()                                                         # replaced: does nothing
    assert len(ours()) == 1 and ours() != configured
    again()                                                           # puts back what it found
    assert ours() == configured and root.level == logging.INFO
    restore()
    assert state() == before


@pytest.mark.parametrize("given, kept", [("abcdefgh", True), ("A1.b2_c3-d4", True), ("x" * 64, True),
                                         ("short", False), ("x" * 65, False), ("has space1", False),
                                         ("new\nline-injection", False), ('{"json":1}', False), ("ünïcode-id", False),
                                         ("", False)])
def test_only_safe_incoming_ids_are_kept(given: str, kept: bool) -> None:
    assert (accepted(given) == given) is kept
    bound = in_fresh_context(lambda: bind_request_id(given))
    assert bound == given if kept else FRESH.fullmatch(bound)


def middleware_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestContext)

    @app.get("/echo")
    async def echo() -> dict:
        logging.getLogger("channels.test").info("inside")
        return {"request_id": current_request_id()}
    return app


def test_the_middleware_returns_the_id_and_every_line_of_the_request_carries_it(json_logs) -> None:
    with TestClient(middleware_app()) as client:
        kept = client.get("/echo", headers={HEADER: "client-chosen-01"})
        replaced = client.get("/echo", headers={HEADER: "bad id; DROP"})
        fresh = client.get("/echo")
    assert kept.headers[HEADER] == kept.json()["request_id"] == "client-chosen-01"
    assert FRESH.fullmatch(replaced.headers[HEADER]) and replaced.json()["request_id"] == replaced.headers[HEADER]
    assert FRESH.fullmatch(fresh.headers[HEADER]) and fresh.headers[HEADER] != replaced.headers[HEADER]
    lines = [entry for entry in json_logs() if entry["logger"] in ("channels.test", "channels.request_id")]
    mine = [entry for entry in lines if entry.get("request_id") == "client-chosen-01"]
    assert [entry["msg"] for entry in mine] == ["inside", "request done"]
    assert mine[1]["route"] == "/echo" and mine[1]["status"] == 200 and mine[1]["method"] == "GET"
    assert not [entry for entry in lines if "DROP" in json.dumps(entry)]


def test_a_background_task_keeps_the_id_of_the_request_that_spawned_it() -> None:
    seen: list[str | None] = []

    async def work() -> None:
        await asyncio.sleep(0)
        seen.append(current_request_id())

    async def webhook_then_another_request() -> None:
        tasks = BackgroundTasks()

        async def request(request_id: str) -> None:
            bind_request_id(request_id)
            tasks.spawn(work(), name="zalo-event")             # like the Zalo webhook
        await asyncio.create_task(request("zalo-request-1"))
        await asyncio.create_task(request("zalo-request-2"))
        await tasks.drain(5)
    asyncio.run(webhook_then_another_request())
    assert seen == ["zalo-request-1", "zalo-request-2"]


def test_a_telegram_update_gets_the_id_of_the_webhook_request_that_queued_it() -> None:
    class Update:
        def __init__(self, update_id: int) -> None:
            self.update_id = update_id

    async def scenario() -> tuple[str | None, str | None, str | None]:
        queue: asyncio.Queue[Update] = asyncio.Queue()
        seen: list[str | None] = []

        async def fetcher() -> None:                       # python-telegram-bot's: started before any request
            for _ in range(2):
                update = await queue.get()

                async def process(update: Update = update) -> None:
                    await bind_telegram_update(update, None)
                    seen.append(current_request_id())
                await asyncio.create_task(process())
        fetching = asyncio.create_task(fetcher())

        async def webhook(update_id: int) -> None:
            bind_request_id("tg-request-0001")
            telegram_updates.give(update_id, current_request_id())
            await queue.put(Update(update_id))
        await asyncio.create_task(webhook(987001))
        await queue.put(Update(987002))                   # polling: no request brought it
        await fetching
        return seen[0], seen[1], telegram_updates.take(987001)
    webhook_id, polled_id, left = asyncio.run(scenario())
    assert webhook_id == "tg-request-0001" and FRESH.fullmatch(polled_id) and left is None


def test_the_handoff_is_bounded() -> None:
    handoff = IdHandoff(size=3)
    for n in range(5):
        handoff.give(n, f"id-{n:06d}")
    handoff.give(99, None)
    assert [handoff.take(n) for n in (0, 1, 2, 3, 4, 99)] == [None, None, "id-000002", "id-000003", "id-000004", None]


def test_rasa_gets_the_request_id_in_the_message_metadata() -> None:
    sent: list[dict] = []
    rasa = FastAPI()

    @rasa.post("/webhooks/rest/webhook")
    async def message(request: Request) -> list[dict]:
        sent.append(await request.json())
        return [{"text": "Dạ."}]

    async def ask(url: str) -> None:
        dialogue = RasaDialogue(url, 5)
        bind_request_id("to-rasa-00001")
        await dialogue.send("web:abc", "xin chào", "web")
        await dialogue.close()
    with ServerThread(rasa) as server:
        asyncio.run(ask(server.url))
    assert sent[0]["metadata"] == {"channel": "web", "request_id": "to-rasa-00001"}


@pytest.mark.parametrize("call, found", [
    ({"tracker": {"latest_message": {"metadata": {"channel": "web", "request_id": "from-rasa-01"}}}}, "from-rasa-01"),
    ({"tracker": {"latest_message": {"metadata": None}}}, None),
    ({"tracker": {"latest_message": "oops"}}, None),
    ({"tracker": None}, None),
    ({}, None),
])
def test_the_action_endpoint_reads_the_id_from_the_message_rasa_answers(call: dict, found: str | None) -> None:
    assert message_request_id(call) == found
