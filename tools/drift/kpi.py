"""KPI targets and operational values, validated before any arithmetic.

A target is what the intent asks of one KPI: a range ``[lo, hi]``, a single bound with a
direction (at most / at least), or an exact value. Operational values are numbers or time
series. Every mistake a user can make here is reported as a :class:`KpiError` naming the KPI,
because a drift figure computed from a silently misread target is worse than no figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

__all__ = [
    "DriftInputError",
    "KpiError",
    "KpiTarget",
    "TargetKind",
    "compile_targets",
    "parse_operational",
    "parse_targets",
]


class DriftInputError(ValueError):
    """Input to the drift calculator that cannot be used; the message names the field."""


class KpiError(DriftInputError):
    """A bad KPI target or value; ``kpi`` names the offending KPI (``None`` if global)."""

    def __init__(self, kpi: str | None, message: str) -> None:
        self.kpi = kpi
        self.detail = message
        super().__init__(f"KPI '{kpi}': {message}" if kpi else message)


class TargetKind(StrEnum):
    RANGE = "range"
    MAX = "max"  # at most the bound
    MIN = "min"  # at least the bound
    EXACT = "exact"


# TS 28.312 expectation-target conditions, mapped onto the kinds above.
_CONDITIONS: dict[str, TargetKind] = {
    "IS_WITHIN_RANGE": TargetKind.RANGE,
    "IS_LESS_THAN": TargetKind.MAX,
    "IS_EQUAL_TO_OR_LESS_THAN": TargetKind.MAX,
    "IS_GREATER_THAN": TargetKind.MIN,
    "IS_EQUAL_TO_OR_GREATER_THAN": TargetKind.MIN,
    "IS_EQUAL_TO": TargetKind.EXACT,
}
_DIRECTIONS = {
    "max": TargetKind.MAX, "at_most": TargetKind.MAX,
    "min": TargetKind.MIN, "at_least": TargetKind.MIN,
}
_FORMS = (
    "a range {range: [lo, hi]}, {min: x} and/or {max: x}, {bound: x, direction: max|min}, "
    "{equals: x}, a bare number (exact) or [lo, hi], or a TS 28.312 "
    "{targetCondition, targetValueRange}"
)


def _number(kpi: str, field: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise KpiError(kpi, f"{field} must be a number, got {raw!r}")
    value = float(raw)
    if math.isnan(value):
        raise KpiError(kpi, f"{field} is NaN")
    if math.isinf(value):
        raise KpiError(kpi, f"{field} is infinite; leave the side out for an open bound")
    return value


def _pair(kpi: str, field: str, raw: Any) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        raise KpiError(kpi, f"{field} must be a list [lo, hi], got {raw!r}")
    return _number(kpi, f"{field} low", raw[0]), _number(kpi, f"{field} high", raw[1])


def _normalise_spec(kpi: str, spec: Any) -> dict[str, Any]:
    """Turn any accepted target form into ``{kind, lo, hi, unit}``."""
    if spec is None or spec == {}:
        raise KpiError(kpi, f"missing target: give {_FORMS}")
    if isinstance(spec, bool):
        raise KpiError(kpi, f"target must be a number, a pair or a mapping, got {spec!r}")
    if isinstance(spec, int | float):
        v = _number(kpi, "target", spec)
        return {"kind": TargetKind.EXACT, "lo": v, "hi": v}
    if isinstance(spec, list | tuple):
        pair = _pair(kpi, "range", spec)
        return {"kind": TargetKind.RANGE, "lo": pair[0], "hi": pair[1]}
    if not isinstance(spec, Mapping):
        raise KpiError(kpi, f"target must be a number, a pair or a mapping, got {spec!r}")

    spec = dict(spec)
    unit = spec.pop("unit", None)
    if unit is not None and not isinstance(unit, str):
        raise KpiError(kpi, f"unit must be text, got {unit!r}")
    out: dict[str, Any]
    lo: float | None
    hi: float | None
    if "kind" in spec:  # already normalised (round trip of model_dump)
        kind = spec.pop("kind")
        if kind not in TargetKind.__members__.values():
            kinds = [k.value for k in TargetKind]
            raise KpiError(kpi, f"unknown kind {kind!r}; use one of {kinds}")
        raw_lo, raw_hi = spec.pop("lo", None), spec.pop("hi", None)
        out = {
            "kind": TargetKind(kind),
            "lo": None if raw_lo is None else _number(kpi, "lo", raw_lo),
            "hi": None if raw_hi is None else _number(kpi, "hi", raw_hi),
        }
    elif "targetCondition" in spec:
        cond = spec.pop("targetCondition")
        raw = spec.pop("targetValueRange", None)
        if cond not in _CONDITIONS:
            raise KpiError(
                kpi, f"targetCondition {cond!r} is not supported; use one of {sorted(_CONDITIONS)}"
            )
        if raw is None:
            raise KpiError(kpi, "targetValueRange is missing")
        kind = _CONDITIONS[cond]
        if kind is TargetKind.RANGE:
            lo, hi = _pair(kpi, "targetValueRange", raw)
        else:
            v = _number(kpi, "targetValueRange", raw)
            lo = v if kind in (TargetKind.MIN, TargetKind.EXACT) else None
            hi = v if kind in (TargetKind.MAX, TargetKind.EXACT) else None
        out = {"kind": kind, "lo": lo, "hi": hi}
    elif "range" in spec:
        lo, hi = _pair(kpi, "range", spec.pop("range"))
        out = {"kind": TargetKind.RANGE, "lo": lo, "hi": hi}
    elif "equals" in spec:
        v = _number(kpi, "equals", spec.pop("equals"))
        out = {"kind": TargetKind.EXACT, "lo": v, "hi": v}
    elif "bound" in spec:
        v = _number(kpi, "bound", spec.pop("bound"))
        direction = spec.pop("direction", None)
        if direction not in _DIRECTIONS:
            raise KpiError(
                kpi, f"direction must be one of {sorted(_DIRECTIONS)}, got {direction!r}"
            )
        kind = _DIRECTIONS[direction]
        out = {
            "kind": kind,
            "lo": v if kind is TargetKind.MIN else None,
            "hi": v if kind is TargetKind.MAX else None,
        }
    elif "min" in spec or "max" in spec:
        lo = _number(kpi, "min", spec.pop("min")) if "min" in spec else None
        hi = _number(kpi, "max", spec.pop("max")) if "max" in spec else None
        if lo is not None and hi is not None:
            kind = TargetKind.RANGE
        else:
            kind = TargetKind.MIN if lo is not None else TargetKind.MAX
        out = {"kind": kind, "lo": lo, "hi": hi}
    else:
        raise KpiError(kpi, f"missing target: give {_FORMS}")
    if spec:
        raise KpiError(kpi, f"unknown target field(s): {', '.join(sorted(map(str, spec)))}")
    out["unit"] = unit
    return out


class KpiTarget(BaseModel):
    """One KPI's target; ``lo``/``hi`` are ``None`` on the open side of a single bound."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: TargetKind
    lo: float | None = None
    hi: float | None = None
    unit: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_shorthand(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "name" not in data:
            raise ValueError("a KPI target needs a name")
        name = str(data["name"])
        spec = {k: v for k, v in data.items() if k != "name"}
        return {"name": name, **_normalise_spec(name, spec)}

    @model_validator(mode="after")
    def _check_bounds(self) -> KpiTarget:
        k = self.kind
        need_lo = k in (TargetKind.RANGE, TargetKind.MIN, TargetKind.EXACT)
        need_hi = k in (TargetKind.RANGE, TargetKind.MAX, TargetKind.EXACT)
        if need_lo and self.lo is None or need_hi and self.hi is None:
            raise KpiError(self.name, f"a '{k.value}' target needs both its bounds")
        if self.lo is not None and self.hi is not None and self.lo > self.hi:
            raise KpiError(
                self.name, f"inverted range [{self.lo:g}, {self.hi:g}]: low must not exceed high"
            )
        if k is TargetKind.EXACT and self.lo != self.hi:
            raise KpiError(self.name, "an exact target has one value")
        return self

    @property
    def lower(self) -> float:
        return -math.inf if self.lo is None else self.lo

    @property
    def upper(self) -> float:
        return math.inf if self.hi is None else self.hi

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.kind is TargetKind.RANGE:
            return f"in [{self.lo:g}, {self.hi:g}]{unit}"
        if self.kind is TargetKind.MAX:
            return f"<= {self.hi:g}{unit}"
        if self.kind is TargetKind.MIN:
            return f">= {self.lo:g}{unit}"
        return f"= {self.lo:g}{unit}"

    @classmethod
    def of(cls, name: str, spec: Any) -> KpiTarget:
        """Build from any accepted form, raising :class:`KpiError` (never a ValidationError)."""
        payload = {"name": name, **_normalise_spec(name, spec)}
        try:
            return cls.model_validate(payload)
        except ValidationError as exc:
            for err in exc.errors():
                cause = err.get("ctx", {}).get("error")
                if isinstance(cause, KpiError):
                    raise cause from None
            first = exc.errors()[0]
            raise KpiError(name, str(first.get("msg", exc))) from None


def parse_targets(spec: Any) -> dict[str, KpiTarget]:
    """Parse a ``{kpi: target}`` mapping; accepts ``{"kpis": {...}}`` as well."""
    if isinstance(spec, Mapping) and set(spec) == {"kpis"}:
        spec = spec["kpis"]
    if not isinstance(spec, Mapping):
        raise KpiError(None, f"KPI targets must be a mapping of KPI name to target, got {spec!r}")
    if not spec:
        raise KpiError(None, "no KPI targets given")
    out: dict[str, KpiTarget] = {}
    for name, target in spec.items():
        if not isinstance(name, str) or not name.strip():
            raise KpiError(None, f"KPI names must be non-empty text, got {name!r}")
        out[name] = target if isinstance(target, KpiTarget) else KpiTarget.of(name, target)
    return out


def _series(kpi: str, raw: Any) -> np.ndarray:
    if isinstance(raw, bool):
        raise KpiError(kpi, f"value must be a number or a list of numbers, got {raw!r}")
    if isinstance(raw, int | float):
        values = [raw]
    elif isinstance(raw, list | tuple):
        if not raw:
            raise KpiError(kpi, "the time series is empty")
        for i, v in enumerate(raw):
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise KpiError(kpi, f"sample {i} must be a number, got {v!r}")
        values = list(raw)
    else:
        raise KpiError(kpi, f"value must be a number or a list of numbers, got {raw!r}")
    arr = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        what = "NaN" if math.isnan(arr[i]) else "infinite"
        where = f"sample {i}" if len(values) > 1 else "value"
        raise KpiError(kpi, f"{where} is {what}")
    return arr


def parse_operational(values: Any, targets: Mapping[str, KpiTarget]) -> dict[str, np.ndarray]:
    """Check operational values against the targets: no unknown KPI, none missing.

    Each value becomes a 1-D series; series of different lengths are an error, except that a
    single number stands for a constant series.
    """
    if not isinstance(values, Mapping):
        raise KpiError(None, f"operational values must be a mapping of KPI name to value, got "
                             f"{values!r}")
    unknown = [k for k in values if k not in targets]
    if unknown:
        raise KpiError(str(unknown[0]), f"unknown KPI: no target for it (targets: "
                                        f"{', '.join(targets)})")
    given = {k: _series(k, values[k]) for k in targets if k in values}
    missing = [k for k in targets if k not in values]
    if missing:
        raise KpiError(missing[0], "no operational value given")
    series = {k: given[k] for k in targets}
    lengths = {k: len(v) for k, v in series.items() if len(v) > 1}
    if len(set(lengths.values())) > 1:
        first, *rest = lengths.items()
        other = next(kv for kv in rest if kv[1] != first[1])
        raise KpiError(other[0], f"time series has {other[1]} samples but '{first[0]}' has "
                                 f"{first[1]}; series must be aligned")
    t = max(lengths.values(), default=1)
    return {k: np.broadcast_to(v, (t,)) if len(v) == 1 else v for k, v in series.items()}


def compile_targets(targets: Mapping[str, KpiTarget]) -> tuple[np.ndarray, np.ndarray]:
    """Targets as two arrays of lower/upper bounds (±inf on an open side) for the numpy core."""
    lo = np.fromiter((t.lower for t in targets.values()), dtype=np.float64, count=len(targets))
    hi = np.fromiter((t.upper for t in targets.values()), dtype=np.float64, count=len(targets))
    return lo, hi
