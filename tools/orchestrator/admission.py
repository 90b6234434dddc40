"""Admission control (CAMINO §III-E): does each edge have room for what an intent asks?

Free room on an edge is its capacity, minus what the operator reserves, minus what is in
use. In use is the larger of two figures: the requests of every package already in the
edge's deployment repository (the source of truth), and what monitoring measures there
(Prometheus, read with PromQL, when the domain names one), since a measured load the
repository does not explain still takes room.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .domain import EdgeConfig, Monitoring
from .errors import AdmissionError
from .quantity import cpu_millis, format_cpu, format_memory, memory_bytes
from .setters import read_all


@dataclass
class EdgeRoom:
    edge: str
    capacity_cpu: int
    capacity_mem: int
    reserved_cpu: int
    reserved_mem: int
    used_cpu: int
    used_mem: int
    measured: bool = False

    @property
    def free_cpu(self) -> int:
        return self.capacity_cpu - self.reserved_cpu - self.used_cpu

    @property
    def free_mem(self) -> int:
        return self.capacity_mem - self.reserved_mem - self.used_mem

    def fits(self, cpu: int, mem: int) -> bool:
        return cpu <= self.free_cpu and mem <= self.free_mem

    def take(self, cpu: int, mem: int) -> None:
        self.used_cpu += cpu
        self.used_mem += mem

    def describe(self) -> str:
        return (
            f"{format_cpu(max(self.free_cpu, 0))} CPU and {format_memory(max(self.free_mem, 0))} "
            f"free (capacity {format_cpu(self.capacity_cpu)}/{format_memory(self.capacity_mem)}, "
            f"reserved {format_cpu(self.reserved_cpu)}/{format_memory(self.reserved_mem)}, "
            f"in use {format_cpu(self.used_cpu)}/{format_memory(self.used_mem)})"
        )


def committed_requests(tree: Path, exclude: str | None = None) -> tuple[int, int]:
    """CPU (millicores) and memory (bytes) requested by the Deployments in a deployment
    repository work tree, leaving out the folder of intent `exclude` (being replaced)."""
    cpu = mem = 0
    for path in sorted(tree.glob("*/*/*.yaml")):
        if exclude and path.relative_to(tree).parts[0] == exclude:
            continue
        for doc in read_all(path.read_text(encoding="utf-8")):
            if not isinstance(doc, dict) or doc.get("kind") != "Deployment":
                continue
            spec = doc.get("spec") or {}
            replicas = int(spec.get("replicas", 1) or 0)
            for c in ((spec.get("template") or {}).get("spec") or {}).get("containers") or []:
                req = (c.get("resources") or {}).get("requests") or {}
                cpu += replicas * cpu_millis(req.get("cpu", 0))
                mem += replicas * memory_bytes(req.get("memory", 0))
    return cpu, mem


def measured_usage(monitoring: Monitoring, edge: str) -> tuple[int, int] | None:
    """What Prometheus says the edge uses, or None when no Prometheus is configured."""
    if not monitoring.prometheus_url:
        return None
    from maestro.tools.ran.promql import PromQLClient, PromQLError

    try:
        with PromQLClient(monitoring.prometheus_url, timeout=5.0) as prom:
            cores = prom.scalar(monitoring.cpu_query.replace("$edge", edge))
            mem = prom.scalar(monitoring.memory_query.replace("$edge", edge))
    except (PromQLError, ValueError) as exc:
        raise AdmissionError(
            f"edge {edge}: monitoring at {monitoring.prometheus_url} cannot tell what is in "
            f"use ({exc}); admission refuses rather than guess"
        ) from exc
    return round((cores or 0.0) * 1000), int(mem or 0)


def edge_room(
    edge: EdgeConfig, tree: Path, monitoring: Monitoring, exclude: str | None
) -> EdgeRoom:
    cpu, mem = committed_requests(tree, exclude)
    measured = measured_usage(monitoring, edge.id)
    if measured is not None:
        cpu, mem = max(cpu, measured[0]), max(mem, measured[1])
    return EdgeRoom(
        edge=edge.id,
        capacity_cpu=edge.capacity.millicpu,
        capacity_mem=edge.capacity.bytes,
        reserved_cpu=edge.reserved.millicpu,
        reserved_mem=edge.reserved.bytes,
        used_cpu=cpu,
        used_mem=mem,
        measured=measured is not None,
    )


def refuse(room: EdgeRoom, cpu: int, mem: int, *, intent: str, service: str) -> AdmissionError:
    return AdmissionError(
        f"edge {room.edge} is full: the service asks {format_cpu(cpu)} CPU and "
        f"{format_memory(mem)}; the edge has {room.describe()}",
        intent=intent,
        service=service,
    )
