"""`rasa run`, with fixes to Rasa 3.6's per-turn work that change no behaviour (`python -m bot.server run …`
takes exactly `rasa`'s arguments). Measured with py-spy under `make load`, they were about 40 % of Rasa's CPU:

* Every action call validated the action server's reply with `jsonschema.validate`, which first re-checks the
  schema itself against the JSON-Schema meta-schema (about a quarter of Rasa's time). The same schema is now
  checked once and its validator reused: the reply is validated exactly as before, with the same error.
* The SQLite tracker store committed with a disk flush per event batch (rollback journal, synchronous=FULL). It
  now uses WAL with synchronous=NORMAL, as the gateway's own SQLite stores do: a crash of the process loses
  nothing; a power cut may lose the last turns. PostgreSQL tracker stores are untouched.
* TensorFlow runs each prediction on one thread (unless TF_INTRA_OP/INTER_OP_PARALLELISM_THREADS say otherwise):
  DIET's matrices here are small, and spreading them over both cores cost more CPU than it saved time, CPU the
  gateway needs under load (measured: 41.6 -> 35.8 ms of Rasa CPU per message).

And one fix of who may talk to it:

* Rasa's `--auth-token` guards its HTTP API but not the channels: anyone who reached the REST channel could speak
  as any conversation. The REST channel's POST now needs the same token (`?token=`, as the API takes it); with no
  `--auth-token` every message is refused (fail closed). The gateway sends it (TTHC_RASA_TOKEN).

And two fixes of what Rasa writes to its log:

* Rasa's structured log events may carry what a citizen typed (`rest.message.received.failure` logs the message
  text when a turn fails). Those fields (Rasa's own list of anonymizable keys) are replaced by a placeholder.
* Several Rasa servers started together race to create the tracker store's tables; the loser logged an ERROR at
  every start. Table creation is now retried briefly, so the loser finds the winner's tables.

This module must not import anything from the rest of the application."""
from __future__ import annotations

import functools
import os
import time
from typing import Any, Callable, Dict

HIDDEN = "[hidden]"
# Every key rasa.utils.log_utils._anonymizer treats as conversation content (Rasa 3.6).
CONVERSATION_CONTENT_KEYS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
    "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response", "slot_candidates",
    "rasa_event", "rasa_events", "tracker_states", "current_states", "old_states", "successes", "current_entity",
    "next_entity", "states", "entity", "token_text", "user_message", "json_message",
})


def cached_validator(spec: Callable[[], Dict[str, Any]]) -> Any:
    """The jsonschema validator of `spec()`, its schema checked once."""
    from jsonschema import validators

    schema = spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def reuse_action_response_validator() -> None:
    from jsonschema import ValidationError, exceptions
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    validator = functools.lru_cache(maxsize=1)(lambda: cached_validator(RemoteAction.action_response_format_spec))

    def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        error = exceptions.best_match(validator().iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_tracker_store_without_flush_per_commit() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            _sqlite_wal(dbapi_connection, record)


def hide_conversation_content(_logger: Any, _method: str, event_dict: Dict[str, Any]) -> Dict[str, Any]:
    """structlog processor: no conversation content in a log event."""
    for key in CONVERSATION_CONTENT_KEYS.intersection(event_dict):
        event_dict[key] = HIDDEN
    return event_dict


def log_no_conversation_content() -> None:
    """Rasa's structlog configuration runs `_anonymizer` first on every event: it now hides content instead."""
    from rasa.utils import log_utils

    log_utils._anonymizer = hide_conversation_content


def create_tables_retrying(create_all: Callable[..., None], attempts: int = 10,
                           pause: float = 0.2) -> Callable[..., None]:
    """`create_all` retried while another process creates the same tables (checkfirst then sees them)."""
    import sqlalchemy.exc

    def create(*args: Any, **kwargs: Any) -> None:
        for attempt in range(attempts):
            try:
                return create_all(*args, **kwargs)
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ProgrammingError):
                if attempt == attempts - 1:
                    raise
                time.sleep(pause)

    return create


def tracker_tables_created_once() -> None:
    from rasa.core.tracker_store import SQLTrackerStore

    metadata = SQLTrackerStore.Base.metadata
    metadata.create_all = create_tables_retrying(metadata.create_all)  # type: ignore[method-assign]


def auth_token(argv: list[str]) -> str:
    """The value of `--auth-token` in Rasa's arguments ("" when absent)."""
    for index, arg in enumerate(argv):
        if arg == "--auth-token" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--auth-token="):
            return arg.split("=", 1)[1]
    return ""


def token_given(given: str, expected: str) -> bool:
    import hmac

    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def rest_channel_requires_token(token: str) -> None:
    """The REST channel's POST answers 401 unless `?token=` is `token` (every POST when `token` is empty)."""
    from rasa.core.channels.rest import RestInput
    from sanic import response

    original = RestInput.blueprint

    def blueprint(self: RestInput, on_new_message: Any) -> Any:
        bp = original(self, on_new_message)

        @bp.middleware("request")
        async def require_token(request: Any) -> Any:
            if request.method == "POST" and not token_given(request.args.get("token", ""), token):
                return response.json({"error": "token missing or wrong"}, status=401)
            return None

        return bp

    RestInput.blueprint = blueprint  # type: ignore[method-assign]


def one_thread_per_prediction() -> None:
    for name in ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS"):
        os.environ.setdefault(name, "1")               # read by Rasa when it loads the model


def apply(argv: list[str] | None = None) -> None:
    import sys

    one_thread_per_prediction()
    rest_channel_requires_token(auth_token(sys.argv if argv is None else argv))
    reuse_action_response_validator()
    sqlite_tracker_store_without_flush_per_commit()
    log_no_conversation_content()
    tracker_tables_created_once()


def main() -> None:
    apply()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
