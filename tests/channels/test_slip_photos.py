"""A photo of the appointment slip on each channel, through the real gateway and the fake Zalo and Telegram
servers: the image is fetched (Zalo: the URL in the event; Telegram: the largest size through getFile; web: the
upload), read, and the code goes on to the dialogue as if typed. The dialogue stalls in this suite, so a read
code shows as "em đọc được mã hồ sơ …" followed by the polite busy reply; tests/integration runs the real Rasa."""
from __future__ import annotations

import io
import logging
import random
import uuid

import httpx
import pytest
from PIL import Image

from channels.conversation import UNAVAILABLE_REPLY
from dossiers.replies import photo_code_read, photo_refused, photo_without_code
from replies.text import reply_text
from settings import SETTINGS
from tests.channels.test_telegram import post_update, texts
from tests.channels.test_zalo import event, post_event
from tests.fakes.app import RunningApp
from tests.fakes.server import wait_for
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZalo
from tools.slip_photos import SlipPhoto, slip_photo

TOO_BIG = b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024)          # a 20 MB "photo"
REFUSED = reply_text(photo_refused(SETTINGS.slip_max_bytes))


@pytest.fixture(scope="module")
def qr_slip() -> SlipPhoto:
    return slip_photo("qr", random.Random(27))


@pytest.fixture(scope="module")
def printed_slip() -> SlipPhoto:
    return slip_photo("print", random.Random(2701), (2400, 1800))


def blank_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1000, 750), (180, 170, 150)).save(out, format="JPEG", quality=60)
    return out.getvalue()


def read_then_busy(code: str) -> list[str]:
    return [reply_text(photo_code_read(code)), UNAVAILABLE_REPLY]


# ---------------------------------------------------------------- Zalo: the image attachment event
def zalo_image(zalo: FakeZalo, zalo_url: str, user: str, data: bytes) -> dict:
    body = event(zalo, user, name="user_send_image", text="")
    url = zalo_url + zalo.image_path(data)
    body["message"]["attachments"] = [{"type": "image", "payload": {"thumbnail": url, "url": url}}]
    return body


@pytest.fixture
def zalo_user() -> str:
    return str(uuid.uuid4().int)[:18]


def test_zalo_a_slip_photo_is_downloaded_and_its_code_goes_on_as_typed(
        client: httpx.Client, fake_zalo: tuple[FakeZalo, str], zalo_user: str, qr_slip: SlipPhoto,
        gateway_app: RunningApp, caplog: pytest.LogCaptureFixture) -> None:
    zalo, url = fake_zalo
    with caplog.at_level(logging.INFO):
        assert post_event(client, zalo, zalo_image(zalo, url, zalo_user, qr_slip.jpeg)).json() == {"message": "ok"}
        assert wait_for(lambda: zalo.texts_to(zalo_user)[1:] and zalo.texts_to(zalo_user)) == \
            read_then_busy(qr_slip.code)
    logged = gateway_app.call(lambda: gateway_app.services.conversations.history("zalo", zalo_user))
    assert logged[0].text == f"(ảnh phiếu hẹn) {qr_slip.code}"
    assert qr_slip.code not in caplog.text                     # the code is in the conversation log, never the log


@pytest.mark.parametrize("data, expected", [(TOO_BIG, REFUSED), (b"not an image at all", REFUSED),
                                            (blank_photo(), reply_text(photo_without_code()))])
def test_zalo_a_hostile_or_codeless_picture_gets_a_polite_reply(client: httpx.Client, fake_zalo: tuple[FakeZalo, str],
                                                                zalo_user: str, data: bytes, expected: str) -> None:
    zalo, url = fake_zalo
    post_event(client, zalo, zalo_image(zalo, url, zalo_user, data))
    assert wait_for(lambda: zalo.texts_to(zalo_user)) == [expected]
    assert "chụp rõ phần mã hồ sơ hoặc mã QR trên phiếu hẹn" in expected and "gõ mã hồ sơ" in expected


# ---------------------------------------------------------------- Telegram: photo sizes and image documents
@pytest.fixture
def chat() -> int:
    return random.randrange(10**8, 10**9)


def test_telegram_the_largest_photo_size_is_fetched_and_read(client: httpx.Client,
                                                             fake_telegram: tuple[FakeTelegram, str], chat: int,
                                                             printed_slip: SlipPhoto) -> None:
    telegram = fake_telegram[0]
    update = telegram.photo_update(chat, printed_slip.jpeg)
    assert post_update(client, update).json() == {"status": "ok"}
    assert wait_for(lambda: texts(telegram, chat)[1:] and texts(telegram, chat), timeout=30) == \
        read_then_busy(printed_slip.code)
    sizes = update["message"]["photo"]
    assert sizes[-1]["file_id"] in telegram.downloads and sizes[0]["file_id"] not in telegram.downloads


def test_telegram_an_image_sent_as_a_file_is_read_too(client: httpx.Client, fake_telegram: tuple[FakeTelegram, str],
                                                      chat: int, qr_slip: SlipPhoto) -> None:
    telegram = fake_telegram[0]
    post_update(client, telegram.document_update(chat, qr_slip.jpeg))
    assert wait_for(lambda: texts(telegram, chat)[1:] and texts(telegram, chat)) == read_then_busy(qr_slip.code)


def test_telegram_a_20_mb_file_is_refused_without_downloading_it(client: httpx.Client,
                                                                 fake_telegram: tuple[FakeTelegram, str],
                                                                 chat: int) -> None:
    telegram = fake_telegram[0]
    update = telegram.document_update(chat, b"\xff\xd8\xff", announced_size=20 * 1024 * 1024)
    post_update(client, update)
    assert wait_for(lambda: texts(telegram, chat)) == [REFUSED]
    assert update["message"]["document"]["file_id"] not in telegram.downloads


# ---------------------------------------------------------------- web widget: the upload
def test_web_an_uploaded_slip_starts_the_lookup_in_a_new_conversation(client: httpx.Client,
                                                                      qr_slip: SlipPhoto) -> None:
    response = client.post("/api/chat/photo", content=qr_slip.jpeg, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 200
    body = response.json()
    assert [m["text"] for m in body["messages"]] == read_then_busy(qr_slip.code)
    again = client.post("/api/chat/photo", params={"sender_id": body["sender_id"]}, content=blank_photo(),
                        headers={"Content-Type": "image/jpeg"}).json()
    assert again["sender_id"] == body["sender_id"]
    assert [m["text"] for m in again["messages"]] == [reply_text(photo_without_code())]


@pytest.mark.parametrize("data, content_type, status", [
    (TOO_BIG, "image/jpeg", 413),
    (b"%PDF-1.7 not a photo", "application/pdf", 415),
])
def test_web_uploads_over_the_limit_or_of_another_type_are_refused_with_a_reason(
        client: httpx.Client, data: bytes, content_type: str, status: int) -> None:
    response = client.post("/api/chat/photo", content=data, headers={"Content-Type": content_type})
    assert response.status_code == status and response.json()["detail"]


def test_web_a_file_that_only_claims_to_be_a_photo_gets_the_polite_refusal(client: httpx.Client) -> None:
    response = client.post("/api/chat/photo", content=b"\xff\xd8\xff\xe0" + b"\x13" * 5000,
                           headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 200 and [m["text"] for m in response.json()["messages"]] == [REFUSED]


def test_web_an_unknown_conversation_is_refused(client: httpx.Client, qr_slip: SlipPhoto) -> None:
    response = client.post("/api/chat/photo", params={"sender_id": "x" * 32}, content=qr_slip.jpeg,
                           headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 403
