"""Deployment and termination intents (CAMINO §III-A/B) and their deployment order.

A deployment intent is a mapping of services (CNFs), because JSON keeps no order; each
service names the services it must follow with `after` labels, and may use values another
service produces (`${ran.url}`) in its parameters. The domain manager turns the labels into
one linear order with graphlib; a cycle or a label naming no service is refused, naming it.
"""

from __future__ import annotations

import graphlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import IntentError
from .quantity import cpu_millis, memory_bytes

# A DNS-1123 label, short enough that "<service>.<intent>.svc.cluster.local" stays valid.
NAME = r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"
_NAME_RE = re.compile(NAME)
# ${service.key} or ${intent/service.key}: a value an earlier service produces.
REF_RE = re.compile(r"\$\{(?:([a-z0-9-]+)/)?([a-z0-9-]+)\.([a-z_]+)\}")
OUTPUT_KEYS = ("name", "namespace", "fqdn", "host", "port", "hostport", "url", "edge")

Scalar = str | int | float | bool
Name = Annotated[str, Field(pattern=NAME, description="DNS-1123 label, at most 40 characters")]


class Resources(BaseModel):
    """What one service asks of its edge (a Kubernetes resource request)."""

    model_config = ConfigDict(extra="forbid")
    cpu: str | float = Field(default="100m", description="CPU, e.g. 250m or 0.5")
    memory: str | int = Field(default="64Mi", description="memory, e.g. 64Mi or 1Gi")

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: str | float) -> str | float:
        cpu_millis(v)
        return v

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str | int) -> str | int:
        memory_bytes(v)
        return v

    @property
    def millicpu(self) -> int:
        return cpu_millis(self.cpu)

    @property
    def bytes(self) -> int:
        return memory_bytes(self.memory)


class Placement(BaseModel):
    """Where a service may run when it names no edge: the edges allowed (default: all)."""

    model_config = ConfigDict(extra="forbid")
    edges: list[Name] = Field(default_factory=list)


class ServiceSpec(BaseModel):
    """One CNF of the chain: which blueprint package, where, with what, after whom."""

    model_config = ConfigDict(extra="forbid")
    package: Name = Field(description="blueprint package name in the blueprint repository")
    version: str | None = Field(default=None, description="image tag; default the blueprint's")
    edge: Name | None = Field(default=None, description="target edge; else chosen by placement")
    placement: Placement | None = None
    domain: str | None = Field(default=None, description="administrative domain, if given")
    resources: Resources = Field(default_factory=Resources)
    params: dict[str, Scalar] = Field(
        default_factory=dict, description="setter values; strings may use ${service.key}"
    )
    after: list[str] = Field(
        default_factory=list, description="services deployed first (name or intent/name)"
    )


class DeploymentIntent(BaseModel):
    """An end-to-end service request: a chain of services over the domain's edges."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["DeploymentIntent"] = "DeploymentIntent"
    name: Name = Field(description="intent name; also the Kubernetes namespace of its chain")
    domain: str | None = None
    description: str = ""
    services: dict[Name, ServiceSpec] = Field(min_length=1)


class TerminationIntent(BaseModel):
    """Remove a deployed intent, or some of its services."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["TerminationIntent"] = "TerminationIntent"
    name: Name
    services: list[Name] | None = None


def references(spec: ServiceSpec) -> list[tuple[str | None, str, str]]:
    """Every ${[intent/]service.key} in the service's string parameters."""
    found = []
    for value in spec.params.values():
        if isinstance(value, str):
            found.extend(REF_RE.findall(value))
    return [(i or None, s, k) for i, s, k in found]


def dependencies(name: str, spec: ServiceSpec) -> tuple[set[str], set[str]]:
    """(services of the same intent, 'intent/service' of other intents) this one follows."""
    local: set[str] = set()
    external: set[str] = set()
    for label in spec.after:
        if "/" in label:
            external.add(label)
        else:
            local.add(label)
    for intent, service, _key in references(spec):
        if intent:
            external.add(f"{intent}/{service}")
        else:
            local.add(service)
    return local, external


def deployment_order(intent: DeploymentIntent) -> list[str]:
    """The linear order of the services: `after` labels (and ${x.key} uses) first.

    Ties keep the order in which the intent lists the services, so the order is stable.
    """
    declared = list(intent.services)
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name, spec in intent.services.items():
        local, _external = dependencies(name, spec)
        for dep in sorted(local):
            if dep not in intent.services:
                raise IntentError(
                    f"'after' or a ${{{dep}.…}} reference names {dep!r}, which is not a "
                    f"service of this intent (services: {', '.join(declared)})",
                    intent=intent.name,
                    service=name,
                )
        for _intent, _service, key in references(spec):
            if key not in OUTPUT_KEYS:
                raise IntentError(
                    f"unknown output '{key}' in a ${{service.key}} reference "
                    f"(known: {', '.join(OUTPUT_KEYS)})",
                    intent=intent.name,
                    service=name,
                )
        sorter.add(name, *sorted(local))
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = list(exc.args[1])
        raise IntentError(
            f"the 'after' labels form a cycle: {' -> '.join(cycle)}",
            intent=intent.name,
            service=cycle[0],
        ) from exc
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=declared.index)
        order.extend(ready)
        sorter.done(*ready)
    return order


def _first_error(exc: ValidationError) -> tuple[str, str | None]:
    first = exc.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    service = loc[1] if len(loc) > 1 and loc[0] == "services" else None
    msg = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{'.'.join(loc)}: {msg}" if loc else msg, service


def parse_intent(data: Any, *, source: str = "intent") -> DeploymentIntent:
    """Validate a loaded document into a DeploymentIntent, as one IntentError if it is not."""
    name = data.get("name") if isinstance(data, dict) else None
    name = name if isinstance(name, str) else None
    if not isinstance(data, dict):
        raise IntentError(f"{source}: expected a mapping with 'name' and 'services'")
    try:
        intent = DeploymentIntent.model_validate(data)
    except ValidationError as exc:
        msg, service = _first_error(exc)
        raise IntentError(f"{source}: {msg}", intent=name, service=service) from exc
    return intent


def parse_termination(data: Any, *, source: str = "intent") -> TerminationIntent:
    name = data.get("name") if isinstance(data, dict) else None
    try:
        return TerminationIntent.model_validate(data)
    except ValidationError as exc:
        msg, _service = _first_error(exc)
        raise IntentError(
            f"{source}: {msg}", intent=name if isinstance(name, str) else None
        ) from exc


def load_intent(path: str | Path) -> DeploymentIntent:
    """Read a JSON or YAML deployment intent file."""
    intent = load_any_intent(path)
    if not isinstance(intent, DeploymentIntent):
        raise IntentError(
            f"{path}: a TerminationIntent, not a DeploymentIntent", intent=intent.name
        )
    return intent


def load_any_intent(path: str | Path) -> DeploymentIntent | TerminationIntent:
    """Read a JSON or YAML file holding a deployment or a termination intent (by `kind`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise IntentError(f"intent file not found: {p}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise IntentError(f"cannot read intent file {p}: {exc}") from exc
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise IntentError(f"{p}: not valid JSON/YAML: {first}") from exc
    if isinstance(data, dict) and data.get("kind") == "TerminationIntent":
        return parse_termination(data, source=str(p))
    return parse_intent(data, source=str(p))


def intent_schema() -> dict[str, Any]:
    """The published JSON Schema of deployment intents."""
    schema = DeploymentIntent.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://maestro.dev/schemas/deployment-intent.json"
    return schema
