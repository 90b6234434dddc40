"""The RAN driver over HTTP: the same operations as JSON, plus `/metrics` for Prometheus.

This is the "at scale" form of the embedded emulator: one process serves the cell, any number
of negotiations drive it with `HttpRanDriver`, and Prometheus scrapes it. A RIC gateway could
expose the same routes in front of a real gNB.

Routes: GET /state, POST /policy (TS 28.541 ratios, or a list of FlexRIC NVS slices),
POST /cell {"on": bool}, POST /demand {"slice_id", "mbps"}, POST /advance {"seconds"},
POST /cqi {"cqi": int | null} (emulator only), GET /metrics, GET /healthz.

Every POST needs `Authorization: Bearer <token>`; the reads are open on loopback only. Bodies
are checked by `guard` before the driver sees them, and every error is JSON
`{"error": "<field>: <what is wrong>"}` with its status: 400 unreadable body, 401 token,
404/405 route, 409 slice limit, 413 body size, 422 invalid field, 502 upstream driver, 500 bug.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..serving import ThreadedServer, serve_on
from ..serving import bind_socket as tools_bind_socket
from .driver import RanDriver, RanDriverError
from .emulator import RanEmulator
from .guard import (
    AdvanceBody,
    CellBody,
    CqiBody,
    DemandBody,
    Limits,
    check_slice_count,
    check_token,
    is_loopback,
    new_token,
    parse_body,
    parse_policy,
    read_json,
    require_token,
)
from .metrics import METRIC_NAMES, RanCollector, state_metrics

Handler = Callable[[Request], Awaitable[Response]]


def create_app(
    driver: RanDriver,
    threaded: bool | None = None,
    *,
    token: str,
    open_reads: bool = True,
    limits: Limits | None = None,
) -> Starlette:
    """A Starlette app serving `driver`; POST routes need `token`, reads too unless `open_reads`.

    The emulator answers in microseconds, so its calls run on the event loop (which also makes
    each request's check-then-change atomic); any other driver (a proxy, a RIC gateway) may
    block and runs in the thread pool unless `threaded=False`.
    """
    check_token(token)
    limits = limits or Limits()
    if threaded is None:
        threaded = not isinstance(driver, RanEmulator)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RanCollector(driver))

    async def call(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            if threaded:
                return await run_in_threadpool(fn, *args)
            return fn(*args)
        except RanDriverError as exc:  # a proxied driver's upstream failed
            raise HTTPException(502, f"driver: {exc}") from None
        except ValueError as exc:  # the driver's own input checks name the field
            raise HTTPException(422, str(exc)) from None

    def writes(handler: Handler) -> Handler:
        async def checked(request: Request) -> Response:
            require_token(request, token)
            return await handler(request)

        return checked

    def reads(handler: Handler) -> Handler:
        return handler if open_reads else writes(handler)

    def ok(model: Any) -> JSONResponse:
        return JSONResponse(model.model_dump(mode="json", by_alias=True))

    async def get_state(request: Request) -> Response:
        return ok(await call(driver.cell_state))

    async def post_policy(request: Request) -> Response:
        policy = parse_policy(await read_json(request, limits), limits)
        state = await call(driver.cell_state)
        loaded = {sid for sid, s in state.slices.items() if s.demand_mbps > 0}
        check_slice_count(set(policy.slice_ids) | loaded, limits)
        return ok(await call(driver.apply_policy, policy))

    async def post_cell(request: Request) -> Response:
        body = parse_body(CellBody, await read_json(request, limits))
        return ok(await call(driver.set_cell_on, body.on))

    async def post_demand(request: Request) -> Response:
        body = parse_body(DemandBody, await read_json(request, limits))
        if body.mbps > 0:  # a zero demand removes load; only new load can add a slice
            state = await call(driver.cell_state)
            check_slice_count(set(state.slices) | {body.slice_id}, limits)
        await call(driver.set_demand, body.slice_id, body.mbps)
        return ok(await call(driver.cell_state))

    async def post_advance(request: Request) -> Response:
        body = parse_body(AdvanceBody, await read_json(request, limits))
        return ok(await call(driver.advance, body.seconds))

    async def post_cqi(request: Request) -> Response:
        set_cqi = getattr(driver, "set_cqi", None)
        if set_cqi is None:
            raise HTTPException(404, "cqi: this driver cannot pin the CQI")
        body = parse_body(CqiBody, await read_json(request, limits))
        return ok(await call(set_cqi, body.cqi))

    async def metrics(request: Request) -> Response:
        data = await call(generate_latest, registry)
        return Response(data, media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    routes = [
        Route("/state", reads(get_state), methods=["GET"]),
        Route("/policy", writes(post_policy), methods=["POST"]),
        Route("/cell", writes(post_cell), methods=["POST"]),
        Route("/demand", writes(post_demand), methods=["POST"]),
        Route("/advance", writes(post_advance), methods=["POST"]),
        Route("/cqi", writes(post_cqi), methods=["POST"]),
        Route("/metrics", reads(metrics), methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )


async def http_error(request: Request, exc: Exception) -> Response:
    """Every refusal as JSON, including the router's own 404 and 405."""
    assert isinstance(exc, HTTPException)
    where = f"{request.method} {request.url.path}"
    message = exc.detail
    if exc.status_code == 404 and message == "Not Found":
        message = f"{where}: no such route"
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        message = f"{where}: method not allowed (allowed: {allowed or 'none'})"
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


async def internal_error(request: Request, exc: Exception) -> Response:
    """A bug or a state JSON cannot carry: say so in JSON (the traceback goes to the log)."""
    return JSONResponse(
        {"error": f"internal error in {request.method} {request.url.path}: {type(exc).__name__}"},
        status_code=500,
    )


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Listen before uvicorn starts: port 0 picks a free port, and a busy port fails here.
    Inheritable, so a child process (the RAN CNF's launcher) can serve on it."""
    return tools_bind_socket(host, port, inheritable=True)


def serve(
    driver: RanDriver,
    host: str = "127.0.0.1",
    port: int = 8080,
    log_level: str = "warning",
    sock: socket.socket | None = None,
    *,
    token: str,
    limits: Limits | None = None,
) -> None:
    """Serve `driver` until interrupted (raises OSError if the address is unavailable).

    Pass an already listening `sock` (from `bind_socket`) to learn the port before serving.
    The reads stay open only when the socket listens on a loopback address.
    """
    check_token(token)
    if sock is None:
        sock = bind_socket(host, port)
    try:
        app = create_app(
            driver, token=token, open_reads=is_loopback(sock.getsockname()[0]), limits=limits
        )
        serve_on(app, sock, log_level)
    finally:
        sock.close()  # also when the app cannot be built (closing twice is harmless)


class RanServer:
    """Serve a driver from a background thread on a free loopback port, as a context manager.

    Without a `token` one is generated; clients find it in `srv.token`:

    >>> with RanServer(RanEmulator(cqi=15)) as srv:
    ...     HttpRanDriver(srv.url, token=srv.token).set_cell_on(False).on
    False
    """

    def __init__(
        self,
        driver: RanDriver | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        *,
        token: str | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.driver: RanDriver = driver if driver is not None else RanEmulator()
        self.token = check_token(token) if token is not None else new_token()
        self.limits = limits or Limits()
        self.host = host
        self._port = port
        self._log_level = log_level
        self._serving = ThreadedServer("RAN server")

    @property
    def port(self) -> int:
        if self._serving.sock is None:
            raise RuntimeError("RanServer is not started")
        return int(self._serving.sock.getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> RanServer:
        if self._serving.started:
            raise RuntimeError("RanServer already started")
        sock = self._serving.bind(self.host, self._port, inheritable=True)
        app = create_app(
            self.driver,
            token=self.token,
            open_reads=is_loopback(sock.getsockname()[0]),
            limits=self.limits,
        )
        self._serving.run(app, self._log_level, timeout)
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        self._serving.stop()

    def __enter__(self) -> RanServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = [
    "METRIC_NAMES",
    "Limits",
    "RanCollector",
    "RanServer",
    "bind_socket",
    "create_app",
    "serve",
    "state_metrics",
]
