"""Where the assurance loop's policies run: the :class:`Executor` protocol and an in-process
implementation whose collectors are local processes.

Every policy is one API call (``api``, ``args``) answered by an :class:`ExecResult`
(success flag and state, as the paper feeds back to the LLM). ``observe`` returns the
operational document the drift calculator reads; it raises :class:`MonitoringDown` when no
reading can be taken. The orchestrator's domain manager can implement the same protocol
(deploy collectors as CNFs on an edge); the loop does not know which one it drives.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from maestro.tools.drift import redundancy_needed

__all__ = [
    "APIS",
    "ExecResult",
    "Executor",
    "InProcessExecutor",
    "MonitoringDown",
    "domain_api",
    "healthy_reading",
]

# api -> required arguments. The validator refuses any other api or a missing argument.
APIS: dict[str, tuple[str, ...]] = {
    "get_domain": ("zone",),
    "compliance": ("zone", "availability", "type"),
    "avail": ("zone", "count"),
    "create": ("zone", "count", "size", "names"),
    "validate": ("names",),
    "start": ("names", "service"),
    "schedule": ("check", "frequency"),
    "get_health": ("kpi",),
    "restart": ("name",),
    "recreate": ("name",),
    "scale": ("count",),
    "delete": ("name",),
}


# A collector that does not answer: every resource reading 0, software and links warning
# (Table III's collector 2).
DOWN_READING: dict[str, Any] = {
    "kpis": {"cpu": 0, "ram": 0, "storage": 0, "net": 0, "status": 0},
    "software": 0,
    "agents": [{"resource": 1, "software": 1, "net": 0}],
}


def healthy_reading(h: dict[str, Any], started: bool) -> dict[str, Any]:
    """A collector that answers, with its own resource readings."""
    return {
        "kpis": {
            k: float(h.get(k, d))
            for k, d in (("cpu", 55.0), ("ram", 50.0), ("storage", 45.0), ("net", 100.0))
        }
        | {"status": 100.0},
        "software": 1 if started else 0,
        "agents": [{"resource": 1, "software": 1, "net": 1}],
    }


class MonitoringDown(RuntimeError):
    """No operational reading could be taken this period."""


@dataclass
class ExecResult:
    success: bool
    state: Any = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"success": self.success, "state": self.state, "error": self.error}


@runtime_checkable
class Executor(Protocol):
    def call(self, api: str, args: dict[str, Any]) -> ExecResult: ...

    def observe(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def domain_api(
    api: str, a: dict[str, Any], zone_availability: float, sizes: dict[str, int]
) -> ExecResult | None:
    """The calls every executor answers alike (domain facts, eq. 15, scheduling)."""
    if api == "get_domain":
        return ExecResult(True, {"zone": a["zone"], "availability": zone_availability})
    if api == "compliance":
        target = float(a["availability"])
        target = target / 100 if target > 1 else target
        count = redundancy_needed(target, zone_availability)  # eq. 15, by the tool
        return ExecResult(True, {"type": a["type"], "count": count})
    if api == "avail":
        return ExecResult(True, {"sizes": dict(sizes)})
    if api == "schedule":
        return ExecResult(True, {"check": a["check"], "frequency": a["frequency"]})
    return None


def _names(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


class InProcessExecutor:
    """Collectors as child processes of this one (``python -m maestro.graphs.collector``).

    ``zone_availability`` is the per-resource availability the domain reports (the paper's
    99.9 %); ``sizes`` the free capacity per size. ``fail_apis`` makes those calls fail and
    ``monitoring_failures`` makes that many ``observe`` calls raise (fault injection).
    """

    def __init__(
        self,
        zone_availability: float = 0.999,
        sizes: dict[str, int] | None = None,
        fail_apis: set[str] | None = None,
        monitoring_failures: int = 0,
        probe_timeout_s: float = 1.0,
    ) -> None:
        self.zone_availability = zone_availability
        self.sizes = dict(sizes or {"small": 50, "medium": 20, "large": 15})
        self.fail_apis = set(fail_apis or ())
        self.monitoring_failures = monitoring_failures
        self.probe_timeout_s = probe_timeout_s
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.ports: dict[str, int] = {}
        self.expected: list[str] = []  # collectors the intent needs, created or not
        self.started: set[str] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    # -- workloads -----------------------------------------------------------------------
    def _spawn(self, name: str) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-m", "maestro.graphs.collector", "--name", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.isdigit():
            proc.kill()
            raise RuntimeError(f"collector {name} did not start")
        self.procs[name], self.ports[name] = proc, int(line)

    def _stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        self.ports.pop(name, None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def kill(self, name: str) -> None:
        """Fault injection: the collector dies without notice."""
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def _probe(self, name: str) -> dict[str, Any] | None:
        proc, port = self.procs.get(name), self.ports.get(name)
        if proc is None or port is None or proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/health", timeout=self.probe_timeout_s
            ) as resp:
                data: dict[str, Any] = json.loads(resp.read())
                return data
        except (OSError, ValueError):
            return None

    # -- the API -------------------------------------------------------------------------
    def call(self, api: str, args: dict[str, Any]) -> ExecResult:
        with self._lock:
            self.calls.append((api, dict(args)))
            if api in self.fail_apis:
                return ExecResult(False, {}, f"{api} failed (injected)")
            try:
                return self._call(api, args)
            except (RuntimeError, OSError, ValueError, KeyError, TypeError) as exc:
                return ExecResult(False, {}, f"{api}: {exc}")

    def _call(self, api: str, a: dict[str, Any]) -> ExecResult:
        common = domain_api(api, a, self.zone_availability, self.sizes)
        if common is not None:
            return common
        if api == "create":
            names = _names(a["names"])
            if int(float(a["count"])) != len(names):
                return ExecResult(False, {}, f"count {a['count']} but {len(names)} names")
            if self.sizes.get(str(a["size"]), 0) < len(names):
                return ExecResult(False, {}, f"no {a['size']} capacity for {len(names)}")
            for n in names:
                self._stop(n)
                self._spawn(n)
                if n not in self.expected:
                    self.expected.append(n)
            return ExecResult(True, [{"name": n, "port": self.ports[n]} for n in names])
        if api == "validate":
            states = {n: self._probe(n) is not None for n in _names(a["names"])}
            return ExecResult(all(states.values()), {"reachable": states})
        if api == "start":
            names = _names(a["names"])
            missing = [n for n in names if n not in self.procs]
            if missing:
                return ExecResult(False, {}, f"not created: {', '.join(missing)}")
            self.started |= set(names)
            return ExecResult(True, {"service": a["service"], "started": names})
        if api == "get_health":
            return ExecResult(True, self.observe())
        if api in ("restart", "recreate"):
            name = str(a["name"])
            if api == "recreate":
                self._stop(name)
            else:
                self.kill(name)
            self._spawn(name)
            if name not in self.expected:
                self.expected.append(name)
            return ExecResult(True, {"name": name, "status": "active", "port": self.ports[name]})
        if api == "delete":
            name = str(a["name"])
            self._stop(name)
            self.started.discard(name)
            return ExecResult(True, {"name": name, "status": "deleted"})
        if api == "scale":
            want = int(float(a["count"]))
            for i in range(len(self.expected), want):
                name = f"collector{i + 1}"
                self._spawn(name)
                self.expected.append(name)
                self.started.add(name)
            return ExecResult(True, {"count": want})
        return ExecResult(False, {}, f"unknown API {api!r}")

    def observe(self) -> dict[str, Any]:
        """The operational document of every expected collector (Table III's readings)."""
        with self._lock:
            if self.monitoring_failures > 0:
                self.monitoring_failures -= 1
                raise MonitoringDown("the edge runtime did not answer")
            subs: dict[str, Any] = {}
            for name in self.expected:
                h = self._probe(name)
                if h is None:  # down: every resource reading 0, software and links warning
                    subs[name] = {
                        "kpis": {"cpu": 0, "ram": 0, "storage": 0, "net": 0, "status": 0},
                        "software": 0,
                        "agents": [{"resource": 1, "software": 1, "net": 0}],
                    }
                else:
                    subs[name] = {
                        "kpis": {
                            "cpu": h["cpu"],
                            "ram": h["ram"],
                            "storage": h["storage"],
                            "net": h["net"],
                            "status": 100,
                        },
                        "software": 1 if name in self.started else 0,
                        "agents": [{"resource": 1, "software": 1, "net": 1}],
                    }
            return {"subservices": subs}

    def close(self) -> None:
        with self._lock:
            for name in list(self.procs):
                self._stop(name)
