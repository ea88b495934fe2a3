"""The slip reader: bytes in, a `SlipReading` out. Symbols first (as photographed, then straightened), print only
when no symbol carries a code. The image stays in memory; reading runs in a small thread pool off the event loop,
bounded in time."""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from dossiers.slips.limits import PhotoLimits, PhotoRefused, open_photo
from dossiers.slips.printed import OcrTooSlow, codes_in_print, straightened
from dossiers.slips.symbols import codes_in_symbols

log = logging.getLogger(__name__)
READ_SIDE = 2000                 # a 12 MP photo is decoded at half scale (JPEG draft mode), then at most this long

Outcome = Literal["code", "no_code", "refused", "too_slow"]


@dataclass(frozen=True)
class SlipReading:
    outcome: Outcome
    code: str | None = None
    source: Literal["symbol", "print"] | None = None
    reason: str | None = None             # why a photo was refused (for tests and logs, never shown as is)

    @classmethod
    def refused(cls, reason: str) -> "SlipReading":
        return cls("refused", reason=reason)


def greyscale(image: Image.Image) -> Image.Image:
    """The photo decoded in grey, its long side at most READ_SIDE (JPEGs decode straight at a reduced scale)."""
    image.draft("L", (READ_SIDE, READ_SIDE))
    gray = image.convert("L")
    if max(gray.size) > READ_SIDE:
        gray.thumbnail((READ_SIDE, READ_SIDE), Image.Resampling.BILINEAR)
    return gray


class SlipReader:
    def __init__(self, limits: PhotoLimits = PhotoLimits(), timeout_seconds: float = 5.0, workers: int = 2) -> None:
        self.limits = limits
        self._timeout = timeout_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slip-reader")

    def read(self, data: bytes) -> SlipReading:
        """The dossier code in the photo `data`, read in this thread."""
        try:
            gray = greyscale(open_photo(data, self.limits))
        except PhotoRefused as refused:
            return SlipReading.refused(refused.reason)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):    # a body that breaks mid-decode
            return SlipReading.refused("broken_image")
        codes = codes_in_symbols(gray)
        if codes:
            return SlipReading("code", codes[0], "symbol")
        straight = straightened(gray)
        codes = codes_in_symbols(straight)
        if codes:
            return SlipReading("code", codes[0], "symbol")
        try:
            codes = codes_in_print(straight, timeout=self._timeout)
        except OcrTooSlow:
            return SlipReading("too_slow")
        return SlipReading("code", codes[0], "print") if codes else SlipReading("no_code")

    async def read_async(self, data: bytes) -> SlipReading:
        """`read` in the reader's threads, given up after the time limit (the citizen is told to try again)."""
        future = asyncio.get_running_loop().run_in_executor(self._pool, self.read, data)
        try:
            reading = await asyncio.wait_for(future, self._timeout)
        except asyncio.TimeoutError:
            reading = SlipReading("too_slow")
        log.info("slip photo read", extra={"outcome": reading.outcome, "source": reading.source,
                                           "reason": reading.reason})
        return reading

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
