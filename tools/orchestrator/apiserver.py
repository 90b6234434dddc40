"""Serving the domain manager's API: in the foreground (`maestro orchestrator serve`) or
from a background thread on a free loopback port (`ApiServer`, for tests and benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from .api import create_app, owner_file
from .auth import TokenStore
from .gate import Limits
from .service import DomainService, MeshDomainManager
from .tenancy import OwnerBook


def build_app(domain: str | Path, tokens: TokenStore, limits: Limits | None = None) -> Any:
    """The API app for a domain folder, with the tenants' ownership kept beside it."""
    root = Path(domain)
    service = DomainService(MeshDomainManager(root))
    return create_app(service, tokens, owners=OwnerBook(owner_file(root)), limits=limits)


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Listen before uvicorn starts, so a busy port fails here and port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    return sock


def _config(app: Any, log_level: str) -> uvicorn.Config:
    # No access log: a log line per request would hold URLs, and none is needed to debug.
    return uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )


def serve(app: Any, sock: socket.socket, log_level: str = "warning") -> None:
    try:
        uvicorn.Server(_config(app, log_level)).run(sockets=[sock])
    finally:
        sock.close()


class ApiServer:
    """`with ApiServer(domain, tokens) as srv:` serves on `srv.url` until the block ends."""

    def __init__(
        self,
        domain: str | Path,
        tokens: TokenStore,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        log_level: str = "warning",
    ) -> None:
        self.app = build_app(domain, tokens, limits)
        self.host = host
        self._port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        if self._sock is None:
            raise RuntimeError("ApiServer is not started")
        return f"http://{self.host}:{self._sock.getsockname()[1]}"

    def start(self, timeout: float = 10.0) -> ApiServer:
        self._sock = bind_socket(self.host, self._port)
        server = uvicorn.Server(_config(self.app, self._log_level))
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._sock]}, name="domain-api", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"domain API did not start on {self.host}:{self._port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server, self._thread, self._sock = None, None, None

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = ["ApiServer", "bind_socket", "build_app", "serve"]
