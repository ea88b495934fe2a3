"""All configuration, read once from environment variables with sane defaults.

Every process (gateway, knowledge-base tools, scripts) imports `SETTINGS` from here;
nothing else reads os.environ.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    # Where generated artefacts (parsed catalogue, indexes, converted model) live; never in git.
    cache_dir: Path
    # Where runtime stores (SQLite databases) live.
    data_dir: Path
    # Raw catalogue shipped in the repo.
    catalogue_source: Path
    # Converted sentence-transformers model folder.
    embedding_model_dir: Path
    # Rasa server the gateway talks to.
    rasa_url: str
    # Gateway bind address.
    app_host: str
    app_port: int
    # Conversation store URL (SQLite by default; PostgreSQL later).
    database_url: str
    # Seconds the gateway waits for Rasa before apologising to the user.
    rasa_timeout: float
    # Maximum characters accepted in one chat message.
    max_message_chars: int
    # Search: set to "0" to disable the dense retriever (lexical only).
    use_dense: bool

    @property
    def catalogue_path(self) -> Path:
        return self.cache_dir / "catalogue.json.gz"

    @property
    def index_dir(self) -> Path:
        return self.cache_dir / "index"


def load_settings() -> Settings:
    cache_dir = Path(_env("TTHC_CACHE_DIR", str(ROOT / ".cache")))
    data_dir = Path(_env("TTHC_DATA_DIR", str(ROOT / ".data")))
    return Settings(
        cache_dir=cache_dir,
        data_dir=data_dir,
        catalogue_source=Path(_env("TTHC_CATALOGUE_SOURCE", str(ROOT / "knowledge_base" / "data" / "procedures.jsonl.gz"))),
        embedding_model_dir=Path(_env("TTHC_EMBEDDING_MODEL_DIR", str(cache_dir / "e5-small"))),
        rasa_url=_env("TTHC_RASA_URL", "http://127.0.0.1:5005"),
        app_host=_env("TTHC_APP_HOST", "127.0.0.1"),
        app_port=int(_env("TTHC_APP_PORT", "8000")),
        database_url=_env("TTHC_DATABASE_URL", f"sqlite:///{data_dir / 'gateway.db'}"),
        rasa_timeout=float(_env("TTHC_RASA_TIMEOUT", "30")),
        max_message_chars=int(_env("TTHC_MAX_MESSAGE_CHARS", "1000")),
        use_dense=_env("TTHC_USE_DENSE", "1") != "0",
    )


SETTINGS = load_settings()
