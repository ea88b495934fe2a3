"""The slip reader on photos the tests make themselves (tools/slip_photos.py: rendered slips with Vietnamese text,
photographed: rotated, in perspective, blurred, unevenly lit, JPEG 60) and on hostile files. The full accuracy
figures come from `python -m tools.slip_evaluation`; this small set guards the same properties."""
from __future__ import annotations

import asyncio
import io
import struct
import zlib

import pytest
from PIL import Image

from dossiers.slips.limits import PhotoLimits
from dossiers.slips.reader import SlipReader
from dossiers.slips.symbols import codes_in_symbol_text
from tools.slip_photos import slip_photos

CODE = "000.00.31.H45-261121-0005"


@pytest.fixture(scope="module")
def reader() -> SlipReader:
    return SlipReader()


@pytest.fixture(scope="module")
def photos() -> list:
    return slip_photos(per_kind=4, seed=2027, size=(2400, 1800))


@pytest.mark.parametrize("text, codes", [
    (CODE, [CODE]),
    (f"https://dichvucong.khanhhoa.gov.vn/tra-cuu-ho-so?maHoSo={CODE}", [CODE]),
    ("https://dvc.hanoi.gov.vn/tra-cuu?lang=vi&ma=000.00.31.H45%E2%80%93261121%E2%80%930005", [CODE]),
    (f"https://motcua.danang.gov.vn/ho-so/{CODE}/trang-thai", [CODE]),
    ("https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html", []),
    ("0903114821", []),
    (f"X{CODE}", []),                                 # glued to something longer: not a code
])
def test_the_code_is_the_symbol_text_or_sits_in_a_lookup_url(text: str, codes: list[str]) -> None:
    assert codes_in_symbol_text(text) == codes


def test_photographed_slips_are_read_right_and_never_wrong(reader: SlipReader, photos: list) -> None:
    results = {kind: [] for kind in ("qr", "barcode", "print")}
    for photo in photos:
        reading = reader.read(photo.jpeg)
        assert reading.code in (photo.code, None), f"a wrong code was read from a {photo.kind} slip"
        results[photo.kind].append(reading.code == photo.code)
    assert all(results["qr"])
    assert sum(results["barcode"]) >= 3 and sum(results["print"]) >= 3     # the barcode's print is read too


def test_a_photo_without_a_code_says_so(reader: SlipReader) -> None:
    blank = Image.new("RGB", (1200, 900), (200, 190, 170))
    out = io.BytesIO()
    blank.save(out, format="JPEG", quality=60)
    assert reader.read(out.getvalue()).outcome == "no_code"


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize(size).save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024), "too_large"),             # a 20 MB file
    ("Mã hồ sơ: H45.22-231015-0012".encode(), "not_an_image"),               # text is not a photo
    (b"%PDF-1.7\n" + b"0" * 1000, "not_an_image"),
    (b"GIF89a" + b"\x00" * 100, "not_an_image"),
    (_png_header_only(100_000, 100_000), "too_many_pixels"),                  # a decompression bomb: 10 gigapixels
    (_png_header_only(9_000, 9_000), "too_many_pixels"),                      # 81 MP, over the 50 MP limit
    (_png_header_only(4, 4), "too_small"),
    (_jpeg()[:len(_jpeg()) // 2], "broken_image"),                            # cut short
    (b"\xff\xd8\xff\xe0" + b"\x13" * 5000, "not_an_image"),                   # a JPEG marker and garbage
])
def test_hostile_files_are_refused_before_decoding_and_nothing_crashes(reader: SlipReader, data: bytes,
                                                                       reason: str) -> None:
    reading = reader.read(data)
    assert (reading.outcome, reading.reason, reading.code) == ("refused", reason, None)


def test_the_limits_are_the_configured_ones() -> None:
    strict = SlipReader(PhotoLimits(max_bytes=100_000, max_pixels=1_000_000))
    assert strict.read(_jpeg((2000, 1000))).reason == "too_many_pixels"
    assert strict.read(_jpeg((900, 600)) + b"\x00" * 100_000).reason == "too_large"
    assert strict.read(_jpeg((900, 600))).outcome == "no_code"


def test_reading_runs_off_the_event_loop_within_its_time_limit(photos: list) -> None:
    printed = next(p for p in photos if p.kind == "print")
    hasty = SlipReader(timeout_seconds=0.05)

    async def scenario() -> tuple[str, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticking = asyncio.create_task(tick())
        reading = await hasty.read_async(printed.jpeg)
        ticking.cancel()
        return reading.outcome, ticks

    outcome, ticks = asyncio.run(scenario())
    assert outcome == "too_slow" and ticks >= 2          # the loop kept running while the photo was read
    hasty.close()
