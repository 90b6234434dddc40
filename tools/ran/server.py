"""The RAN driver over HTTP: the same operations as JSON, plus `/metrics` for Prometheus.

This is the "at scale" form of the embedded emulator: one process serves the cell, any number
of negotiations drive it with `HttpRanDriver`, and Prometheus scrapes it. A RIC gateway could
expose the same routes in front of a real gNB.

Routes: GET /state, POST /policy (TS 28.541 ratios, or a list of FlexRIC NVS slices),
POST /cell {"on": bool}, POST /demand {"slice_id", "mbps"}, POST /advance {"seconds"},
POST /cqi {"cqi": int | null} (emulator only), GET /metrics, GET /healthz.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .driver import CellState, RanDriver
from .emulator import RanEmulator
from .slices import SlicePolicy, from_nvs

METRIC_NAMES = (
    "maestro_ran_cell_on",
    "maestro_ran_cqi",
    "maestro_ran_capacity_mbps",
    "maestro_ran_throughput_mbps",
    "maestro_ran_demand_mbps",
    "maestro_ran_prbs_used",
    "maestro_ran_prbs_total",
    "maestro_ran_time_seconds",
    "maestro_ran_slice_throughput_mbps",
    "maestro_ran_slice_demand_mbps",
    "maestro_ran_slice_prbs",
    "maestro_ran_slice_min_ratio",
    "maestro_ran_slice_max_ratio",
    "maestro_ran_slice_dedicated_ratio",
)


class BadRequest(ValueError):
    """A request the client got wrong: answered 400 with a message naming the field."""


def validation_message(exc: ValidationError) -> str:
    """One line per bad field, `a.b: message`, the way users read pydantic errors."""
    parts = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


class RanCollector:
    """Reads the driver at scrape time, so /metrics is never staler than the cell itself."""

    def __init__(self, driver: RanDriver) -> None:
        self.driver = driver

    def collect(self) -> Iterator[Metric]:
        yield from state_metrics(self.driver.cell_state())


def state_metrics(state: CellState) -> Iterator[Metric]:
    """The Prometheus gauges for one cell state."""

    def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, doc, value=value)

    yield gauge("maestro_ran_cell_on", "1 when the cell is on, 0 when switched off", state.on)
    yield gauge(
        "maestro_ran_cqi", "Channel quality indicator reported by the cell (0..15)", state.cqi
    )
    yield gauge(
        "maestro_ran_capacity_mbps",
        "Downlink capacity of the whole cell at this CQI",
        state.capacity_mbps,
    )
    yield gauge(
        "maestro_ran_throughput_mbps",
        "Downlink throughput carried by all slices",
        state.throughput_mbps,
    )
    yield gauge("maestro_ran_demand_mbps", "Downlink load offered by all slices", state.demand_mbps)
    yield gauge(
        "maestro_ran_prbs_used", "PRBs granted in the last scheduling step", state.prbs_used
    )
    yield gauge("maestro_ran_prbs_total", "PRBs in the carrier (TS 38.101-1)", state.n_prb)
    yield gauge("maestro_ran_time_seconds", "Emulated clock: seconds into the trace", state.t_s)
    per_slice: list[tuple[str, str, Callable[[str], float | None]]] = [
        (
            "maestro_ran_slice_throughput_mbps",
            "Downlink throughput carried by the slice",
            lambda sid: state.slices[sid].mbps,
        ),
        (
            "maestro_ran_slice_demand_mbps",
            "Downlink load offered by the slice",
            lambda sid: state.slices[sid].demand_mbps,
        ),
        (
            "maestro_ran_slice_prbs",
            "PRBs granted to the slice in the last step",
            lambda sid: state.slices[sid].prbs,
        ),
    ]
    for name, doc, value_of in per_slice:
        family = GaugeMetricFamily(name, doc, labels=["slice"])
        for sid in state.slices:
            family.add_metric([sid], float(value_of(sid) or 0.0))
        yield family
    ratios = list(state.policy.slices) if state.policy is not None else []
    for field, doc in (
        ("min_ratio", "rRMPolicyMinRatio in force for the slice (percent of PRBs)"),
        ("max_ratio", "rRMPolicyMaxRatio in force for the slice (percent of PRBs)"),
        ("dedicated_ratio", "rRMPolicyDedicatedRatio in force for the slice (percent of PRBs)"),
    ):
        family = GaugeMetricFamily(f"maestro_ran_slice_{field}", doc, labels=["slice"])
        for ratio in ratios:
            family.add_metric([ratio.slice_id], float(getattr(ratio, field)))
        yield family


def create_app(driver: RanDriver, threaded: bool | None = None) -> Starlette:
    """A Starlette app serving `driver`.

    The emulator answers in microseconds, so its calls run on the event loop; any other driver
    (a proxy, a RIC gateway) may block and runs in the thread pool unless `threaded=False`.
    """
    if threaded is None:
        threaded = not isinstance(driver, RanEmulator)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RanCollector(driver))

    async def call(fn: Callable[..., Any], *args: Any) -> Any:
        if threaded:
            return await run_in_threadpool(fn, *args)
        return fn(*args)

    async def body_of(request: Request) -> Any:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadRequest(f"body: not valid JSON ({exc})") from exc

    def object_body(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadRequest(f"body: expected a JSON object, got {type(body).__name__}")
        return body

    def ok(model: Any) -> JSONResponse:
        return JSONResponse(model.model_dump(mode="json", by_alias=True))

    async def get_state(request: Request) -> Response:
        return ok(await call(driver.cell_state))

    async def post_policy(request: Request) -> Response:
        body = await body_of(request)
        try:
            policy = (
                from_nvs(body)
                if isinstance(body, list)
                else SlicePolicy.model_validate(object_body(body))
            )
        except ValidationError as exc:
            raise BadRequest(validation_message(exc)) from exc
        return ok(await call(driver.apply_policy, policy))

    async def post_cell(request: Request) -> Response:
        body = object_body(await body_of(request))
        on = body.get("on")
        if not isinstance(on, bool):
            raise BadRequest(f"on: must be true or false, got {json.dumps(on)}")
        return ok(await call(driver.set_cell_on, on))

    async def post_demand(request: Request) -> Response:
        body = object_body(await body_of(request))
        if "slice_id" not in body:
            raise BadRequest("slice_id: field required")
        if "mbps" not in body:
            raise BadRequest("mbps: field required")
        await call(driver.set_demand, body["slice_id"], body["mbps"])
        return ok(await call(driver.cell_state))

    async def post_advance(request: Request) -> Response:
        body = object_body(await body_of(request))
        return ok(await call(driver.advance, body.get("seconds", 1.0)))

    async def post_cqi(request: Request) -> Response:
        set_cqi = getattr(driver, "set_cqi", None)
        if set_cqi is None:
            return JSONResponse({"error": "this driver cannot pin the CQI"}, status_code=404)
        body = object_body(await body_of(request))
        if "cqi" not in body:
            raise BadRequest("cqi: field required (an integer 0..15, or null for the trace)")
        return ok(await call(set_cqi, body["cqi"]))

    async def metrics(request: Request) -> Response:
        data = await call(generate_latest, registry)
        return Response(data, media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def bad_request(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    routes = [
        Route("/state", get_state, methods=["GET"]),
        Route("/policy", post_policy, methods=["POST"]),
        Route("/cell", post_cell, methods=["POST"]),
        Route("/demand", post_demand, methods=["POST"]),
        Route("/advance", post_advance, methods=["POST"]),
        Route("/cqi", post_cqi, methods=["POST"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    # ValueError covers BadRequest and the drivers' own input checks (they name the field).
    return Starlette(routes=routes, exception_handlers={ValueError: bad_request})


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Listen before uvicorn starts: port 0 picks a free port, and a busy port fails here."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _config(driver: RanDriver, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(driver),
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )


def serve(
    driver: RanDriver,
    host: str = "127.0.0.1",
    port: int = 8080,
    log_level: str = "warning",
    sock: socket.socket | None = None,
) -> None:
    """Serve `driver` until interrupted (raises OSError if the address is unavailable).

    Pass an already listening `sock` (from `bind_socket`) to learn the port before serving.
    """
    if sock is None:
        sock = bind_socket(host, port)
    try:
        uvicorn.Server(_config(driver, log_level)).run(sockets=[sock])
    finally:
        sock.close()


class RanServer:
    """Serve a driver from a background thread on a free loopback port, as a context manager.

    >>> with RanServer(RanEmulator(cqi=15)) as srv:
    ...     HttpRanDriver(srv.url).cell_state().capacity_mbps
    """

    def __init__(
        self,
        driver: RanDriver | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.driver: RanDriver = driver if driver is not None else RanEmulator()
        self.host = host
        self._port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("RanServer is not started")
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> RanServer:
        if self._thread is not None:
            raise RuntimeError("RanServer already started")
        self._sock = bind_socket(self.host, self._port)
        server = uvicorn.Server(_config(self.driver, self._log_level))
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._sock]}, name="ran-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"RAN server did not start on {self.host}:{self._port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server, self._thread, self._sock = None, None, None

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
    "BadRequest",
    "RanCollector",
    "RanServer",
    "bind_socket",
    "create_app",
    "serve",
    "state_metrics",
    "validation_message",
]
