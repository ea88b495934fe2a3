"""One real stack (Rasa server + gateway on free ports) shared by the integration tests, with Zalo and Telegram
switched on against local fake servers (the only parts that live outside this machine)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Iterator

import httpx
import pytest

from scripts.stack import Stack, StackConfig, free_port
from storage.database import Database
from tests.fakes.server import serving
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo

ZALO_OA_SECRET = "it-oa-secret"
TELEGRAM_SECRET = "it-telegram-secret"
ADMIN_TOKEN = "it-admin-token"
STAFF_ADMIN = ("it.admin", "it-admin-password")


def register_dossier(stack: Stack, now: datetime | None = None) -> str:
    """A dossier registered through the admin API, late at its first stage; its phone ends in 4821."""
    now = now or datetime.now(timezone.utc)
    code = f"000.00.12.H45-{now:%y%m%d}-{random.randrange(1000, 9999)}"
    body = {"procedure_code": "1.001193", "applicant_name": "Phạm Minh Châu", "phone": "0903 114 821",
            "received_at": (now - timedelta(days=3)).isoformat(), "due_at": (now + timedelta(days=2)).isoformat(),
            "status": "in_progress", "current_office": "UBND phường Lộc Thọ", "delivery_method": "at_centre",
            "stages": [{"name": "Thẩm định hồ sơ", "office": "Phòng Tư pháp",
                        "started_at": (now - timedelta(days=2)).isoformat(),
                        "due_at": (now - timedelta(days=1)).isoformat()}]}
    response = httpx.put(f"{stack.config.app_url}/api/admin/dossiers/{code}", json=body,
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
    assert response.status_code == 201, response.text
    return code


@pytest.fixture(scope="session")
def zalo_server() -> Iterator[tuple[FakeZalo, str]]:
    with serving(FakeZalo()) as served:
        yield served


@pytest.fixture(scope="session")
def telegram_server() -> Iterator[tuple[FakeTelegram, str]]:
    with serving(FakeTelegram()) as served:
        yield served


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, zalo_server, telegram_server) -> Iterator[Stack]:
    data_dir = tmp_path_factory.mktemp("stack")
    (zalo, zalo_url), (telegram, telegram_url) = zalo_server, telegram_server
    env = {"TTHC_ZALO_APP_ID": zalo.app_id, "TTHC_ZALO_OA_SECRET_KEY": ZALO_OA_SECRET,
           "TTHC_ZALO_APP_SECRET": zalo.app_secret, "TTHC_ZALO_ACCESS_TOKEN": zalo.access_token,
           "TTHC_ZALO_REFRESH_TOKEN": zalo.refresh_token, "TTHC_ZALO_API_BASE": zalo_url,
           "TTHC_ZALO_OAUTH_BASE": zalo_url, "TTHC_TELEGRAM_BOT_TOKEN": telegram.token,
           "TTHC_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "TTHC_TELEGRAM_API_BASE": telegram_url,
           "TTHC_ADMIN_TOKEN": ADMIN_TOKEN, "TTHC_NOTIFY_INTERVAL_SECONDS": "0.5",
           "TTHC_STAFF_ADMIN_USER": STAFF_ADMIN[0], "TTHC_STAFF_ADMIN_PASSWORD": STAFF_ADMIN[1],
           "TTHC_OFFICE_HOURS": "Mon-Sun 00:00-23:59", "TTHC_CHAT_RATE_PER_MINUTE": "1000"}
    config = StackConfig(app_port=free_port(), rasa_ports=(free_port(), free_port()), data_dir=data_dir, log_dir=data_dir / "logs",
                         env=env)
    running = Stack(config)
    running.start()
    try:
        running.wait_healthy(timeout=300)
    except BaseException:
        running.stop()
        for path in running.log_paths.values():
            print(f"--- {path}\n" + path.read_text(errors="replace")[-4000:])
        raise
    yield running
    running.stop()


@pytest.fixture(scope="session")
def gateway_db(stack: Stack) -> Iterator[Database]:
    """The running gateway's own database, to read what it logged."""
    db = Database(f"sqlite:///{stack.config.data_dir / 'gateway.db'}")
    yield db
    db.close()
