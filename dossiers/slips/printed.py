"""Dossier codes in the printed text of a photo: how to straighten the page (up to ±16°); then cut it out of the desk, read it
with Tesseract (Vietnamese data, Debian's `tesseract-ocr-vie`), the top of the page first (the Circular 01/2018
form prints the code under its title), and keep only codes read with confidence, so a misread is refused rather
than guessed."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytesseract
from PIL import Image

from dossiers.codes import extract_dossier_codes

ANGLES = np.arange(-16.0, 16.5, 0.5)
TOP_SHARE = 0.35                         # the first pass reads this share of the page's height
MIN_CONFIDENCE = 75.0                    # every word of the code line carrying digits must be read at least this sure
_SPACE_IN_NUMBER = re.compile(r"(?<=[\d.])[ ]+(?=[\d.])")   # "2504 16-9998": OCR splits digit runs
_CONFIG = "--psm 6"


@dataclass(frozen=True)
class OcrWord:
    text: str
    confidence: float


def skew_angle(gray: Image.Image) -> float:
    """The rotation (degrees) that makes the text lines horizontal: the one whose row profile of dark pixels is
    sharpest."""
    small = gray.copy()
    small.thumbnail((600, 600))
    pixels = np.asarray(small, dtype=np.float32)
    ink = Image.fromarray(((pixels < pixels.mean() - 25) * 255).astype(np.uint8))
    best, best_angle = -1.0, 0.0
    for angle in ANGLES:
        rows = np.asarray(ink.rotate(float(angle), resample=Image.Resampling.NEAREST), dtype=np.float32).sum(axis=1)
        score = float(np.square(np.diff(rows)).sum())
        if score > best:
            best, best_angle = score, float(angle)
    return best_angle


def page_of(gray: Image.Image) -> Image.Image:
    """The bright paper cut out of a darker desk; the whole image when no such page stands out."""
    pixels = np.asarray(gray, dtype=np.float32)
    bright = pixels > (pixels.mean() + pixels.max()) / 2 * 0.9
    rows = np.flatnonzero(bright.mean(axis=1) > 0.2)
    cols = np.flatnonzero(bright.mean(axis=0) > 0.2)
    if len(rows) < gray.height // 10 or len(cols) < gray.width // 10:
        return gray
    return gray.crop((int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1))


def _lines(image: Image.Image, timeout: float) -> list[list[OcrWord]]:
    data = pytesseract.image_to_data(image, lang="vie", config=_CONFIG, timeout=timeout,
                                     output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for i, text in enumerate(data["text"]):
        if text.strip():
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append(OcrWord(text, float(data["conf"][i])))
    return list(lines.values())


def confident_codes(lines: list[list[OcrWord]]) -> list[str]:
    """The codes in the read lines whose words with digits were all read with confidence."""
    codes: list[str] = []
    for words in lines:
        found = extract_dossier_codes(_SPACE_IN_NUMBER.sub("", " ".join(w.text for w in words)))
        sure = all(w.confidence >= MIN_CONFIDENCE for w in words if any(c.isdigit() for c in w.text))
        codes += [code for code in found if sure and code not in codes]
    return codes


def codes_in_print(straight: Image.Image, timeout: float) -> list[str]:
    """Codes printed on the slip in a straightened greyscale photo; `timeout` bounds each Tesseract run (its
    process is killed beyond it)."""
    page = page_of(straight)
    split = int(page.height * TOP_SHARE)
    codes = confident_codes(_lines(page.crop((0, 0, page.width, split)), timeout))
    if codes:
        return codes
    return confident_codes(_lines(page.crop((0, max(0, split - 60), page.width, page.height)), timeout))
