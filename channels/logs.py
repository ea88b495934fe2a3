"""The gateway's log lines: one JSON object per line (or a readable text line, `TTHC_LOG_FORMAT=text`) with the
request id of the work that made them.

JSON fields: `ts` (UTC, ms), `level`, `logger`, `msg`, `request_id` when known, every field passed with
`extra=`, and for an exception `exc_type`, `exc_at` (innermost frame), `exc_trace` (frames, outermost first) and
`exc_cause` (type of the exception it came from). An exception's own message is never written: messages of
errors raised while handling a citizen's words routinely quote those words (KeyError('…'), ValueError('…')) and
those of HTTP clients quote URLs with tokens. Tracebacks stay in the log; replies never carry any.

`configure_logging` is called from the app's lifespan (nothing happens at import) and returns the function that
puts everything back.
"""
from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from channels.request_id import current_request_id

FORMATS = ("json", "text")
ROOT = Path(__file__).resolve().parents[1]
# httpx logs every URL at INFO (Telegram's carry the bot token, Rasa's status call its token); uvicorn's access
# log writes raw paths (web chat paths carry session ids): RequestContext logs route templates instead.
QUIET_LOGGERS = ("httpx", "httpcore", "uvicorn.access")
# uvicorn's own loggers, sent through the same handler while the app runs.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
MAX_FRAMES = 12
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id",
                                                                        "color_message", "taskName"}


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (None outside a request) to every record that passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def _where(frame: traceback.FrameSummary) -> str:
    path = Path(frame.filename)
    try:
        shown = str(path.resolve().relative_to(ROOT))
    except ValueError:
        shown = "/".join(path.parts[-2:])
    return f"{shown}:{frame.lineno} in {frame.name}"


def exception_fields(exc_info: tuple[type[BaseException], BaseException, TracebackType | None]) -> dict[str, Any]:
    """Type, where it was raised, the frames and the cause's type; never the exception's message."""
    kind, value, tb = exc_info
    frames = [_where(f) for f in traceback.extract_tb(tb)][-MAX_FRAMES:] if tb is not None else []
    fields: dict[str, Any] = {"exc_type": kind.__name__}
    if frames:
        fields["exc_at"] = frames[-1]
        fields["exc_trace"] = frames
    cause = value.__cause__ or (None if value.__suppress_context__ else value.__context__)
    if cause is not None:
        fields["exc_cause"] = type(cause).__name__
    return fields


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"),
        "level": record.levelname,
        "logger": record.name,
        "msg": record.getMessage(),
    }
    request_id = getattr(record, "request_id", None)
    if request_id:
        fields["request_id"] = request_id
    fields.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
    if record.exc_info and record.exc_info[0] is not None:
        fields.update(exception_fields(record.exc_info))          # type: ignore[arg-type]
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record), ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`ts LEVEL logger [request_id] msg key=value …` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record_fields(record)
        head = f"{fields.pop('ts')} {fields.pop('level'):<7} {fields.pop('logger')}"
        request_id = fields.pop("request_id", None)
        msg = fields.pop("msg")
        trace = fields.pop("exc_trace", None)
        rest = " ".join(f"{k}={json.dumps(v, ensure_ascii=False, default=str) if not isinstance(v, str) or ' ' in v else v}"
                        for k, v in fields.items())
        line = f"{head} [{request_id or '-'}] {msg}" + (f" {rest}" if rest else "")
        return line + (f" trace={' > '.join(trace)}" if trace else "")


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr


def make_handler(fmt: str) -> logging.Handler:
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise ValueError(f"TTHC_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(fmt: str = "json", level: int = logging.INFO) -> Callable[[], None]:
    """Send every log record (the app's, uvicorn's, libraries') through one handler on the root logger, in `fmt`;
    returns the function that puts back what it found. A later call (a second app, a test) replaces the handler
    until its own function is called; the function of a replaced call does nothing."""
    handler = make_handler(fmt)
    root = logging.getLogger()
    previous = [h for h in root.handlers if isinstance(h, StderrHandler)]
    found = (root.level, {name: (lg.level, list(lg.handlers), lg.propagate)
                          for name in (*UVICORN_LOGGERS, *QUIET_LOGGERS) for lg in [logging.getLogger(name)]})
    for old in previous:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))

    def restore() -> None:
        if handler not in root.handlers:                               # replaced by a later call
            return
        root.removeHandler(handler)
        for old in previous:
            root.addHandler(old)
        root_level, loggers = found
        root.setLevel(root_level)
        for name, (lvl, handlers, propagate) in loggers.items():
            logger = logging.getLogger(name)
            logger.setLevel(lvl)
            logger.handlers = handlers
            logger.propagate = propagate
    return restore
