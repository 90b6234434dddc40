"""Serving the domain manager's API: in the foreground (`maestro orchestrator serve`) or
from a background thread on a free loopback port (`ApiServer`, for tests and benchmarks)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from ..serving import ThreadedServer, bind_socket, serve_on
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


serve = serve_on  # `maestro orchestrator serve`: in the foreground on a socket bound first


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
        self._serving = ThreadedServer("domain API")

    @property
    def url(self) -> str:
        if self._serving.sock is None:
            raise RuntimeError("ApiServer is not started")
        return f"http://{self.host}:{self._serving.sock.getsockname()[1]}"

    def start(self, timeout: float = 10.0) -> ApiServer:
        self._serving.bind(self.host, self._port)
        self._serving.run(self.app, self._log_level, timeout)
        return self

    def stop(self) -> None:
        self._serving.stop()

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
