"""Dossier codes in the QR codes and barcodes of a photo (zxing-cpp): the code is the decoded text itself, or sits
in a lookup URL's query (`?maHoSo=…`) or path."""
from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import zxingcpp
from PIL import Image

from dossiers.codes import extract_dossier_codes, normalise_dossier_code


def codes_in_symbol_text(text: str) -> list[str]:
    """The dossier codes a decoded symbol carries: the whole text, else a URL's query values, else its path."""
    whole = normalise_dossier_code(text)
    if whole is not None:
        return [whole]
    parts = urlsplit(text.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        values = [value for _, value in parse_qsl(parts.query)] + [unquote(parts.path)]
        codes = [code for value in values for code in extract_dossier_codes(value)]
        return list(dict.fromkeys(codes))
    return extract_dossier_codes(text)


def codes_in_symbols(gray: Image.Image) -> list[str]:
    """Every dossier code carried by a valid QR code or barcode in the greyscale image, in reading order."""
    codes: list[str] = []
    for symbol in zxingcpp.read_barcodes(gray, try_invert=False):
        if symbol.valid:
            codes += [code for code in codes_in_symbol_text(symbol.text) if code not in codes]
    return codes
