"""The assurance graph served live: RFC 9418's sub-services, health scores and symptoms as
JSON for dashboards, updated by the loop every period.

    GET /assurance-graph   the latest graph (service and sub-services, health-score,
                           symptoms, dependencies), the period and the time it was taken
    GET /timeline          the loop's events so far
    GET /healthz           ok

A small Starlette app run by uvicorn in a thread of the loop's process, on loopback unless
told otherwise.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from maestro.tools.serving import ThreadedServer

__all__ = ["LiveView", "LiveServer", "make_app"]


class LiveView:
    """What the endpoint shows; the loop writes, the server reads (under a lock)."""

    def __init__(self, intent_id: str = "") -> None:
        self._lock = threading.Lock()
        self.intent_id = intent_id
        self.graph: dict[str, Any] | None = None
        self.period: int | None = None
        self.updated: float | None = None
        self.timeline: list[dict[str, Any]] = []

    def update(self, graph: dict[str, Any], period: int) -> None:
        with self._lock:
            self.graph, self.period, self.updated = copy.deepcopy(graph), period, time.time()

    def event(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.timeline.append(dict(event))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "intent": self.intent_id,
                "period": self.period,
                "updated": self.updated,
                "assurance-graph": copy.deepcopy(self.graph),
            }

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.timeline)


def make_app(view: LiveView) -> Starlette:
    async def graph(request: Request) -> JSONResponse:
        snap = view.snapshot()
        return JSONResponse(snap, status_code=200 if snap["assurance-graph"] else 503)

    async def timeline(request: Request) -> JSONResponse:
        return JSONResponse({"intent": view.intent_id, "timeline": view.events()})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/assurance-graph", graph),
            Route("/timeline", timeline),
            Route("/healthz", healthz),
        ]
    )


class LiveServer:
    """uvicorn in a daemon thread; ``port`` 0 picks a free one (read ``.port`` after start)."""

    def __init__(self, view: LiveView, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.app = make_app(view)
        self._serving = ThreadedServer("the assurance graph server")

    def start(self, timeout_s: float = 10.0) -> LiveServer:
        # Bind here, so that a port in use is an error of this call, not of the thread.
        try:
            sock = self._serving.bind(self.host, self.port)
        except OSError as exc:
            raise RuntimeError(f"cannot listen on {self.host}:{self.port}: {exc}") from None
        self.port = int(sock.getsockname()[1])
        self._serving.run(self.app, "critical", timeout_s)
        return self

    def stop(self) -> None:
        self._serving.stop()
