"""Zalo webhook signatures: `X-ZEvent-Signature` is `mac=` + hex SHA-256 (a plain hash, not an HMAC) of
app_id + raw body + the body's timestamp + the OA secret key."""
from __future__ import annotations

import hashlib
import hmac


def zalo_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    digest = hashlib.sha256()
    digest.update(app_id.encode())
    digest.update(raw_body)
    digest.update(timestamp.encode())
    digest.update(oa_secret_key.encode())
    return digest.hexdigest()


def signature_valid(header: str | None, app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> bool:
    """True when `header` (with or without the `mac=` prefix) is the expected signature; constant-time."""
    if not header:
        return False
    given = header.strip().removeprefix("mac=").strip().lower()
    expected = zalo_signature(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(given.encode(), expected.encode())
