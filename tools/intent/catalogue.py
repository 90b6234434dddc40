"""The KPI catalogue: which KPIs an intent may name, in which units, within which ranges.

Every KPI target that reaches the drift calculator passes through :func:`validate_target`,
whether it came from a standard document or from an LLM: a name outside the catalogue, a
unit the KPI cannot have or a value outside its physical range is an :class:`IntentError`
naming the KPI, so the LLM can be sent back with that sentence. Values are stored in the
KPI's canonical unit (availability as a fraction: "99.99 %" becomes 0.9999).

Names follow TS 28.312's examples where the standard has one (``DlThptPerUE``,
``AveDLRANUEThpt``, ``DlLatency``); aliases let a person or a model write them loosely.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CATALOGUE",
    "CONDITIONS",
    "Condition",
    "IntentError",
    "KpiDef",
    "canonical_name",
    "validate_target",
]

Condition = Literal[
    "IS_EQUAL_TO",
    "IS_LESS_THAN",
    "IS_GREATER_THAN",
    "IS_WITHIN_RANGE",
    "IS_EQUAL_TO_OR_LESS_THAN",
    "IS_EQUAL_TO_OR_GREATER_THAN",
]
CONDITIONS: tuple[str, ...] = Condition.__args__  # type: ignore[attr-defined]


class IntentError(ValueError):
    """An intent, a KPI or a standard document that cannot be used; says which part."""


@dataclass(frozen=True)
class KpiDef:
    name: str
    unit: str  # canonical unit the value is stored in
    lo: float
    hi: float
    condition: str  # the usual condition when a text gives only a number
    units: Mapping[str, float] = field(default_factory=dict)  # unit -> factor to canonical
    aliases: tuple[str, ...] = ()
    description: str = ""


def _pct(name: str, aliases: tuple[str, ...], condition: str, desc: str) -> KpiDef:
    return KpiDef(name, "%", 0, 100, condition, {"%": 1.0, "percent": 1.0}, aliases, desc)


_RATE = {"Mbps": 1.0, "Gbps": 1000.0, "kbps": 0.001}
_TIME = {"ms": 1.0, "s": 1000.0, "us": 0.001}

CATALOGUE: dict[str, KpiDef] = {
    k.name: k
    for k in (
        KpiDef(
            "availability",
            "ratio",
            0,
            1,
            "IS_EQUAL_TO_OR_GREATER_THAN",
            {"ratio": 1.0, "%": 0.01, "percent": 0.01},
            ("avail", "service availability", "uptime"),
            "fraction of the planned time the service is up (99.99 % -> 0.9999)",
        ),
        _pct(
            "service_health",
            ("health", "service health", "k_hs"),
            "IS_EQUAL_TO_OR_GREATER_THAN",
            "composite service health, eq. 13",
        ),
        KpiDef(
            "DlThptPerUE",
            "Mbps",
            0,
            100_000,
            "IS_EQUAL_TO_OR_GREATER_THAN",
            _RATE,
            ("downlink throughput", "dl throughput", "throughput", "throughput per ue"),
            "downlink throughput per UE",
        ),
        KpiDef(
            "UlThptPerUE",
            "Mbps",
            0,
            100_000,
            "IS_EQUAL_TO_OR_GREATER_THAN",
            _RATE,
            ("uplink throughput", "ul throughput"),
            "uplink throughput per UE",
        ),
        KpiDef(
            "AveDLRANUEThpt",
            "Mbps",
            0,
            100_000,
            "IS_EQUAL_TO_OR_GREATER_THAN",
            _RATE,
            ("cell throughput", "average dl ran ue throughput"),
            "average downlink RAN UE throughput",
        ),
        KpiDef(
            "DlLatency",
            "ms",
            0,
            100_000,
            "IS_EQUAL_TO_OR_LESS_THAN",
            _TIME,
            ("latency", "dl latency", "downlink latency", "delay"),
            "downlink latency",
        ),
        KpiDef(
            "UlLatency",
            "ms",
            0,
            100_000,
            "IS_EQUAL_TO_OR_LESS_THAN",
            _TIME,
            ("ul latency", "uplink latency"),
            "uplink latency",
        ),
        KpiDef(
            "jitter",
            "ms",
            0,
            100_000,
            "IS_EQUAL_TO_OR_LESS_THAN",
            _TIME,
            (),
            "packet delay variation",
        ),
        _pct(
            "packet_loss",
            ("loss", "packet loss", "plr"),
            "IS_EQUAL_TO_OR_LESS_THAN",
            "share of packets lost",
        ),
        _pct(
            "cpu",
            ("cpu utilization", "cpu usage", "cpu load"),
            "IS_WITHIN_RANGE",
            "CPU utilisation of a resource",
        ),
        _pct(
            "ram",
            ("memory", "ram utilization", "memory usage"),
            "IS_WITHIN_RANGE",
            "RAM utilisation of a resource",
        ),
        _pct(
            "storage",
            ("disk", "storage utilization", "disk usage"),
            "IS_WITHIN_RANGE",
            "storage utilisation of a resource",
        ),
    )
}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.strip().lower())


_BY_KEY: dict[str, str] = {}
for _k in CATALOGUE.values():
    for _alias in (_k.name, *_k.aliases):
        _BY_KEY[_key(_alias)] = _k.name


def canonical_name(name: str) -> str:
    """The catalogue name of a KPI written loosely ('Availability', 'dl_latency')."""
    if not isinstance(name, str) or not name.strip():
        raise IntentError(f"a KPI needs a name, got {name!r}")
    found = _BY_KEY.get(_key(name))
    if found is None:
        raise IntentError(f"unknown KPI '{name}' (known: {', '.join(CATALOGUE)})")
    return found


def _number(kpi: str, raw: Any) -> float:
    if isinstance(raw, str):
        text = raw.strip().rstrip("%").strip()
        try:
            raw = float(text)
        except ValueError:
            raise IntentError(f"KPI '{kpi}': value {raw!r} is not a number") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise IntentError(f"KPI '{kpi}': value {raw!r} is not a finite number")
    return float(raw)


def validate_target(
    name: str, condition: str | None, values: Any, unit: str | None = None
) -> tuple[str, str, list[float]]:
    """Check one KPI target against the catalogue; returns (name, condition, canonical values).

    ``values`` is one number (or a list of one) for a bound or an exact value, two for
    IS_WITHIN_RANGE. A value written "99.99%" counts as percent.
    """
    kpi = CATALOGUE[canonical_name(name)]
    cond = condition or kpi.condition
    if cond not in CONDITIONS:
        raise IntentError(
            f"KPI '{kpi.name}': unknown condition {cond!r} (use one of {', '.join(CONDITIONS)})"
        )
    raw = values if isinstance(values, list | tuple) else [values]
    if unit is None and any(isinstance(v, str) and v.strip().endswith("%") for v in raw):
        unit = "%"
    unit = kpi.unit if unit in (None, "") else unit
    if unit not in kpi.units and unit != kpi.unit:
        raise IntentError(
            f"KPI '{kpi.name}': unit {unit!r} does not fit (use one of "
            f"{', '.join(dict.fromkeys([kpi.unit, *kpi.units]))})"
        )
    factor = kpi.units.get(unit, 1.0)
    want = 2 if cond == "IS_WITHIN_RANGE" else 1
    if len(raw) != want:
        raise IntentError(f"KPI '{kpi.name}': {cond} needs {want} value(s), got {len(raw)}")
    nums = [round(_number(kpi.name, v) * factor, 12) for v in raw]
    for v in nums:
        if not kpi.lo <= v <= kpi.hi:
            raise IntentError(
                f"KPI '{kpi.name}': {v:g} {kpi.unit} is outside {kpi.lo:g}..{kpi.hi:g} {kpi.unit}"
            )
    if want == 2 and nums[0] > nums[1]:
        raise IntentError(f"KPI '{kpi.name}': range low {nums[0]:g} exceeds high {nums[1]:g}")
    return kpi.name, cond, nums
