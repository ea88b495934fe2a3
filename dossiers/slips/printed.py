"""Dossier codes in the printed text of a photo: straighten the page (up to ±16°), cut it out of the desk, read
it with Tesseract (tesserocr, Vietnamese data from Debian's `tesseract-ocr-vie`), the top of the page first (the
Circular 01/2018 form prints the code under its title), and keep only codes read with confidence, so a misread is
refused rather than guessed."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
import tesserocr
from PIL import Image, ImageFilter

from dossiers.codes import extract_dossier_codes

SKEW_SIDE = 500                          # the skew is measured on a copy this small
TOP_SHARE = 0.35                         # the first pass reads this share of the page's height
MIN_CONFIDENCE = 75.0                    # every word of the code line carrying digits must be read at least this sure
_SPACE_IN_NUMBER = re.compile(r"(?<=[\d.])[ ]+(?=[\d.])")   # "2504 16-9998": OCR splits digit runs
TESSDATA = "/usr/share/tesseract-ocr/5/tessdata/"   # Debian's tesseract-ocr-vie puts vie.traineddata here
_engines = threading.local()                          # one Tesseract per reader thread (it is not thread-safe)


class OcrTooSlow(Exception):
    """Tesseract gave up on a page at the time limit."""


@dataclass(frozen=True)
class OcrWord:
    text: str
    confidence: float


def straightened(gray: Image.Image) -> Image.Image:
    """The photo rotated so its text lines are horizontal; the corners the rotation uncovers are black, so they are
    never taken for paper."""
    return gray.rotate(skew_angle(gray), resample=Image.Resampling.BICUBIC, expand=True, fillcolor=0)


def _ink(gray: Image.Image) -> Image.Image:
    """Dark marks on a small copy: darker than their neighbourhood (so uneven light does not matter)."""
    small = gray.copy()
    small.thumbnail((SKEW_SIDE, SKEW_SIDE))
    pixels = np.asarray(small, dtype=np.int16)
    local = np.asarray(small.filter(ImageFilter.BoxBlur(12)), dtype=np.int16)
    return Image.fromarray(((pixels < local - 18) * 255).astype(np.uint8))


def _sharpness(ink: Image.Image, angle: float) -> float:
    rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32).sum(axis=1)
    return float(np.square(np.diff(rows)).sum())


def skew_angle(gray: Image.Image) -> float:
    """The rotation (degrees, within ±16) that makes the text lines horizontal: the one whose row profile of ink is
    sharpest, searched coarsely then finely."""
    ink = _ink(gray)
    coarse = max(np.arange(-16.0, 16.5, 1.5), key=lambda a: _sharpness(ink, float(a)))
    return float(max(np.arange(coarse - 1.25, coarse + 1.5, 0.25), key=lambda a: _sharpness(ink, float(a))))


def page_of(gray: Image.Image) -> Image.Image:
    """The bright paper cut out of a darker desk; the whole image when no such page stands out."""
    pixels = np.asarray(gray, dtype=np.float32)
    bright = pixels > (pixels.mean() + pixels.max()) / 2 * 0.9
    rows = np.flatnonzero(bright.mean(axis=1) > 0.2)
    cols = np.flatnonzero(bright.mean(axis=0) > 0.2)
    if len(rows) < gray.height // 10 or len(cols) < gray.width // 10:
        return gray
    return gray.crop((int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1))


def _engine() -> tesserocr.PyTessBaseAPI:
    engine = getattr(_engines, "api", None)
    if engine is None:
        engine = _engines.api = tesserocr.PyTessBaseAPI(path=TESSDATA, lang="vie", psm=tesserocr.PSM.SINGLE_BLOCK)
        engine.SetVariable("tessedit_do_invert", "0")      # print is dark on light: skip reading lines inverted
    return engine


def _lines(image: Image.Image, timeout: float) -> list[list[OcrWord]]:
    """The words Tesseract reads in `image`, line by line, with their confidence (0-100)."""
    engine = _engine()
    engine.SetImage(image)
    if not engine.Recognize(timeout=max(1, int(timeout * 1000))):
        raise OcrTooSlow
    lines: list[list[OcrWord]] = []
    words = engine.GetIterator()
    for word in tesserocr.iterate_level(words, tesserocr.RIL.WORD) if words is not None else ():
        text = word.GetUTF8Text(tesserocr.RIL.WORD)
        if not text or not text.strip():
            continue
        if not lines or word.IsAtBeginningOf(tesserocr.RIL.TEXTLINE):
            lines.append([])
        lines[-1].append(OcrWord(text, word.Confidence(tesserocr.RIL.WORD)))
    return lines


def confident_codes(lines: list[list[OcrWord]]) -> list[str]:
    """The codes in the read lines whose words with digits were all read with confidence."""
    codes: list[str] = []
    for words in lines:
        found = extract_dossier_codes(_SPACE_IN_NUMBER.sub("", " ".join(w.text for w in words)))
        sure = all(w.confidence >= MIN_CONFIDENCE for w in words if any(c.isdigit() for c in w.text))
        codes += [code for code in found if sure and code not in codes]
    return codes


def codes_in_print(straight: Image.Image, timeout: float) -> list[str]:
    """Codes printed on the slip in a straightened greyscale photo; `timeout` bounds each Tesseract run
    (OcrTooSlow beyond it)."""
    page = page_of(straight)
    split = int(page.height * TOP_SHARE)
    codes = confident_codes(_lines(page.crop((0, 0, page.width, split)), timeout))
    if codes:
        return codes
    return confident_codes(_lines(page.crop((0, max(0, split - 60), page.width, page.height)), timeout))
