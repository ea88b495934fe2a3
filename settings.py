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
class ZaloSettings:
    app_id: str
    oa_secret_key: str          # signs webhook events
    app_secret: str             # authenticates token refreshes
    access_token: str           # initial pair; the newest pair lives in the database
    refresh_token: str
    api_base: str
    oauth_base: str

    @property
    def enabled(self) -> bool:
        return bool(self.app_id and self.oa_secret_key and self.access_token)


@dataclass(frozen=True)
class TelegramSettings:
    bot_token: str
    webhook_secret: str         # checked against X-Telegram-Bot-Api-Secret-Token
    webhook_url: str            # public URL registered with Telegram at start-up (empty: not registered)
    api_base: str
    polling: bool               # developer mode without a public URL (`make telegram`)

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token)


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
    # Rasa server(s) the gateway talks to; several, comma-separated: each conversation always goes to the same one.
    rasa_url: str
    # Port of the first Rasa server `make run` starts, and how many it starts (the next ones on the next ports).
    rasa_port: int
    rasa_processes: int
    # Gateway bind address.
    app_host: str
    app_port: int
    # Every gateway store (SQLite file by default; postgresql://… for PostgreSQL).
    database_url: str
    # Rasa's tracker store (conversations' dialogue state), written into Rasa's endpoints by `make run`.
    tracker_store_url: str
    # Redis (redis://host:port/db) shared by several instances: the gateways' rate limits and bus, Rasa's lock
    # store. Empty: one process, in-process limits and notifications, Rasa's in-memory lock store.
    redis_url: str
    # Days conversations and tracker events are kept (`python -m storage purge`).
    retention_days: int
    # Token of Rasa's HTTP API (rasa run --auth-token) and of the gateway's action endpoint (POST /webhook);
    # `make run` makes fresh ones for each run when unset.
    rasa_token: str
    action_token: str
    # Seconds the gateway waits for Rasa before apologising to the user.
    rasa_timeout: float
    # Maximum characters accepted in one chat message.
    max_message_chars: int
    # Web chat messages one conversation may send per minute (an address may send four times as many).
    chat_rate_per_minute: int
    # Reads one web conversation may make per minute (poll, event-stream opens); an address ten times as many, which
    # also bounds its procedure searches.
    read_rate_per_minute: int
    # Search: set to "0" to disable the dense retriever (lexical only).
    use_dense: bool
    # Origins allowed to call the web chat API from other sites (the embedded widget); none by default.
    cors_origins: tuple[str, ...]
    # Sending to Zalo/Telegram: retries of a transient failure and the first backoff (doubles each retry).
    send_retries: int
    send_backoff_seconds: float
    # The outbox relay (every gateway): a message still undelivered after the quick retries is tried again after
    # `outbox_retry_seconds` (doubling, at most an hour) until `outbox_max_attempts` attempts, then kept as failed.
    # A relay holds a message it is sending for `outbox_lease_seconds` (then another relay may take it) and looks
    # for due messages every `outbox_interval_seconds`.
    outbox_max_attempts: int
    outbox_retry_seconds: float
    outbox_lease_seconds: float
    outbox_interval_seconds: float
    zalo: "ZaloSettings"
    telegram: "TelegramSettings"
    # Bearer token of the admin API (PUT /api/admin/dossiers/{code}); empty: the admin API is off.
    admin_token: str
    # A province's dossier lookup API (GET {url}/dossiers/{code}, bearer token); empty: the gateway's own store.
    dossier_source_url: str
    dossier_source_token: str
    # The first administrator of the staff console, created at start-up while no account exists.
    staff_admin_user: str
    staff_admin_password: str
    # A staff session nobody used for this many minutes is refused (sign in again).
    staff_idle_minutes: float
    # When officers answer handovers (Vietnam time) and the days they do not.
    office_hours: str
    holidays: str
    # A claimed handover whose officer did nothing (no reply, console closed) for this many minutes goes back to the
    # queue, or to the assistant once the office has closed.
    handover_idle_minutes: float
    # Seconds between two rounds of the dossier notifier (changes made in this process wake it at once).
    notify_interval_seconds: float
    # Gateway log lines: "json" (one JSON object a line, with the request id) or "text" (one readable line).
    log_format: str
    # The runner of `make run` / `make run-cluster` restarts a process that exits unexpectedly (backoff 1, 2, 4 … 30 s)
    # and stops everything when one process exits `restart_limit` times within `restart_window_seconds`. It keeps
    # each process's restart count in `supervisor_state` (JSON), which the gateway's /metrics reads.
    supervisor_state: Path
    restart_limit: int
    restart_window_seconds: float
    # Photos of appointment slips (chat channels and the staff console): largest file and pixel count read, and
    # the seconds reading one may take.
    slip_max_bytes: int = 10 * 1024 * 1024
    slip_max_pixels: int = 50_000_000
    slip_timeout_seconds: float = 5.0

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
        rasa_port=int(_env("TTHC_RASA_PORT", "5005")),
        rasa_processes=int(_env("TTHC_RASA_PROCESSES", "2")),
        app_host=_env("TTHC_APP_HOST", "127.0.0.1"),
        app_port=int(_env("TTHC_APP_PORT", "8000")),
        database_url=_env("TTHC_DATABASE_URL", f"sqlite:///{data_dir / 'gateway.db'}"),
        tracker_store_url=_env("TTHC_TRACKER_STORE_URL", f"sqlite:///{data_dir / 'rasa_tracker.db'}"),
        redis_url=_env("TTHC_REDIS_URL", ""),
        retention_days=int(_env("TTHC_RETENTION_DAYS", "180")),
        rasa_token=_env("TTHC_RASA_TOKEN", ""),
        action_token=_env("TTHC_ACTION_TOKEN", ""),
        rasa_timeout=float(_env("TTHC_RASA_TIMEOUT", "30")),
        max_message_chars=int(_env("TTHC_MAX_MESSAGE_CHARS", "1000")),
        use_dense=_env("TTHC_USE_DENSE", "1") != "0",
        chat_rate_per_minute=int(_env("TTHC_CHAT_RATE_PER_MINUTE", "30")),
        read_rate_per_minute=int(_env("TTHC_READ_RATE_PER_MINUTE", "60")),
        cors_origins=tuple(o.strip() for o in _env("TTHC_CORS_ORIGINS", "").split(",") if o.strip()),
        send_retries=int(_env("TTHC_SEND_RETRIES", "3")),
        send_backoff_seconds=float(_env("TTHC_SEND_BACKOFF_SECONDS", "0.5")),
        outbox_max_attempts=int(_env("TTHC_OUTBOX_MAX_ATTEMPTS", "10")),
        outbox_retry_seconds=float(_env("TTHC_OUTBOX_RETRY_SECONDS", "30")),
        outbox_lease_seconds=float(_env("TTHC_OUTBOX_LEASE_SECONDS", "60")),
        outbox_interval_seconds=float(_env("TTHC_OUTBOX_INTERVAL_SECONDS", "2")),
        admin_token=_env("TTHC_ADMIN_TOKEN", ""),
        dossier_source_url=_env("TTHC_DOSSIER_SOURCE_URL", ""),
        dossier_source_token=_env("TTHC_DOSSIER_SOURCE_TOKEN", ""),
        staff_admin_user=_env("TTHC_STAFF_ADMIN_USER", ""),
        staff_admin_password=_env("TTHC_STAFF_ADMIN_PASSWORD", ""),
        staff_idle_minutes=float(_env("TTHC_STAFF_IDLE_MINUTES", "30")),
        office_hours=_env("TTHC_OFFICE_HOURS", "Mon-Fri 07:30-11:30,13:30-17:00"),
        holidays=_env("TTHC_HOLIDAYS", ""),
        handover_idle_minutes=float(_env("TTHC_HANDOVER_IDLE_MINUTES", "15")),
        notify_interval_seconds=float(_env("TTHC_NOTIFY_INTERVAL_SECONDS", "2")),
        log_format=_env("TTHC_LOG_FORMAT", "json"),
        supervisor_state=Path(_env("TTHC_SUPERVISOR_STATE", str(data_dir / "supervisor.json"))),
        restart_limit=int(_env("TTHC_RESTART_LIMIT", "5")),
        restart_window_seconds=float(_env("TTHC_RESTART_WINDOW_SECONDS", "60")),
        slip_max_bytes=int(_env("TTHC_SLIP_MAX_BYTES", str(10 * 1024 * 1024))),
        slip_max_pixels=int(_env("TTHC_SLIP_MAX_PIXELS", "50000000")),
        slip_timeout_seconds=float(_env("TTHC_SLIP_TIMEOUT_SECONDS", "5")),
        zalo=ZaloSettings(
            app_id=_env("TTHC_ZALO_APP_ID", ""),
            oa_secret_key=_env("TTHC_ZALO_OA_SECRET_KEY", ""),
            app_secret=_env("TTHC_ZALO_APP_SECRET", ""),
            access_token=_env("TTHC_ZALO_ACCESS_TOKEN", ""),
            refresh_token=_env("TTHC_ZALO_REFRESH_TOKEN", ""),
            api_base=_env("TTHC_ZALO_API_BASE", "https://openapi.zalo.me").rstrip("/"),
            oauth_base=_env("TTHC_ZALO_OAUTH_BASE", "https://oauth.zaloapp.com").rstrip("/"),
        ),
        telegram=TelegramSettings(
            bot_token=_env("TTHC_TELEGRAM_BOT_TOKEN", ""),
            webhook_secret=_env("TTHC_TELEGRAM_WEBHOOK_SECRET", ""),
            webhook_url=_env("TTHC_TELEGRAM_WEBHOOK_URL", ""),
            api_base=_env("TTHC_TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/"),
            polling=_env("TTHC_TELEGRAM_POLLING", "0") == "1",
        ),
    )


SETTINGS = load_settings()
