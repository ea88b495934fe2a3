"""Zalo OA end to end against the fake Zalo server: signed webhook in, customer-service messages out."""
from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import replace

import httpx
import pytest

from channels.conversation import ATTACHMENT_REPLY, UNAVAILABLE_REPLY
from channels.zalo.client import ZaloClient
from channels.zalo.signature import signature_valid, zalo_signature
from replies.model import Choice, Paragraph, Reply
from settings import SETTINGS
from storage.conversations import ConversationLog
from storage.credentials import CredentialStore, TokenPair
from storage.database import Database
from storage.outbox import FAILED
from tests.channels.conftest import ZALO_OA_SECRET
from tests.fakes.app import RunningApp
from tests.fakes.server import serving, wait_for
from tests.fakes.zalo import FakeZalo


@pytest.fixture
def zalo(fake_zalo: tuple[FakeZalo, str]) -> FakeZalo:
    return fake_zalo[0]


@pytest.fixture
def user() -> str:
    return str(uuid.uuid4().int)[:18]


def event(zalo: FakeZalo, user: str, name: str = "user_send_text", text: str = "lệ phí làm hộ chiếu",
          msg_id: str | None = None) -> dict:
    body = {"app_id": zalo.app_id, "user_id_by_app": "5521", "event_name": name, "timestamp": str(int(time.time() * 1000)),
            "sender": {"id": user}, "recipient": {"id": "388613280878808645"}}
    if name.startswith(("user_send", "oa_send")):
        body["message"] = {"msg_id": msg_id or uuid.uuid4().hex, "text": text}
    if name == "follow":
        body = {**{k: v for k, v in body.items() if k not in ("sender", "recipient")},
                "oa_id": "388613280878808645", "follower": {"id": user}, "source": "oa_follow"}
    return body


def post_event(client: httpx.Client, zalo: FakeZalo, body: dict, signature: str | None = "valid") -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False).encode()
    if signature == "valid":
        signature = "mac=" + zalo_signature(zalo.app_id, raw, body["timestamp"], ZALO_OA_SECRET)
    headers = {"Content-Type": "application/json", **({"X-ZEvent-Signature": signature} if signature else {})}
    return client.post("/channels/zalo/webhook", content=raw, headers=headers)


def test_signature_is_a_plain_sha256_accepted_with_or_without_prefix() -> None:
    raw = b'{"event_name":"user_send_text"}'
    good = zalo_signature("app", raw, "1700000000000", "secret")
    assert len(good) == 64
    assert signature_valid(good, "app", raw, "1700000000000", "secret")
    assert signature_valid(f"mac={good.upper()}", "app", raw, "1700000000000", "secret")
    assert not signature_valid(good, "app", raw + b" ", "1700000000000", "secret")
    assert not signature_valid(good, "app", raw, "1700000000001", "secret")
    assert not signature_valid(None, "app", raw, "1700000000000", "secret")


@pytest.mark.parametrize("signature", [None, "mac=" + "0" * 64, "not-a-signature"])
def test_forged_or_missing_signatures_are_refused_and_logged_without_the_secret(
        client: httpx.Client, zalo: FakeZalo, user: str, signature: str | None,
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        response = post_event(client, zalo, event(zalo, user), signature)
    assert response.status_code == 401
    assert "signature" in caplog.text and ZALO_OA_SECRET not in caplog.text and user not in caplog.text
    time.sleep(0.3)
    assert zalo.texts_to(user) == []


def test_the_webhook_answers_at_once_while_the_dialogue_is_slow(client: httpx.Client, zalo: FakeZalo,
                                                                user: str) -> None:
    started = time.monotonic()
    response = post_event(client, zalo, event(zalo, user))
    assert response.status_code == 200 and time.monotonic() - started < 2.0
    assert zalo.texts_to(user) == []                          # the reply comes later, from the background
    assert wait_for(lambda: zalo.texts_to(user)) == [UNAVAILABLE_REPLY]


def test_a_retried_event_is_answered_once(client: httpx.Client, zalo: FakeZalo, user: str) -> None:
    body = event(zalo, user, name="user_send_image", text="")
    assert post_event(client, zalo, body).json() == {"message": "ok"}
    assert post_event(client, zalo, body).json() == {"message": "duplicate"}
    wait_for(lambda: zalo.texts_to(user))
    time.sleep(0.5)
    assert zalo.texts_to(user) == [ATTACHMENT_REPLY.format(what="ảnh")]


def test_echoes_of_our_own_messages_are_ignored(client: httpx.Client, zalo: FakeZalo, user: str) -> None:
    assert post_event(client, zalo, event(zalo, user, name="oa_send_text")).json() == {"message": "ignored"}
    time.sleep(0.3)
    assert zalo.texts_to(user) == []


def test_an_unreadable_event_is_a_400(client: httpx.Client) -> None:
    response = client.post("/channels/zalo/webhook", content=b"not json", headers={"X-ZEvent-Signature": "x"})
    assert response.status_code == 400


def test_an_invalid_token_is_refreshed_persisted_and_the_message_sent_once(
        gateway_app: RunningApp, zalo: FakeZalo, user: str) -> None:
    old_refresh = zalo.refresh_token
    zalo.expire_access_token()                                 # Zalo answers -216 to the stored token
    failed = gateway_app.call(lambda: gateway_app.services.outbound.push("zalo", user, [Reply.plain("Xin chào")]))
    assert failed == 0 and zalo.texts_to(user) == ["Xin chào"]
    assert zalo.refreshes[-1] == old_refresh
    stored = gateway_app.call(lambda: CredentialStore(gateway_app.services.db).current("zalo", TokenPair("", "")))
    assert stored == TokenPair(zalo.access_token, zalo.refresh_token)   # the new pair, saved before use
    assert zalo.sent[-1].access_token == zalo.access_token


def test_transient_failures_are_retried(gateway_app: RunningApp, zalo: FakeZalo, user: str) -> None:
    zalo.failures = [500, 503]
    failed = gateway_app.call(lambda: gateway_app.services.outbound.push("zalo", user, [Reply.plain("Lần ba")]))
    assert failed == 0 and zalo.texts_to(user) == ["Lần ba"]


def test_a_reply_that_cannot_be_delivered_is_kept_and_counted(gateway_app: RunningApp, client: httpx.Client,
                                                               zalo: FakeZalo, user: str) -> None:
    before = gateway_app.call(lambda: gateway_app.services.outbox.count(FAILED)).get("zalo", 0)
    zalo.failures = [500, 500, 500]                            # 1 attempt + 2 retries
    failed = gateway_app.call(lambda: gateway_app.services.outbound.push("zalo", user, [Reply.plain("Mất")]))
    assert failed == 1 and zalo.texts_to(user) == [] and zalo.failures == []
    assert client.get("/health").json()["channels"]["zalo"]["undelivered"] == before + 1


def test_a_long_reply_is_split_into_messages_zalo_accepts(gateway_app: RunningApp, zalo: FakeZalo, user: str) -> None:
    long = Reply(title="Thủ tục dài", blocks=[Paragraph(text=f"Câu số {i} của một đoạn rất dài.") for i in range(150)])
    assert gateway_app.call(lambda: gateway_app.services.outbound.push("zalo", user, [long])) == 0
    texts = zalo.texts_to(user)
    assert len(texts) >= 2 and all(len(t) <= 2000 for t in texts)
    assert texts[0].startswith("Thủ tục dài") and texts[-1].endswith("Câu số 149 của một đoạn rất dài.")


def test_a_typed_number_picks_the_numbered_option(gateway_app: RunningApp, client: httpx.Client, zalo: FakeZalo,
                                                  user: str) -> None:
    menu = Reply.plain("Anh/chị hỏi thủ tục nào ạ?", [
        Choice(title="Cấp hộ chiếu phổ thông", intent="ask_procedure", entities={"procedure_code": "1.000"}),
        Choice(title="Đăng ký khai sinh", intent="ask_procedure", entities={"procedure_code": "1.001193"})])
    gateway_app.call(lambda: gateway_app.services.outbound.push("zalo", user, [menu]))
    assert "1. Cấp hộ chiếu phổ thông\n2. Đăng ký khai sinh" in zalo.texts_to(user)[0]
    assert post_event(client, zalo, event(zalo, user, text="2")).status_code == 200
    logged = wait_for(lambda: [m for m in gateway_app.call(
        lambda: ConversationLog(gateway_app.services.db).history("zalo", user)) if m.direction == "in"])
    assert logged[0].text == "Đăng ký khai sinh"
    assert logged[0].payload["choice"]["entities"] == {"procedure_code": "1.001193"}


@pytest.mark.parametrize("age_seconds", [6 * 60, -6 * 60, None])
def test_a_signed_event_outside_the_time_window_is_refused_as_a_replay(client: httpx.Client, zalo: FakeZalo,
                                                                      user: str, age_seconds: int | None) -> None:
    body = event(zalo, user)
    body["timestamp"] = "not-a-time" if age_seconds is None else str(int((time.time() - age_seconds) * 1000))
    response = post_event(client, zalo, body)
    assert response.status_code == 401 and "quá hạn" in response.json()["detail"]
    body["timestamp"] = str(int(time.time() * 1000))                    # the same event, fresh: taken
    assert post_event(client, zalo, body).json() == {"message": "ok"}


def test_gateways_sharing_the_store_refresh_an_expired_token_once(database_url: str) -> None:
    """Two gateways (each its own database engine, client and lock) see the expired token at the same time: one
    refresh reaches Zalo (its refresh token works once), both send with the new token."""
    own = FakeZalo(refresh_delay=0.3)                  # a refresh slow enough for the other gateway to arrive
    own.expire_access_token()
    databases = [Database(database_url) for _ in range(2)]
    databases[0].migrate()

    async def gateway(db: Database, server: str, user: str) -> TokenPair:
        zalo_settings = replace(SETTINGS.zalo, app_id=own.app_id, app_secret=own.app_secret, access_token="access-1",
                                refresh_token="refresh-1", api_base=server, oauth_base=server)
        store = CredentialStore(db)
        async with httpx.AsyncClient(timeout=10) as http:
            await ZaloClient(zalo_settings, store, http).send_text(user, "Xin chào")
        return await store.current("zalo", TokenPair("", ""))

    async def both(server: str) -> list[TokenPair]:
        return await asyncio.gather(*(gateway(db, server, f"user-{n}") for n, db in enumerate(databases)))

    try:
        with serving(own) as (_, server):
            pairs = asyncio.run(both(server))
    finally:
        for db in databases:
            db.close()
    assert own.refreshes == ["refresh-1"]
    assert pairs == [TokenPair(own.access_token, own.refresh_token)] * 2 and own.refresh_token != "refresh-1"
    assert sorted((m.user_id, m.access_token) for m in own.sent) == [("user-0", own.access_token),
                                                                     ("user-1", own.access_token)]
