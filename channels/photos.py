"""Photos that citizens send, fetched into memory (never written anywhere) and handed to the slip reader."""
from __future__ import annotations

import logging

import httpx

from dossiers.slips.reader import SlipReader, SlipReading

log = logging.getLogger(__name__)
DOWNLOAD_TIMEOUT_SECONDS = 15.0


async def download(http: httpx.AsyncClient, url: str, max_bytes: int) -> bytes | SlipReading:
    """The bytes at `url`, or the refusal: larger than `max_bytes` (stopped as soon as it is known), or not
    fetched. The URL comes from a channel's authenticated event."""
    try:
        async with http.stream("GET", url, timeout=DOWNLOAD_TIMEOUT_SECONDS, follow_redirects=True) as response:
            if response.status_code != 200:
                log.warning("photo download: HTTP %d", response.status_code)
                return SlipReading.refused("download_failed")
            announced = response.headers.get("content-length", "")
            if announced.isdigit() and int(announced) > max_bytes:
                return SlipReading.refused("too_large")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    return SlipReading.refused("too_large")
            return bytes(data)
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("photo download failed: %s", type(exc).__name__)
        return SlipReading.refused("download_failed")


async def read_photo_at(reader: SlipReader, http: httpx.AsyncClient, url: str) -> SlipReading:
    data = await download(http, url, reader.limits.max_bytes)
    return data if isinstance(data, SlipReading) else await reader.read_async(data)
