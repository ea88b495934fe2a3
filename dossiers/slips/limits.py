"""What a photo must be before anything decodes it: few enough bytes, a JPEG, PNG or WebP by its own header, few
enough pixels (read from the header, so a decompression bomb is refused before a pixel is decoded)."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "WEBP")
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 50_000_000


class PhotoRefused(Exception):
    """The bytes are not a photo we read; `reason` says which check refused it (for logs and tests)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def open_photo(data: bytes, limits: PhotoLimits) -> Image.Image:
    """The photo, opened lazily (header read, pixels not yet decoded), or PhotoRefused."""
    if not data:
        raise PhotoRefused("empty")
    if len(data) > limits.max_bytes:
        raise PhotoRefused("too_large")
    if not _looks_like_image(data):
        raise PhotoRefused("not_an_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise PhotoRefused("not_an_image") from None
    width, height = image.size
    if width < 16 or height < 16:
        raise PhotoRefused("too_small")
    if width * height > limits.max_pixels:
        raise PhotoRefused("too_many_pixels")
    return image
