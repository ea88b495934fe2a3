"""Synthetic appointment slips ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", Circular 01/2018/TT-VPCP) and phone
photos of them, for the slip reader's tests, evaluation and benchmark. Nothing is downloaded: the text is drawn
with Debian's DejaVu fonts, the QR codes and barcodes with zxing-cpp's writer.

A slip carries its code in print, and (kind "qr") a QR code with a province's lookup URL, or (kind "barcode") a
Code 128 barcode of the code itself, or (kind "print") nothing else. A photo of it is the slip on a desk,
rotated (up to 15°), in perspective, blurred, unevenly lit and saved as JPEG at quality 60."""
from __future__ import annotations

import argparse
import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Kind = Literal["qr", "barcode", "print"]
KINDS: tuple[Kind, ...] = ("qr", "barcode", "print")
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SLIP_SIZE = (1240, 1754)             # A5 at 150 dpi, portrait
PROVINCES = ("H45", "H29", "H56", "G01", "H01", "K23", "H10")
NAMES = ("Nguyễn Văn Thắng", "Trần Thị Ngọc Ánh", "Lê Hoàng Phúc", "Phạm Minh Châu", "Đỗ Thị Hường",
         "Vũ Đức Mạnh", "Hoàng Thị Yến", "Bùi Quang Huy")
PROCEDURES = ("Đăng ký khai sinh", "Chứng thực bản sao từ bản chính", "Đăng ký thường trú",
              "Cấp giấy chứng nhận quyền sử dụng đất", "Đăng ký kết hôn", "Cấp phiếu lý lịch tư pháp")
OFFICES = ("UBND phường Lộc Thọ", "Bộ phận Một cửa UBND huyện Diên Khánh", "Trung tâm Phục vụ hành chính công tỉnh",
           "UBND xã Vĩnh Ngọc")


@dataclass(frozen=True)
class SlipPhoto:
    kind: Kind
    code: str
    jpeg: bytes


def random_code(rng: random.Random) -> str:
    unit = f"{rng.choice(PROVINCES)}.{rng.randrange(1, 40):02d}"
    if rng.random() < 0.5:
        unit = f"000.00.{rng.randrange(10, 40)}.{rng.choice(PROVINCES)}"
    day = f"{rng.randrange(23, 27):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
    sequence = f"{rng.randrange(0, 10000):04d}" if rng.random() < 0.8 else f"{rng.randrange(0, 100000):05d}"
    return f"{unit}-{day}-{sequence}"


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / ("DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf")), size)


def _symbol(kind: Kind, code: str, rng: random.Random) -> Image.Image | None:
    if kind == "print":
        return None
    if kind == "qr":
        site = rng.choice(("dichvucong.khanhhoa.gov.vn", "motcua.danang.gov.vn", "dvc.hanoi.gov.vn"))
        content = rng.choice((f"https://{site}/tra-cuu-ho-so?maHoSo={code}", code,
                              f"https://{site}/portal/p/home/tra-cuu.html?ma={code}&lang=vi"))
        barcode = zxingcpp.create_barcode(content, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        return Image.fromarray(np.array(zxingcpp.write_barcode_to_image(barcode, scale=7)))
    barcode = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.Code128)
    image = Image.fromarray(np.array(zxingcpp.write_barcode_to_image(barcode, scale=3)))
    return image.resize((image.width, 150), Image.Resampling.NEAREST)


def render_slip(kind: Kind, code: str, rng: random.Random) -> Image.Image:
    """The printed slip, flat and clean (greyscale)."""
    slip = Image.new("L", SLIP_SIZE, 255)
    draw = ImageDraw.Draw(slip)
    small, body, title = _font(26), _font(30), _font(36, bold=True)
    draw.text((60, 60), rng.choice(OFFICES).upper(), font=small, fill=0)
    draw.text((640, 60), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=small, fill=0)
    draw.text((700, 100), "Độc lập - Tự do - Hạnh phúc", font=small, fill=0)
    draw.text((130, 200), "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", font=title, fill=0)
    lines = [f"Mã hồ sơ: {code}", f"Tiếp nhận hồ sơ của: Ông/Bà {rng.choice(NAMES)}",
             "Địa chỉ: số 12 đường Trần Phú, phường Lộc Thọ", f"Số điện thoại: 09{rng.randrange(10**7, 10**8)}",
             f"Nội dung yêu cầu giải quyết: {rng.choice(PROCEDURES)}",
             "Thành phần hồ sơ nộp gồm: 01 tờ khai, 01 bản sao giấy tờ tùy thân",
             f"Số lượng hồ sơ: 01 (bộ). Thời gian giải quyết: {rng.randrange(1, 16)} ngày làm việc",
             f"Thời gian nhận hồ sơ: 08 giờ {rng.randrange(10, 59)} phút, ngày {rng.randrange(1, 29)}/11/2026",
             f"Thời gian trả kết quả: 14 giờ 00 phút, ngày {rng.randrange(1, 29)}/12/2026",
             "Vào Sổ theo dõi hồ sơ, Quyển số: 03, Số thứ tự: 128"]
    y = 320
    for line in lines:
        draw.text((80, y), line, font=body, fill=0)
        y += 62
    draw.text((820, y + 60), "NGƯỜI TIẾP NHẬN", font=small, fill=0)
    draw.text((860, y + 100), "(Ký và ghi rõ họ tên)", font=small, fill=0)
    symbol = _symbol(kind, code, rng)
    if symbol is not None:
        slip.paste(symbol, (80, y + 40))
    return slip


def _perspective_coefficients(source: list[tuple[float, float]], target: list[tuple[float, float]]) -> list[float]:
    """Pillow's PERSPECTIVE data mapping each target corner back to its source corner."""
    rows = []
    for (x, y), (u, v) in zip(target, source):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows, dtype=float), np.array(source, dtype=float).reshape(8))
    return solution.tolist()


def photograph(slip: Image.Image, rng: random.Random, size: tuple[int, int] = (1600, 1200),
               quality: int = 60) -> bytes:
    """A phone photo of `slip`: on a desk, rotated up to 15°, in perspective, blurred, unevenly lit, JPEG."""
    width, height = size
    scale = min(width / slip.width, height / slip.height) * rng.uniform(0.78, 0.9)
    w, h = slip.width * scale, slip.height * scale
    cx, cy = width / 2 + rng.uniform(-0.04, 0.04) * width, height / 2 + rng.uniform(-0.04, 0.04) * height
    angle = np.radians(rng.uniform(-15, 15))
    corners = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        squeeze = 1 - rng.uniform(0, 0.06) if dy < 0 else 1.0       # the top edge further from the lens
        dx *= squeeze
        x = cx + dx * np.cos(angle) - dy * np.sin(angle) + rng.uniform(-0.01, 0.01) * width
        y = cy + dx * np.sin(angle) + dy * np.cos(angle) + rng.uniform(-0.01, 0.01) * height
        corners.append((x, y))
    source = [(0, 0), (slip.width, 0), (slip.width, slip.height), (0, slip.height)]
    data = _perspective_coefficients(source, corners)
    page = slip.transform(size, Image.Transform.PERSPECTIVE, data, Image.Resampling.BILINEAR, fillcolor=None)
    mask = Image.new("L", slip.size, 255).transform(size, Image.Transform.PERSPECTIVE, data,
                                                    Image.Resampling.BILINEAR)
    desk = Image.new("L", size, rng.randrange(60, 120))
    photo = Image.composite(page, desk, mask).filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.4)))
    pixels = np.asarray(photo, dtype=np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    lx, ly = rng.uniform(0, width), rng.uniform(0, height)
    light = 1.0 - rng.uniform(0.2, 0.45) * np.hypot(xx - lx, yy - ly) / np.hypot(width, height)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 4, pixels.shape)
    shaded = np.clip(pixels * light + noise, 0, 255).astype(np.uint8)
    colour = Image.merge("RGB", [Image.fromarray(shaded).point(lambda p, t=t: min(255, int(p * t)))
                                 for t in (1.0, 0.97, 0.9)])                # a warm indoor cast
    out = io.BytesIO()
    colour.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def slip_photo(kind: Kind, rng: random.Random, size: tuple[int, int] = (1600, 1200),
               code: str | None = None) -> SlipPhoto:
    code = code or random_code(rng)
    return SlipPhoto(kind, code, photograph(render_slip(kind, code, rng), rng, size))


def slip_photos(per_kind: int, seed: int, size: tuple[int, int] = (1600, 1200)) -> list[SlipPhoto]:
    """`per_kind` photos of each kind, the same for the same seed."""
    rng = random.Random(seed)
    return [slip_photo(kind, rng, size) for kind in KINDS for _ in range(per_kind)]


def photo_arguments(description: str, per_kind: int, seed: int, size: str) -> tuple[argparse.Namespace, tuple[int, int]]:
    """The options of the slip tools (how many photos of each kind, the seed, the photo size) and the size parsed."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-kind", type=int, default=per_kind)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--size", default=size, help="photo size in pixels, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    return args, (width, height)
