"""Run the replay app under uvicorn: in the foreground (`python -m refdata.replay`) or in a
background thread on an ephemeral 127.0.0.1 port (tests, notebooks)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

# date_header=False: the app sets Date to the capture time; uvicorn would add a wall-clock one.
UVICORN_OPTIONS: dict[str, Any] = {
    "date_header": False,
    "server_header": False,
    "access_log": False,
    "timeout_graceful_shutdown": 2,
}


class ReplayServer:
    """`with ReplayServer(app) as url:` serves `app` on 127.0.0.1:<free port> until exit."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        config = uvicorn.Config(app, log_level=log_level, **UVICORN_OPTIONS)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="replay-server", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> str:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"replay server did not start on {self.url}")
            time.sleep(0.01)
        return self.url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
