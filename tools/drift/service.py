"""A service as the assurance graph sees it: sub-services, their KPI targets and observations.

Two documents describe an evaluation (YAML or JSON, the same shapes from Python):

Targets::

    service: netflow-west             # optional name
    kpis:                             # targets every sub-service shares
      cpu: {range: [40, 70]}
      net: {equals: 100}
    subservices:                      # optional; without it the service is one sub-service
      collector1: {}
      collector2:
        type: collector               # RFC 9418 sub-service type (default "sub-service")
        kpis: {cpu: {max: 80}}        # overrides or adds targets
        dependencies: [{id: collector1, type: informational}]
    availability: {target: 0.9999, resource: 0.999}   # optional, overrides the policy

A flat mapping ``{cpu: {range: [40, 70]}, ...}`` is the ``kpis`` of a one-sub-service intent.

Operational::

    subservices:
      collector1: {kpis: {cpu: 60, net: 100}, software: 1, agents: [{resource: 1, net: 1}]}
      collector2: {kpis: {cpu: [55, 20, 0], net: [100, 100, 0]}, software: 0}
    downtime: {planned_days: 30, down_minutes: 2}     # optional, for measured availability

KPI values are numbers or aligned time series (the last sample is the current state).
``software`` and agent states are 3-ary (1 normal, 0 warning, -1 critical; true/false allowed).
A sub-service missing from the operational document has unknown health (score -1). A flat
mapping ``{cpu: 90, ...}`` is the KPIs of a one-sub-service intent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .health import AgentHealth
from .kpi import DriftInputError, KpiError, KpiTarget, parse_operational, parse_targets

__all__ = [
    "Dependency",
    "Downtime",
    "ServiceObservation",
    "ServiceTargets",
    "SubServiceObservation",
    "SubServiceTargets",
    "parse_observation",
    "parse_service_targets",
]

_TARGET_KEYS = {"service", "kpis", "subservices", "availability"}
_SUB_TARGET_KEYS = {"type", "kpis", "dependencies"}
_OBS_KEYS = {"subservices", "downtime", "kpis", "software", "agents"}
_SUB_OBS_KEYS = {"kpis", "software", "agents"}


class Dependency(BaseModel):
    """An RFC 9418 dependency: impacting (its health lowers ours) or informational."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    type: Literal["impacting", "informational"] = "impacting"


class SubServiceTargets(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    type: str = "sub-service"
    kpis: dict[str, KpiTarget]
    dependencies: list[Dependency] = Field(default_factory=list)


class ServiceTargets(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = "service"
    subservices: list[SubServiceTargets]
    availability_target: float | None = None
    resource_availability: float | None = None
    implicit: bool = False  # one sub-service standing for the whole service

    def sub(self, name: str) -> SubServiceTargets:
        return next(s for s in self.subservices if s.name == name)


class SubServiceObservation(BaseModel):
    model_config = ConfigDict(frozen=True)

    kpis: dict[str, list[float]]
    software: Literal[-1, 0, 1] = 1
    agents: list[AgentHealth] = Field(default_factory=list)

    def series(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=np.float64) for k, v in self.kpis.items()}


class Downtime(BaseModel):
    model_config = ConfigDict(frozen=True)

    planned_s: float
    down_s: float


class ServiceObservation(BaseModel):
    model_config = ConfigDict(frozen=True)

    subservices: dict[str, SubServiceObservation | None]
    downtime: Downtime | None = None


def _fail(field: str, message: str) -> DriftInputError:
    return DriftInputError(f"field '{field}': {message}")


def _mapping(field: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(field, f"must be a mapping, got {type(value).__name__}")
    return value


def _fraction(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise _fail(field, f"must be a fraction in (0, 1) such as 0.9999, got {value!r}")
    return float(value)


def parse_service_targets(doc: Any) -> ServiceTargets:
    """Validate a targets document (see the module docstring)."""
    doc = _mapping("targets", doc)
    if not doc:
        raise DriftInputError("the targets document is empty")
    if not set(doc) & _TARGET_KEYS:
        doc = {"kpis": doc}
    extra = set(doc) - _TARGET_KEYS
    if extra:
        raise _fail(sorted(extra)[0], f"unknown field; expected {sorted(_TARGET_KEYS)}")
    name = doc.get("service", "service")
    if not isinstance(name, str) or not name:
        raise _fail("service", "must be a non-empty name")
    shared_raw = doc.get("kpis") or {}
    shared = parse_targets(_mapping("kpis", shared_raw)) if shared_raw else {}

    subs_raw = doc.get("subservices")
    implicit = subs_raw is None
    if implicit:
        subs_raw = {name: {}}
    if isinstance(subs_raw, list):
        if not all(isinstance(s, str) for s in subs_raw):
            raise _fail("subservices", "a list of sub-services must hold names only")
        subs_raw = {s: {} for s in subs_raw}
    subs_raw = _mapping("subservices", subs_raw)
    if not subs_raw:
        raise _fail("subservices", "needs at least one sub-service")

    subs: list[SubServiceTargets] = []
    for sub_name, spec in subs_raw.items():
        field = f"subservices.{sub_name}"
        spec = _mapping(field, spec or {})
        extra = set(spec) - _SUB_TARGET_KEYS
        if extra:
            raise _fail(f"{field}.{sorted(extra)[0]}", f"unknown field; expected "
                                                       f"{sorted(_SUB_TARGET_KEYS)}")
        own = parse_targets(_mapping(f"{field}.kpis", spec["kpis"])) if spec.get("kpis") else {}
        kpis = {**shared, **own}
        if not kpis:
            raise _fail(f"{field}.kpis", "no KPI targets (give shared 'kpis' or its own)")
        deps_raw = spec.get("dependencies") or []
        if not isinstance(deps_raw, list):
            raise _fail(f"{field}.dependencies", "must be a list")
        deps = []
        for i, d in enumerate(deps_raw):
            d = {"id": d} if isinstance(d, str) else d
            d = _mapping(f"{field}.dependencies[{i}]", d)
            if d.get("type", "impacting") not in ("impacting", "informational"):
                raise _fail(f"{field}.dependencies[{i}].type",
                            "must be 'impacting' or 'informational'")
            if d.get("id") not in subs_raw or d.get("id") == sub_name:
                raise _fail(f"{field}.dependencies[{i}].id",
                            f"{d.get('id')!r} is not another sub-service of this service")
            deps.append(Dependency(id=str(d["id"]), type=d.get("type", "impacting")))
        sub_type = spec.get("type", "sub-service")
        if not isinstance(sub_type, str) or not sub_type:
            raise _fail(f"{field}.type", "must be a non-empty name")
        subs.append(SubServiceTargets(name=str(sub_name), type=sub_type, kpis=kpis,
                                      dependencies=deps))

    avail = _mapping("availability", doc.get("availability") or {})
    extra = set(avail) - {"target", "resource"}
    if extra:
        raise _fail(f"availability.{sorted(extra)[0]}", "unknown field; expected target, resource")
    return ServiceTargets(
        name=name,
        subservices=subs,
        availability_target=_fraction("availability.target", avail["target"])
        if "target" in avail else None,
        resource_availability=_fraction("availability.resource", avail["resource"])
        if "resource" in avail else None,
        implicit=implicit,
    )


def _state(field: str, value: Any) -> int:
    if isinstance(value, bool):
        return 1 if value else -1
    if value in (-1, 0, 1) and isinstance(value, int | float):
        return int(value)
    raise _fail(field, f"must be a 3-ary state (1 normal, 0 warning, -1 critical), got {value!r}")


def _sub_observation(field: str, raw: Any, targets: SubServiceTargets) -> SubServiceObservation:
    raw = _mapping(field, raw)
    if not set(raw) & _SUB_OBS_KEYS:
        raw = {"kpis": raw}
    extra = set(raw) - _SUB_OBS_KEYS
    if extra:
        raise _fail(f"{field}.{sorted(extra)[0]}", f"unknown field; expected "
                                                   f"{sorted(_SUB_OBS_KEYS)}")
    try:
        series = parse_operational(_mapping(f"{field}.kpis", raw.get("kpis", {})), targets.kpis)
    except KpiError as exc:
        where = "" if targets.name == "service" else f"sub-service '{targets.name}': "
        raise KpiError(exc.kpi, f"{where}{exc.detail}") from None
    agents_raw = raw.get("agents") or []
    if not isinstance(agents_raw, list):
        raise _fail(f"{field}.agents", "must be a list of {resource, software, net} states")
    agents = []
    for i, a in enumerate(agents_raw):
        a = _mapping(f"{field}.agents[{i}]", a)
        bad = set(a) - {"resource", "software", "net"}
        if bad:
            raise _fail(f"{field}.agents[{i}].{sorted(bad)[0]}",
                        "unknown field; expected resource, software, net")
        agents.append(AgentHealth.model_validate(
            {k: _state(f"{field}.agents[{i}].{k}", v) for k, v in a.items()}))
    return SubServiceObservation(
        kpis={k: v.tolist() for k, v in series.items()},
        software=_state(f"{field}.software", raw.get("software", 1)),
        agents=agents,
    )


_PLANNED = {"planned_s": 1.0, "planned_hours": 3600.0, "planned_days": 86400.0}
_DOWN = {"down_s": 1.0, "down_minutes": 60.0, "down_hours": 3600.0}


def _duration(field: str, raw: Mapping[str, Any], units: dict[str, float]) -> float:
    given = [k for k in units if k in raw]
    if len(given) != 1:
        raise _fail(field, f"give exactly one of {', '.join(units)}")
    v = raw[given[0]]
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v) or v < 0:
        raise _fail(f"{field}.{given[0]}", f"must be a non-negative number, got {v!r}")
    return float(v) * units[given[0]]


def parse_observation(doc: Any, targets: ServiceTargets) -> ServiceObservation:
    """Validate an operational document against the targets (see the module docstring)."""
    doc = _mapping("operational", doc)
    if not set(doc) & _OBS_KEYS:
        doc = {"kpis": doc}
    extra = set(doc) - _OBS_KEYS
    if extra and "subservices" in doc:
        raise _fail(sorted(extra)[0], "unknown field; expected subservices, downtime")
    if "subservices" in doc:
        subs_raw = _mapping("subservices", doc["subservices"])
    elif len(targets.subservices) == 1:
        single = {k: v for k, v in doc.items() if k != "downtime"}
        subs_raw = {targets.subservices[0].name: single}
    else:
        raise _fail("subservices", "the targets list several sub-services: give their values "
                                   "under 'subservices'")
    known = {s.name for s in targets.subservices}
    unknown = [k for k in subs_raw if k not in known]
    if unknown:
        raise _fail(f"subservices.{unknown[0]}", f"unknown sub-service; the targets list "
                                                 f"{', '.join(sorted(known))}")
    subs: dict[str, SubServiceObservation | None] = {}
    for sub in targets.subservices:
        raw = subs_raw.get(sub.name)
        subs[sub.name] = None if raw is None else _sub_observation(
            f"subservices.{sub.name}", raw, sub)

    downtime = None
    if doc.get("downtime") is not None:
        d = _mapping("downtime", doc["downtime"])
        bad = set(d) - set(_PLANNED) - set(_DOWN)
        if bad:
            raise _fail(f"downtime.{sorted(bad)[0]}", "unknown field; expected one planned_* "
                                                      "and one down_* duration")
        planned = _duration("downtime", d, _PLANNED)
        down = _duration("downtime", d, _DOWN)
        if planned <= 0:
            raise _fail("downtime", "the planned time must be positive")
        if down > planned:
            raise _fail("downtime", "the downtime exceeds the planned time")
        downtime = Downtime(planned_s=planned, down_s=down)
    return ServiceObservation(subservices=subs, downtime=downtime)
