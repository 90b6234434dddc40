"""The assurance loop's policies executed through the orchestrator (CAMINO's domain manager).

Collectors are CNFs: each ``create`` commits one service per collector to an edge's
deployment repository (``DomainManager.apply``, all-or-nothing); that edge's reconciler
starts the workloads. ``validate`` waits until the reconciler reports them running and
their ``/healthz`` answers; ``restart`` rolls one collector by changing its package (a new
generation parameter), ``recreate`` deletes its package and applies it again; monitoring
reads ``DomainManager.status()``. The project has no collector image yet, so the
``chain-backend`` CNF (a small HTTP service) stands in for a collector; ``package`` picks
another one.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
import urllib.request
from typing import Any

from maestro.graphs.executor import (
    DOWN_READING,
    ExecResult,
    MonitoringDown,
    domain_api,
    healthy_reading,
)

__all__ = ["OrchestratorExecutor"]


def _names(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


class OrchestratorExecutor:
    """An :class:`~maestro.graphs.executor.Executor` over a ``DomainManager``."""

    def __init__(
        self,
        manager: Any,
        intent_name: str = "assurance",
        edge: str | None = None,
        package: str = "chain-backend",
        zone_availability: float = 0.999,
        sizes: dict[str, int] | None = None,
        ready_timeout_s: float = 60.0,
    ) -> None:
        self.manager = manager
        self.intent_name = intent_name
        self.edge = edge or manager.config.edges[0].id
        self.package = package
        self.zone_availability = zone_availability
        self.sizes = dict(sizes or {"small": 50, "medium": 20, "large": 15})
        self.ready_timeout_s = ready_timeout_s
        self.generation: dict[str, int] = {}  # collector -> package generation
        self.urls: dict[str, str] = {}
        self.started: set[str] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    # -- the domain manager ---------------------------------------------------------------
    def _intent(self) -> dict[str, Any]:
        return {
            "name": self.intent_name,
            "services": {
                n: {
                    "package": self.package,
                    "edge": self.edge,
                    "params": {"message": f"collector {n} generation {g}"},
                }
                for n, g in self.generation.items()
            },
        }

    def _apply(self) -> None:
        result = self.manager.apply(self._intent())
        self.urls = {s.name: str(s.outputs["url"]) for s in result.services}

    def _workloads(self) -> dict[str, Any]:
        status = self.manager.status()
        return {
            w.key.split("/", 1)[1]: w
            for e in status.edges
            for w in e.workloads
            if w.key.startswith(f"{self.intent_name}/")
        }

    def _answers(self, name: str) -> bool:
        url = self.urls.get(name)
        if url is None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def _ready(self, names: list[str], since: dict[str, int | None] | None = None) -> bool:
        """Wait for the reconciler to run them (a new pid where ``since`` gives the old)."""
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):  # a status read during a commit may fail
                w = self._workloads()
                fresh = all(
                    n in w
                    and w[n].state == "running"
                    and (since is None or w[n].pid != since.get(n))
                    for n in names
                )
                if fresh and all(self._answers(n) for n in names):
                    return True
            time.sleep(0.2)
        return False

    def kill(self, name: str) -> None:
        """Fault injection: the collector's process dies without notice."""
        w = self._workloads().get(name)
        if w is not None and w.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(w.pid, signal.SIGKILL)

    # -- the API ---------------------------------------------------------------------------
    def call(self, api: str, args: dict[str, Any]) -> ExecResult:
        with self._lock:
            self.calls.append((api, dict(args)))
            try:
                return self._call(api, args)
            except Exception as exc:  # the orchestrator's refusals are results, not crashes
                return ExecResult(False, {}, f"{api}: {type(exc).__name__}: {exc}")

    def _call(self, api: str, a: dict[str, Any]) -> ExecResult:
        common = domain_api(api, a, self.zone_availability, self.sizes)
        if common is not None:
            return common
        if api == "create":
            names = _names(a["names"])
            if int(float(a["count"])) != len(names):
                return ExecResult(False, {}, f"count {a['count']} but {len(names)} names")
            for n in names:
                self.generation[n] = self.generation.get(n, 0) + 1
            self._apply()
            return ExecResult(
                True, [{"name": n, "url": self.urls[n], "edge": self.edge} for n in names]
            )
        if api == "validate":
            names = _names(a["names"])
            ok = self._ready(names)
            return ExecResult(ok, {"running": ok}, None if ok else "not running in time")
        if api == "start":
            names = _names(a["names"])
            missing = [n for n in names if n not in self.generation]
            if missing:
                return ExecResult(False, {}, f"not created: {', '.join(missing)}")
            self.started |= set(names)
            return ExecResult(True, {"service": a["service"], "started": names})
        if api in ("restart", "recreate", "delete"):
            name = str(a["name"])
            if name not in self.generation:
                return ExecResult(False, {}, f"{name} is not deployed")
            before = {name: getattr(self._workloads().get(name), "pid", None)}
            if api in ("recreate", "delete"):
                self.manager.delete(self.intent_name, services=[name])
            if api == "delete":
                self.generation.pop(name)
                self.started.discard(name)
                return ExecResult(True, {"name": name, "status": "deleted"})
            self.generation[name] += 1  # a changed package: the reconciler rolls it
            self._apply()
            ok = self._ready([name], before)
            return ExecResult(
                ok,
                {"name": name, "status": "active" if ok else "pending"},
                None if ok else f"{name} not running again in time",
            )
        if api == "get_health":
            return ExecResult(True, self.observe())
        return ExecResult(False, {}, f"unknown API {api!r}")

    def observe(self) -> dict[str, Any]:
        try:
            workloads = self._workloads()
        except Exception as exc:
            raise MonitoringDown(f"domain status unavailable: {exc}") from exc
        subs = {}
        for n in self.generation:
            w = workloads.get(n)
            up = w is not None and w.state == "running" and self._answers(n)
            subs[n] = healthy_reading({}, n in self.started) if up else DOWN_READING
        return {"subservices": subs}

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            if self.generation:
                self.manager.delete(self.intent_name)

    def describe(self) -> str:
        return json.dumps({"edge": self.edge, "package": self.package, "urls": self.urls})
