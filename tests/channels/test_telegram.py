"""Telegram end to end against the fake Bot API: webhook in (python-telegram-bot inside the gateway), HTML
messages and inline keyboards out."""
from __future__ import annotations

import asyncio
import random
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from channels.conversation import STALE_CHOICE_REPLY, UNAVAILABLE_REPLY, Gateway
from channels.outbound import Outbound, PushNotifier
from channels.telegram.lifecycle import TelegramMisconfigured, start_telegram
from dossiers.replies import photo_refused
from dossiers.slips.reader import SlipReader
from replies.model import Choice, Paragraph, Reply
from replies.text import reply_text
from settings import SETTINGS
from storage.choices import ChoiceStore
from storage.conversations import ConversationLog
from storage.database import Database
from channels.relay import OutboxRelay, RetryPolicy
from storage.outbox import FAILED, Outbox
from tests.channels.conftest import TELEGRAM_SECRET
from tests.channels.test_gateway import RecordingDialogue
from tests.fakes.app import RunningApp
from tests.fakes.server import wait_for
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
def telegram(fake_telegram: tuple[FakeTelegram, str]) -> FakeTelegram:
    return fake_telegram[0]


@pytest.fixture
def chat() -> int:
    return random.randrange(10**8, 10**9)


def post_update(client: httpx.Client, update: dict, secret: str | None = TELEGRAM_SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/channels/telegram/webhook", json=update, headers=headers)


def texts(telegram: FakeTelegram, chat: int) -> list[str]:
    return [m["text"] for m in telegram.sent_to(chat)]


def test_the_webhook_is_registered_with_its_secret_at_start_up(gateway_app: RunningApp,
                                                               telegram: FakeTelegram) -> None:
    registration = telegram.called("setWebhook")[-1]
    assert registration["url"] == "https://tthc.example.gov.vn/channels/telegram/webhook"
    assert registration["secret_token"] == TELEGRAM_SECRET
    assert set(registration["allowed_updates"]) == {"message", "callback_query"}


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
def test_a_wrong_secret_token_is_refused(client: httpx.Client, telegram: FakeTelegram, chat: int,
                                         secret: str | None) -> None:
    assert post_update(client, telegram.text_update(chat, "xin chào"), secret).status_code == 401
    time.sleep(0.3)
    assert telegram.sent_to(chat) == []


@pytest.mark.parametrize("update", [[1, 2], 5, "xin chào", {}])
def test_an_update_that_is_not_one_is_refused_not_a_crash(client: httpx.Client, update: object) -> None:
    response = post_update(client, update)                 # a JSON list or scalar raised AttributeError: a 500
    assert response.status_code == 400 and response.json()["detail"] == "Cập nhật không hợp lệ."


def test_text_is_answered_through_the_gateway_after_a_typing_indicator(client: httpx.Client,
                                                                       telegram: FakeTelegram, chat: int) -> None:
    started = time.monotonic()
    assert post_update(client, telegram.text_update(chat, "lệ phí làm hộ chiếu")).json() == {"status": "ok"}
    assert time.monotonic() - started < 2.0
    assert wait_for(lambda: texts(telegram, chat)) == [UNAVAILABLE_REPLY]      # the dialogue stalls in this suite
    assert any(str(c["chat_id"]) == str(chat) and c["action"] == "typing" for c in telegram.called("sendChatAction"))


def test_a_retried_update_is_handled_once(client: httpx.Client, telegram: FakeTelegram, chat: int) -> None:
    update = telegram.photo_update(chat)
    assert post_update(client, update).json() == {"status": "ok"}
    assert post_update(client, update).json() == {"status": "duplicate"}
    wait_for(lambda: texts(telegram, chat))
    time.sleep(0.5)
    assert texts(telegram, chat) == [reply_text(photo_refused(SETTINGS.slip_max_bytes))]        # an empty file


def test_a_tap_on_an_issued_button_continues_the_conversation(gateway_app: RunningApp, client: httpx.Client,
                                                              telegram: FakeTelegram, chat: int) -> None:
    menu = Reply.plain("Anh/chị hỏi thủ tục nào ạ?", [
        Choice(title="Đăng ký khai sinh (cấp xã)", intent="ask_procedure",
               entities={"procedure_code": "1.001193", "aspect": "legal_basis"})])
    gateway_app.call(lambda: gateway_app.services.outbound.push("telegram", str(chat), [menu]))
    keyboard = telegram.sent_to(chat)[0]["reply_markup"]["inline_keyboard"]
    data = keyboard[0][0]["callback_data"]
    assert keyboard[0][0]["text"] == "Đăng ký khai sinh (cấp xã)" and len(data.encode()) <= 64
    assert post_update(client, telegram.callback_update(chat, data)).status_code == 200
    wait_for(lambda: telegram.called("answerCallbackQuery"))
    logged = wait_for(lambda: [m for m in gateway_app.call(
        lambda: ConversationLog(gateway_app.services.db).history("telegram", str(chat))) if m.direction == "in"])
    assert logged[0].text == "Đăng ký khai sinh (cấp xã)"
    assert logged[0].payload["choice"]["entities"]["aspect"] == "legal_basis"


def test_a_forged_callback_gets_a_polite_answer(client: httpx.Client, telegram: FakeTelegram, chat: int) -> None:
    assert post_update(client, telegram.callback_update(chat, "c_notissuedbyus")).status_code == 200
    assert wait_for(lambda: texts(telegram, chat)) == [STALE_CHOICE_REPLY]


def test_replies_are_html_escaped_and_split_within_4096_characters(gateway_app: RunningApp,
                                                                   telegram: FakeTelegram, chat: int) -> None:
    long = Reply(title="<Thủ tục> & dài", blocks=[Paragraph(text="Đoạn văn bản khá dài số %d. " % i * 4)
                                                 for i in range(120)])
    assert gateway_app.call(lambda: gateway_app.services.outbound.push("telegram", str(chat), [long])) == 0
    sent = telegram.sent_to(chat)
    assert len(sent) >= 2 and all(len(m["text"]) <= 4096 and m["parse_mode"] == "HTML" for m in sent)
    assert sent[0]["text"].startswith("<b>&lt;Thủ tục&gt; &amp; dài</b>")


def test_failures_are_retried_when_transient_and_counted_when_final(gateway_app: RunningApp, client: httpx.Client,
                                                                    telegram: FakeTelegram, chat: int) -> None:
    push = lambda text: gateway_app.call(  # noqa: E731
        lambda: gateway_app.services.outbound.push("telegram", str(chat), [Reply.plain(text)]))
    before = client.get("/health").json()["channels"]["telegram"]["undelivered"]
    telegram.errors = [(502, "Bad Gateway")]
    assert push("Lần hai thì được") == 0
    telegram.errors = [(403, "Forbidden: bot was blocked by the user")]
    assert push("Bị chặn") == 1 and telegram.errors == []             # not retried: it would never work
    assert texts(telegram, chat) == ["Lần hai thì được"]
    assert client.get("/health").json()["channels"]["telegram"]["undelivered"] == before + 1
    assert gateway_app.call(lambda: gateway_app.services.outbox.count(FAILED))["telegram"] >= 1


def test_polling_mode_fetches_updates_and_answers(fake_telegram: tuple[FakeTelegram, str], tmp_path: Path) -> None:
    """`make telegram`: no public URL, the bot polls getUpdates instead of receiving the webhook."""
    telegram, url = fake_telegram
    chat = random.randrange(10**8, 10**9)
    settings = replace(SETTINGS.telegram, bot_token=telegram.token, api_base=url, polling=True, webhook_url="")
    db = Database(f"sqlite:///{tmp_path / 'gateway.db'}")
    db.migrate()
    log, choices = ConversationLog(db), ChoiceStore(db)

    async def scenario() -> list[str]:
        async with start_telegram(settings) as running:
            relay = OutboxRelay(Outbox(db), {"telegram": running.channel}, RetryPolicy())
            outbound = Outbound({"telegram": running.channel}, choices, Outbox(db), log, PushNotifier(), relay)
            dialogue = RecordingDialogue([Reply.plain("Dạ, em trả lời qua polling.")])
            await running.serve(Gateway(dialogue, log, choices, 1000), outbound, SlipReader())  # type: ignore[arg-type]
            telegram.updates.append(telegram.text_update(chat, "xin chào"))
            for _ in range(200):
                if texts(telegram, chat):
                    break
                await asyncio.sleep(0.05)
            return dialogue.sent

    assert asyncio.run(scenario()) == ["xin chào"]
    assert texts(telegram, chat) == ["Dạ, em trả lời qua polling."]
    db.close()


def test_a_webhook_url_without_a_secret_refuses_to_start(fake_telegram) -> None:
    fake, url = fake_telegram
    settings = replace(SETTINGS.telegram, bot_token=fake.token, api_base=url, polling=False, webhook_secret="",
                       webhook_url="https://tthc.example.gov.vn/channels/telegram/webhook")

    async def starting() -> None:
        async with start_telegram(settings):
            pass

    with pytest.raises(TelegramMisconfigured, match="TTHC_TELEGRAM_WEBHOOK_SECRET"):
        asyncio.run(starting())
