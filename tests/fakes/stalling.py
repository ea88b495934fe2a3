"""A server that accepts connections and never answers: a dialogue engine too slow to wait for."""
from __future__ import annotations

import socket
import threading


class StallingServer:
    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)

    def __enter__(self) -> "StallingServer":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._sock.close()
        for conn in self._held:
            conn.close()
