"""The web client's network address, as a key: bound by the web chat route while it handles a message and sent
to Rasa in the message metadata, so the dossier actions can limit wrong answers per address. Only a hash leaves
this module (addresses are personal data); Zalo and Telegram messages carry none (their senders are the
platforms' servers)."""
from __future__ import annotations

import hashlib
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("tthc_client_address", default=None)


def address_key(host: str) -> str:
    return hashlib.sha256(f"tthc-client-address:{host}".encode()).hexdigest()[:32]


def bind_client_address(host: str) -> None:
    _current.set(address_key(host))


def current_address_key() -> str | None:
    return _current.get()
