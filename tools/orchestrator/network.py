"""Network manager (CAMINO §III-G): the service mesh configuration of one chain.

From the brokering plan — which service runs on which edge of which domain, and which
services each one calls — this derives every path a chain needs and hydrates the network
blueprint packages (`blueprints/network-*`) into Istio and Kubernetes resources per edge:

- intra-edge: a VirtualService and a DestinationRule for a service called on its own edge;
- inter-edge: a ServiceEntry (and DestinationRule) on the caller's edge for the callee's
  name in the chain's namespace (namespace sameness: the same namespace and name on every
  edge), reached through the callee's edge east-west gateway, which exposes it there;
- cross-domain: a ServiceEntry for the remote FQDN (given by the intent, or built from the
  trusted-domain list), and east-west exposure for a local service another domain calls;
- one `network-allow` NetworkPolicy per allowed call, and `network-expose` for the gateway.

The chain's Namespace and its chain-only ingress policy come from the core's
`chain-namespace` package (one per intent and edge); these packages add to it, and are
committed to the edges' deployment repositories like any other package. What they enforce
(mTLS, routing, NetworkPolicy) only a real mesh and CNI enforce; on the embedded runtime
the reconciler can only hand each workload the addresses of the services it may call
(`peer_environment`): local processes on 127.0.0.1 are not isolated from each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from ruamel.yaml.comments import CommentedMap

from . import setters as kpt
from .blueprints import (
    SCHEMA_FILE,
    SETTERS_FILE,
    Blueprint,
    check_value,
    read_tree,
    shipped_blueprints,
)

LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"  # DNS-1123 label: names, namespaces, edges
FQDN = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
EASTWEST_PORT = 15443  # Istio's cross-network passthrough port
BLUEPRINTS = (
    "network-allow",
    "network-intra-edge",
    "network-inter-edge",
    "network-eastwest",
    "network-expose",
    "network-external",
)
_STRICT = ConfigDict(extra="forbid")


class NetworkPlanError(ValueError):
    """A plan the network manager cannot wire; the message names the chain and the service."""


class ServicePlacement(BaseModel):
    """Where one service of the chain runs and what it calls."""

    model_config = _STRICT

    name: str = Field(pattern=LABEL)
    edge: str | None = Field(default=None, pattern=LABEL)
    domain: str | None = Field(default=None, pattern=LABEL)  # None: this domain
    port: int = Field(default=8080, ge=1, le=65535)
    fqdn: str | None = Field(default=None, max_length=253, pattern=FQDN)  # another domain's service
    calls: list[str] = Field(default_factory=list)


class BrokeringPlan(BaseModel):
    """The chain's placement: CAMINO's brokering plan plus what the mesh needs to know."""

    model_config = _STRICT

    chain: str = Field(pattern=LABEL)
    domain: str = Field(default="local", pattern=LABEL)
    services: list[ServicePlacement] = Field(min_length=1)
    gateways: dict[str, str] = Field(default_factory=dict)  # edge -> east-west address
    trusted_domains: dict[str, str] = Field(default_factory=dict)  # domain -> FQDN suffix

    @model_validator(mode="after")
    def _names_unique(self) -> BrokeringPlan:
        seen: set[str] = set()
        for svc in self.services:
            if svc.name in seen:
                raise ValueError(f"services: {svc.name!r} is listed twice")
            seen.add(svc.name)
        return self

    def local(self, svc: ServicePlacement) -> bool:
        return svc.domain is None or svc.domain == self.domain


class Link(BaseModel):
    source: str
    target: str
    scope: str  # intra-edge | inter-edge | cross-domain


class NetworkPackage(BaseModel):
    """One hydrated network package bound for one edge's deployment repository."""

    edge: str
    blueprint: str
    name: str
    setters: dict[str, str | int]
    resources: list[dict[str, Any]]
    text: dict[str, str]  # file name -> hydrated YAML (setter comments kept, as kpt does)


class NetworkPlan(BaseModel):
    chain: str
    namespace: str
    links: list[Link]
    packages: list[NetworkPackage]

    def for_edge(self, edge: str) -> list[NetworkPackage]:
        return [p for p in self.packages if p.edge == edge]

    def edges(self) -> list[str]:
        return sorted({p.edge for p in self.packages})

    def reachable(self, service: str) -> list[str]:
        """The services `service` may call (the only ones its policies let through)."""
        return sorted({link.target for link in self.links if link.source == service})


class NetworkManager:
    """Turns brokering plans into hydrated network packages (blueprints read once)."""

    def __init__(self, blueprint_root: Path | None = None) -> None:
        self._root = blueprint_root
        self._cache: dict[str, Blueprint] = {}

    def plan(self, plan: BrokeringPlan | dict[str, Any]) -> NetworkPlan:
        if not isinstance(plan, BrokeringPlan):
            plan = BrokeringPlan.model_validate(plan)
        by_name = {s.name: s for s in plan.services}
        ns = plan.chain
        wanted: dict[tuple[str, str, str], dict[str, str | int]] = {}  # (edge, blueprint, name)

        def add(edge: str, blueprint: str, name: str, /, **setters: str | int) -> None:
            wanted.setdefault((edge, blueprint, name), {"namespace": ns, **setters})

        for svc in plan.services:
            if plan.local(svc) and svc.edge is None:
                raise self._error(plan, svc.name, "runs in this domain but has no edge")
        links: list[Link] = []
        for caller in plan.services:
            for target_name in caller.calls:
                target = by_name.get(target_name)
                if target is None:
                    raise self._error(plan, caller.name, f"calls {target_name!r}, not in the chain")
                if target_name == caller.name:
                    raise self._error(plan, caller.name, "calls itself")
                link = self._wire(plan, caller, target, add)
                if link is not None:
                    links.append(link)
        packages = [
            self._hydrate(edge, blueprint, name, setters)
            for (edge, blueprint, name), setters in sorted(wanted.items())
        ]
        return NetworkPlan(chain=plan.chain, namespace=ns, links=links, packages=packages)

    def _wire(
        self, plan: BrokeringPlan, caller: ServicePlacement, target: ServicePlacement, add: Any
    ) -> Link | None:
        ns = plan.chain
        host = f"{target.name}.{ns}.svc.cluster.local"
        port = target.port
        pair = f"{caller.name}-to-{target.name}"
        if not plan.local(caller) and not plan.local(target):
            return None  # between two other domains: not ours to wire
        if not plan.local(caller):  # another domain calls us: expose on the callee's edge
            assert target.edge is not None
            self._expose(plan, target, add)
            return Link(source=caller.name, target=target.name, scope="cross-domain")
        assert caller.edge is not None
        if not plan.local(target):
            fqdn = target.fqdn or self._trusted_fqdn(plan, caller, target)
            add(
                caller.edge,
                "network-external",
                f"net-external-{target.name}",
                service=target.name,
                fqdn=fqdn,
                port=port,
                domain=str(target.domain),
            )
            return Link(source=caller.name, target=target.name, scope="cross-domain")
        assert target.edge is not None
        add(
            target.edge,
            "network-allow",
            f"net-allow-{pair}",
            name=f"allow-{pair}",
            source=caller.name,
            target=target.name,
            port=port,
        )
        if caller.edge == target.edge:
            add(
                target.edge,
                "network-intra-edge",
                f"net-route-{target.name}",
                service=target.name,
                host=host,
                port=port,
            )
            return Link(source=caller.name, target=target.name, scope="intra-edge")
        gateway = plan.gateways.get(target.edge) or f"eastwest.{target.edge}.{plan.domain}.mesh"
        add(
            caller.edge,
            "network-inter-edge",
            f"net-remote-{target.name}",
            service=target.name,
            host=host,
            port=port,
            gateway=gateway,
            edge=target.edge,
        )
        self._expose(plan, target, add)
        return Link(source=caller.name, target=target.name, scope="inter-edge")

    def _expose(self, plan: BrokeringPlan, target: ServicePlacement, add: Any) -> None:
        edge = target.edge
        add(edge, "network-eastwest", "net-eastwest")
        add(
            edge,
            "network-expose",
            f"net-expose-{target.name}",
            name=f"allow-eastwest-to-{target.name}",
            target=target.name,
            port=target.port,
        )

    def _trusted_fqdn(
        self, plan: BrokeringPlan, caller: ServicePlacement, target: ServicePlacement
    ) -> str:
        suffix = plan.trusted_domains.get(str(target.domain))
        if suffix is None:
            raise self._error(
                plan,
                caller.name,
                f"calls {target.name!r} in domain {target.domain!r}, which gives no fqdn and "
                "is not in the trusted-domain list",
            )
        return f"{target.name}.{plan.chain}.{suffix.strip('.')}"

    @staticmethod
    def _error(plan: BrokeringPlan, service: str, what: str) -> NetworkPlanError:
        return NetworkPlanError(f"chain {plan.chain}, service {service}: {what}")

    # -- hydration ---------------------------------------------------------------------------

    def _blueprint(self, name: str) -> Blueprint:
        if not self._cache:
            tree = read_tree(self._root) if self._root is not None else shipped_blueprints()
            for pkg, files in tree.items():
                if pkg.startswith("network-"):
                    self._cache[pkg] = Blueprint(pkg, files)
        if name not in self._cache:
            raise NetworkPlanError(f"network blueprint {name!r} is missing from the catalogue")
        return self._cache[name]

    def _hydrate(
        self, edge: str, blueprint: str, name: str, values: dict[str, str | int]
    ) -> NetworkPackage:
        """As the orchestrator hydrates any package (typed setters, kpt semantics, the
        values recorded in setters.yaml), except that every setter must be given: a
        blueprint default such as `example-chain` must never reach an edge."""
        bp = self._blueprint(blueprint)
        for key, value in values.items():
            spec = bp.info.setters.get(key)
            if spec is None:
                raise NetworkPlanError(f"{blueprint}: no setter {key!r}")
            try:
                check_value(key, value, spec)
            except ValueError as exc:
                raise NetworkPlanError(f"{blueprint}: {exc}") from None
        text: dict[str, str] = {}
        docs: list[dict[str, Any]] = []
        for file, source in sorted(bp.resource_files().items()):
            loaded = kpt.load_all(source)
            missing = kpt.unset_setters(loaded, values)
            if missing:
                raise NetworkPlanError(f"{blueprint}/{file}: no value for {sorted(missing)}")
            kpt.apply_setters(loaded, values)
            text[file] = kpt.dump_all(loaded)
            docs.extend(_plain(d) for d in loaded)
        kptfile = kpt.load_all(bp.files["Kptfile"])[0]
        kptfile["metadata"]["name"] = name
        text["Kptfile"] = kpt.dump_all([kptfile])
        setters_doc = kpt.load_all(bp.files[SETTERS_FILE])[0]
        setters_doc["data"] = CommentedMap((k, str(v)) for k, v in sorted(values.items()))
        text[SETTERS_FILE] = kpt.dump_all([setters_doc])
        text[SCHEMA_FILE] = bp.files[SCHEMA_FILE]
        return NetworkPackage(
            edge=edge, blueprint=blueprint, name=name, setters=values, resources=docs, text=text
        )


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def peer_environment(plan: NetworkPlan, service: str, addresses: dict[str, str]) -> dict[str, str]:
    """What the embedded runtime can do for the mesh: hand `service` the addresses of the
    services its policies let it call, and only those (`MAESTRO_PEER_<NAME>=<url>`)."""
    env = {}
    for target in plan.reachable(service):
        if target in addresses:
            env[f"MAESTRO_PEER_{target.upper().replace('-', '_')}"] = addresses[target]
    return env


def allowed_pairs(plan: NetworkPlan) -> set[tuple[str, str]]:
    return {(link.source, link.target) for link in plan.links}


def resource_kinds(packages: Iterable[NetworkPackage]) -> list[str]:
    return sorted({str(r.get("kind")) for p in packages for r in p.resources})


__all__ = [
    "BLUEPRINTS",
    "EASTWEST_PORT",
    "BrokeringPlan",
    "Link",
    "NetworkManager",
    "NetworkPackage",
    "NetworkPlan",
    "NetworkPlanError",
    "ServicePlacement",
    "allowed_pairs",
    "peer_environment",
    "resource_kinds",
]
