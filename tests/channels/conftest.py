"""One real gateway app on a port for the channel tests, wired to fake Zalo and Telegram servers and to a
dialogue engine that never answers in time (the tests here need no Rasa; tests/integration runs the real one)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from channels.app import create_app
from settings import SETTINGS, Settings
from tests.fakes.app import RunningApp
from tests.fakes.server import serving
from tests.fakes.stalling import StallingServer
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo

ZALO_OA_SECRET = "oa-secret-key"
TELEGRAM_SECRET = "telegram-webhook-secret"
RASA_TIMEOUT = 3.0
ADMIN_TOKEN = "admin-token-for-tests"
ACTION_TOKEN = "action-token-for-tests"


@pytest.fixture(scope="session")
def fake_zalo() -> Iterator[tuple[FakeZalo, str]]:
    with serving(FakeZalo()) as served:
        yield served


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[tuple[FakeTelegram, str]]:
    with serving(FakeTelegram()) as served:
        yield served


def channel_settings(base: Settings, zalo: tuple[FakeZalo, str], telegram: tuple[FakeTelegram, str],
                     **changes: object) -> Settings:
    fake_z, zalo_url = zalo
    fake_t, telegram_url = telegram
    return replace(
        base,
        zalo=replace(base.zalo, app_id=fake_z.app_id, oa_secret_key=ZALO_OA_SECRET, app_secret=fake_z.app_secret,
                     access_token=fake_z.access_token, refresh_token=fake_z.refresh_token, api_base=zalo_url,
                     oauth_base=zalo_url),
        telegram=replace(base.telegram, bot_token=fake_t.token, webhook_secret=TELEGRAM_SECRET,
                         webhook_url="https://tthc.example.gov.vn/channels/telegram/webhook",
                         api_base=telegram_url, polling=False),
        **changes,
    )


@pytest.fixture(scope="session")
def gateway_app(tmp_path_factory: pytest.TempPathFactory, fake_zalo, fake_telegram) -> Iterator[RunningApp]:
    folder: Path = tmp_path_factory.mktemp("gateway")
    with StallingServer() as rasa:
        settings = channel_settings(SETTINGS, fake_zalo, fake_telegram, rasa_url=rasa.url, rasa_timeout=RASA_TIMEOUT,
                                    database_url=f"sqlite:///{folder / 'gateway.db'}", send_retries=2,
                                    send_backoff_seconds=0.05, outbox_max_attempts=3, outbox_interval_seconds=0.2,
                                    admin_token=ADMIN_TOKEN, action_token=ACTION_TOKEN, notify_interval_seconds=0.5)
        with RunningApp(create_app(settings)) as running:
            yield running


@pytest.fixture
def client(gateway_app: RunningApp) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_app.url, timeout=30) as http:
        yield http
