"""Serving a Starlette/FastAPI app with uvicorn on a socket bound beforehand, in the
foreground (a `... serve` command) or from a daemon thread (tests, benchmarks, embedding).

Binding first means a busy port fails before uvicorn starts, and port 0 picks a free port
the caller can read back. No access log: a line per request would hold URLs.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


def bind_socket(
    host: str = "127.0.0.1", port: int = 0, *, inheritable: bool = False
) -> socket.socket:
    """A listening socket (OSError when the address is unavailable)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    if inheritable:
        sock.set_inheritable(True)
    return sock


def uvicorn_config(app: Any, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )


def serve_on(app: Any, sock: socket.socket, log_level: str = "warning") -> None:
    """Serve until interrupted, then release the socket."""
    try:
        uvicorn.Server(uvicorn_config(app, log_level)).run(sockets=[sock])
    finally:
        sock.close()


class ThreadedServer:
    """uvicorn in a daemon thread on a socket this object binds; `stop` is idempotent."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        return self._thread is not None

    def bind(self, host: str, port: int, *, inheritable: bool = False) -> socket.socket:
        self.sock = bind_socket(host, port, inheritable=inheritable)
        return self.sock

    def run(self, app: Any, log_level: str, timeout: float) -> None:
        """Serve `app` on the bound socket; RuntimeError when it does not start in time."""
        if self.sock is None:
            raise RuntimeError(f"{self.name}: bind() before run()")
        server = uvicorn.Server(uvicorn_config(app, log_level))
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self.sock]}, name=self.name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                host, port = self.sock.getsockname()[:2]
                self.stop()
                raise RuntimeError(f"{self.name} did not start on {host}:{port}")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.sock is not None:
            self.sock.close()
        self._server, self._thread, self.sock = None, None, None


__all__ = ["ThreadedServer", "bind_socket", "serve_on", "uvicorn_config"]
