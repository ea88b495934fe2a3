"""The gateway started inside a tool's process on a free port (SQLite in a temporary folder, no Rasa needed), with a
throw-away staff administrator: for benchmarks that must go through the real HTTP API."""
from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import uvicorn


@contextmanager
def local_gateway() -> Iterator[tuple[str, str, str]]:
    from channels.app import create_app
    from settings import SETTINGS

    folder = Path(tempfile.mkdtemp(prefix="tthc-tool-"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    user, password = "bench.admin", "benchmark-password"
    settings = replace(SETTINGS, database_url=f"sqlite:///{folder / 'gateway.db'}", staff_admin_user=user,
                       staff_admin_password=password, rasa_url="http://127.0.0.1:9", rasa_timeout=1)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the gateway did not start")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}", user, password
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def tool_arguments(description: str) -> argparse.ArgumentParser:
    """The options every gateway tool takes: a running gateway (--url, --user, --password) or none (start one)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", help="a running gateway; without it one is started in this process")
    parser.add_argument("--user")
    parser.add_argument("--password")
    return parser


def with_gateway(args: argparse.Namespace, run: Callable[..., None], *more: object) -> None:
    """`run(url, user, password, *more)` against --url, or against a gateway started here."""
    if args.url:
        run(args.url, args.user, args.password, *more)
        return
    with local_gateway() as (url, user, password):
        run(url, user, password, *more)
