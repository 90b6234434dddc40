"""What the API serves, computed from the domain manager: JSON-ready dicts, no HTTP.

`MeshDomainManager` is the core `DomainManager` plus the network manager: when an intent's
packages are hydrated, the chain's mesh packages (from the brokering plan the placement
just made) join them in the same per-edge commit, so they are admitted, committed and
reconciled like any package and removed with the intent.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from .blueprints import Blueprint
from .gate import ApiError
from .intent import DeploymentIntent, dependencies, parse_intent
from .manager import DomainManager
from .models import DomainStatus, EdgeStatus, IntentRecord
from .network import BrokeringPlan, NetworkManager, NetworkPlan, ServicePlacement
from .quantity import cpu_millis, format_cpu, format_memory, memory_bytes

READY_AFTER = 30.0  # seconds: a reconciler silent for longer makes its edge not ready


def brokering_plan(
    intent: DeploymentIntent, edges: dict[str, str], ports: dict[str, int], domain: str
) -> BrokeringPlan:
    """The chain's placement as the network manager reads it: a service calls the services
    it follows or whose outputs it uses (CAMINO's chain: the later consumes the earlier)."""
    services = []
    for name, spec in intent.services.items():
        local, _external = dependencies(name, spec)
        services.append(
            ServicePlacement(
                name=name,
                edge=edges.get(name),
                port=ports.get(name, 8080),
                calls=sorted(local),
            )
        )
    return BrokeringPlan(chain=intent.name, domain=domain, services=services)


class MeshDomainManager(DomainManager):
    """The core manager with the chain's network packages added to each apply."""

    def __init__(self, root: str | Path, network: NetworkManager | None = None) -> None:
        super().__init__(root)
        self.network = network or NetworkManager()
        self._applying: DeploymentIntent | None = None

    def apply(self, intent: Any, dry_run: bool = False) -> Any:
        if not isinstance(intent, DeploymentIntent):
            intent = parse_intent(dict(intent))
        self._applying = intent
        try:
            return super().apply(intent, dry_run)
        finally:
            self._applying = None

    def _namespaces(
        self,
        intent: str,
        files: dict[str, dict[str, str]],
        packages: dict[str, Blueprint],
        bp_commit: str | None,
    ) -> None:
        super()._namespaces(intent, files, packages, bp_commit)
        if self._applying is None or self._applying.name != intent:
            return
        plan = self.network.plan(self.plan_of(self._applying, files))
        for pkg in plan.packages:
            for rel, text in pkg.text.items():
                files.setdefault(pkg.edge, {})[f"{intent}/{pkg.name}/{rel}"] = text

    def plan_of(self, intent: DeploymentIntent, files: dict[str, dict[str, str]]) -> BrokeringPlan:
        """Placement and ports as hydrated: `<intent>/<service>/setters.yaml` per edge."""
        edges: dict[str, str] = {}
        ports: dict[str, int] = {}
        for edge, tree in files.items():
            for name in intent.services:
                text = tree.get(f"{intent.name}/{name}/setters.yaml")
                if text is None:
                    continue
                edges[name] = edge
                port = (yaml.safe_load(text).get("data") or {}).get("port")
                if port is not None:
                    ports[name] = int(port)
        return brokering_plan(intent, edges, ports, self.config.name)

    def network_of(self, record: IntentRecord) -> NetworkPlan:
        edges = {n: s.edge for n, s in record.services.items()}
        ports = {n: s.port for n, s in record.services.items()}
        return self.network.plan(brokering_plan(record.intent, edges, ports, self.config.name))


class DomainService:
    """The API's view of one domain. Methods return plain JSON-ready data."""

    def __init__(
        self,
        manager: MeshDomainManager,
        *,
        query_timeout: float = 10.0,
        status_ttl: float = 0.25,
    ) -> None:
        self.manager = manager
        self.query_timeout = query_timeout
        self.status_ttl = status_ttl
        self._status_lock = threading.Lock()
        self._status: tuple[float, DomainStatus] | None = None

    def domain_status(self) -> DomainStatus:
        """The domain's status, shared by the requests of the same quarter second: it costs a
        `git ls-remote` per edge, and fifty clients polling must not cost fifty of each."""
        with self._status_lock:
            now = time.monotonic()
            if self._status is None or now - self._status[0] > self.status_ttl:
                self._status = (now, self.manager.status())
            return self._status[1]

    def _changed(self) -> None:
        with self._status_lock:
            self._status = None

    # -- intents -------------------------------------------------------------------------
    def intent_names(self) -> list[str]:
        return sorted(self.manager.records())

    def exists(self, name: str) -> bool:
        return (self.manager.root / "state" / "intents" / f"{name}.json").is_file()

    def foreign_intents(self, intent: DeploymentIntent) -> set[str]:
        """Other intents this one follows or takes values from (`intent/service`)."""
        out = set()
        for name, spec in intent.services.items():
            _local, external = dependencies(name, spec)
            out |= {ref.split("/", 1)[0] for ref in external}
        return out

    def _record(self, name: str) -> IntentRecord:
        record = self.manager.records().get(name)
        if record is None:
            raise ApiError(404, f"intent {name!r}: not found")
        return record

    def apply(self, intent: DeploymentIntent, dry_run: bool) -> dict[str, Any]:
        try:
            return self.manager.apply(intent, dry_run).model_dump(mode="json")
        finally:
            self._changed()

    def delete(self, name: str, dry_run: bool) -> dict[str, Any]:
        try:
            return self.manager.delete(name, dry_run=dry_run).model_dump(mode="json")
        finally:
            self._changed()

    def record(self, name: str) -> dict[str, Any]:
        return self._record(name).model_dump(mode="json")

    def intent_status(self, name: str) -> dict[str, Any]:
        """Per service: edge, workload state and health; per edge: the intent's commit, the
        commit the reconciler applied, and whether it has caught up with the intent."""
        record = self._record(name)
        edges = {e.id: e for e in self.domain_status().edges}
        services = {}
        for svc, result in record.services.items():
            edge = edges.get(result.edge)
            workload = _workload(edge, name, svc)
            services[svc] = {
                "edge": result.edge,
                "port": result.port,
                "url": result.outputs.get("url"),
                "state": workload.state if workload else "pending",
                "healthy": bool(workload and workload.healthy),
                "restarts": workload.restarts if workload else 0,
                "message": workload.message if workload else None,
            }
        per_edge = {}
        for edge_id, commit in record.commits.items():
            edge = edges.get(edge_id)
            applied = edge.applied if edge else None
            per_edge[edge_id] = {
                "commit": commit,
                "applied": applied,
                "reconciled": bool(edge and applied and (applied == commit or edge.in_sync)),
                "errors": edge.errors if edge else ["edge unknown to the domain"],
            }
        reconciled = all(e["reconciled"] for e in per_edge.values())
        healthy = all(s["healthy"] for s in services.values())
        return {
            "intent": name,
            "order": record.order,
            "state": "running" if reconciled and healthy else "reconciling",
            "reconciled": reconciled,
            "healthy": healthy,
            "services": services,
            "edges": per_edge,
        }

    def network(self, name: str) -> dict[str, Any]:
        plan = self.manager.network_of(self._record(name))
        return {
            "intent": name,
            "namespace": plan.namespace,
            "links": [link.model_dump() for link in plan.links],
            "packages": [
                {
                    "edge": p.edge,
                    "package": f"{name}/{p.name}",
                    "blueprint": p.blueprint,
                    "resources": p.resources,
                }
                for p in plan.packages
            ],
        }

    # -- domain --------------------------------------------------------------------------
    def catalogue(self) -> dict[str, Any]:
        """CAMINO §III-F: the deployable blueprints and the domain's total reserved room."""
        infos = self.manager.catalogue()
        return {
            "domain": self.manager.config.name,
            "packages": [i.model_dump(mode="json") for i in infos],
            "resources": self._totals(),
        }

    def _totals(self) -> dict[str, dict[str, str]]:
        cfg = self.manager.config
        cap_cpu = sum(e.capacity.millicpu for e in cfg.edges)
        cap_mem = sum(e.capacity.bytes for e in cfg.edges)
        res_cpu = sum(e.reserved.millicpu for e in cfg.edges)
        res_mem = sum(e.reserved.bytes for e in cfg.edges)
        req_cpu = req_mem = 0
        for record in self.manager.records().values():
            for s in record.services.values():
                req_cpu += cpu_millis(s.cpu)
                req_mem += memory_bytes(s.memory)
        return {
            "capacity": {"cpu": format_cpu(cap_cpu), "memory": format_memory(cap_mem)},
            "reserved": {
                "cpu": format_cpu(res_cpu + req_cpu),
                "memory": format_memory(res_mem + req_mem),
            },
            "free": {
                "cpu": format_cpu(max(cap_cpu - res_cpu - req_cpu, 0)),
                "memory": format_memory(max(cap_mem - res_mem - req_mem, 0)),
            },
        }

    def edges(self) -> dict[str, Any]:
        status = self.domain_status()
        return {"domain": status.domain, "edges": [e.model_dump(mode="json") for e in status.edges]}

    def health(self) -> dict[str, Any]:
        status = self.domain_status()
        rows = [_edge_health(e) for e in status.edges]
        ready = sum(1 for r in rows if r["ready"])
        return {
            "domain": status.domain,
            "status": "ok" if ready == len(rows) else "degraded",
            "edges_total": len(rows),
            "edges_ready": ready,
            "edges": rows,
            "checked_at": time.time(),
        }

    def aggregate(self) -> dict[str, Any]:
        """Domain-wide utilisation only: what an external consumer may know."""
        totals = self._totals()
        cfg = self.manager.config
        cap_cpu = sum(e.capacity.millicpu for e in cfg.edges)
        cap_mem = sum(e.capacity.bytes for e in cfg.edges)
        used_cpu = cap_cpu - cpu_millis(totals["free"]["cpu"])
        used_mem = cap_mem - memory_bytes(totals["free"]["memory"])
        return {
            "domain": cfg.name,
            "edges": len(cfg.edges),
            "intents": len(self.manager.records()),
            **totals,
            "utilisation": {
                "cpu": round(used_cpu / cap_cpu, 4) if cap_cpu else None,
                "memory": round(used_mem / cap_mem, 4) if cap_mem else None,
            },
        }

    def promql(self, query: str, admin: bool) -> dict[str, Any]:
        from .tenancy import only_aggregates

        url = self.manager.config.monitoring.prometheus_url
        if not url:
            raise ApiError(503, "monitoring: this domain has no Prometheus configured")
        try:
            res = httpx.get(
                f"{url.rstrip('/')}/api/v1/query",
                params={"query": query},
                timeout=self.query_timeout,
            )
            body = res.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ApiError(
                502, f"monitoring: Prometheus did not answer ({type(exc).__name__})"
            ) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            reason = body.get("error") if isinstance(body, dict) else None
            raise ApiError(
                422, f"query: Prometheus refused it ({str(reason or 'no reason')[:200]})"
            )
        data = body.get("data")
        if not admin and not only_aggregates(data):
            raise ApiError(
                403,
                "query: this role gets aggregated results only (no per-edge or per-series "
                "labels); wrap the expression in sum(...) without 'by'",
            )
        return {"query": query, "data": _finite(data)}


def _workload(edge: EdgeStatus | None, intent: str, service: str) -> Any:
    if edge is None:
        return None
    for w in edge.workloads:
        if w.key in (f"{intent}/{service}", f"{intent}.{service}", service):
            return w
    return None


def _edge_health(edge: EdgeStatus) -> dict[str, Any]:
    seen = edge.reconciler_seen
    alive = seen is not None and seen <= READY_AFTER
    healthy = sum(1 for w in edge.workloads if w.healthy)
    return {
        "id": edge.id,
        "ready": alive and not edge.errors,
        "reconciler_seen": seen,
        "in_sync": edge.in_sync,
        "head": edge.head,
        "applied": edge.applied,
        "workloads": len(edge.workloads),
        "workloads_healthy": healthy,
        "errors": edge.errors,
    }


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


__all__ = ["DomainService", "MeshDomainManager", "brokering_plan"]
