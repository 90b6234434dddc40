"""Drift policies: every choice the paper leaves to "a policy function", as data.

Band edges, the 9-to-3 map, the health aggregators (chosen by name), health scores, the
availability targets and the catalogue of corrective actions live in a YAML/JSON file, so an
operator tunes assurance without touching code. The packaged ``default_policy.yaml``
reproduces the paper's numbers; a user file overrides only the fields it sets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "ActionSpec",
    "AggregatePolicy",
    "AvailabilityPolicy",
    "DriftPolicy",
    "PolicyError",
    "QuantizationPolicy",
    "default_policy",
    "load_policy",
    "policy_from_mapping",
]

State = Literal[-1, 0, 1]
_P9 = range(-4, 5)


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the field."""


class QuantizationPolicy(BaseModel):
    """Band edges of the 9-ary quantization and the 9-to-3 map."""

    model_config = ConfigDict(extra="forbid")

    scale: Literal["bound", "absolute"] = "bound"
    above: tuple[float, float, float] = (0.10, 0.20, 0.25)
    below: tuple[float, float, float] = (0.25, 0.50, 0.70)
    p9_to_p3: dict[int, int] = Field(
        default_factory=lambda: {-4: -1, -3: -1, -2: 0, -1: 0, 0: 1, 1: 0, 2: 0, 3: -1, 4: -1}
    )

    @field_validator("above", "below")
    @classmethod
    def _increasing(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(not np.isfinite(e) or e <= 0 for e in v):
            raise ValueError("band edges must be positive finite numbers")
        if not v[0] < v[1] < v[2]:
            raise ValueError(f"band edges must increase strictly, got {list(v)}")
        return v

    @field_validator("p9_to_p3")
    @classmethod
    def _complete(cls, v: dict[int, int]) -> dict[int, int]:
        missing = [k for k in _P9 if k not in v]
        extra = [k for k in v if k not in _P9]
        if missing or extra:
            raise ValueError(
                f"needs exactly the keys -4..4 (missing {missing}, unexpected {extra})"
            )
        if any(s not in (-1, 0, 1) for s in v.values()):
            raise ValueError("3-ary states are -1, 0 and 1")
        if v[0] != 1:
            raise ValueError("P9 level 0 (inside the target) must map to 1 (normal)")
        return v

    def p3_table(self) -> np.ndarray:
        """Lookup table indexed by ``p9 + 4``."""
        return np.array([self.p9_to_p3[k] for k in _P9], dtype=np.int8)


class AggregatePolicy(BaseModel):
    """A health aggregator chosen by name, with its parameters."""

    model_config = ConfigDict(extra="forbid")

    policy: Literal["strict", "lenient", "relative_average", "k_of_n"] = "strict"
    # relative_average quantizes the SUM of the members' states (the paper's Q(sum)):
    normal_at: float = 0.5  # sum >= this is normal
    critical_below: float = -0.5  # sum < this is critical
    k: int = Field(default=1, ge=0)  # k_of_n
    mode: Literal["count", "margin"] = "count"  # k_of_n: g >= k, or g - b >= k

    @model_validator(mode="before")
    @classmethod
    def _by_name(cls, data: Any) -> Any:
        return {"policy": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _thresholds(self) -> AggregatePolicy:
        if self.critical_below > self.normal_at:
            raise ValueError("critical_below must not exceed normal_at")
        return self


class AvailabilityPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: float = Field(default=0.9999, gt=0, lt=1)
    resource: float = Field(default=0.999, gt=0, lt=1)
    period_days: float = Field(default=365.0, gt=0)


class ActionSpec(BaseModel):
    """A corrective action the assurance loop may take on an unhealthy sub-service."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    penalty_factor: float = Field(gt=0)
    downtime_s: float = Field(default=0.0, ge=0)
    when: list[int] = Field(default_factory=lambda: [-1])
    description: str = ""

    @field_validator("when")
    @classmethod
    def _states(cls, v: list[int]) -> list[int]:
        if not v or any(s not in (-1, 0, 1) for s in v):
            raise ValueError("needs one or more 3-ary states (-1 critical, 0 warning, 1 normal)")
        return v


class DriftPolicy(BaseModel):
    """Everything configurable in quantization, drift, health and assurance."""

    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    quantization: QuantizationPolicy = Field(default_factory=QuantizationPolicy)
    gradient: Literal["scaled", "raw"] = "scaled"
    resource_health: AggregatePolicy = Field(default_factory=AggregatePolicy)
    composite_resource_health: AggregatePolicy = Field(default_factory=AggregatePolicy)
    composite_software_health: AggregatePolicy = Field(default_factory=AggregatePolicy)
    composite_network_health: AggregatePolicy = Field(default_factory=AggregatePolicy)
    composite_service_health: AggregatePolicy = Field(default_factory=AggregatePolicy)
    agent_health: AggregatePolicy = Field(default_factory=AggregatePolicy)
    sub_service_health: AggregatePolicy = Field(default_factory=AggregatePolicy)
    normalize: dict[int, float] = Field(default_factory=lambda: {1: 1.0, 0: 1.0, -1: 0.0})
    unknown_as: State = -1
    health_scores: dict[int, int] = Field(default_factory=lambda: {1: 100, 0: 50, -1: 0})
    symptom_weights: dict[int, int] = Field(
        default_factory=lambda: {1: 25, 2: 50, 3: 75, 4: 100}
    )
    availability: AvailabilityPolicy = Field(default_factory=AvailabilityPolicy)
    actions: list[ActionSpec] = Field(default_factory=list)

    @field_validator("normalize")
    @classmethod
    def _normalize_complete(cls, v: dict[int, float]) -> dict[int, float]:
        if set(v) != {-1, 0, 1}:
            raise ValueError("needs the keys -1, 0 and 1")
        if any(not 0 <= x <= 1 for x in v.values()):
            raise ValueError("values must lie in [0, 1]")
        return v

    @field_validator("health_scores")
    @classmethod
    def _scores(cls, v: dict[int, int]) -> dict[int, int]:
        if set(v) != {-1, 0, 1}:
            raise ValueError("needs the keys -1, 0 and 1")
        if any(not 0 <= x <= 100 for x in v.values()):
            raise ValueError("health scores must lie in 0..100")
        if v[1] != 100 or v[0] >= 100 or v[-1] >= 100:
            raise ValueError("only the normal state (1) may score 100")
        return v

    @field_validator("symptom_weights")
    @classmethod
    def _weights(cls, v: dict[int, int]) -> dict[int, int]:
        if set(v) != {1, 2, 3, 4}:
            raise ValueError("needs the keys 1, 2, 3 and 4 (|P9| levels)")
        if any(not 1 <= x <= 100 for x in v.values()):
            raise ValueError("weights must lie in 1..100 (a symptom always weighs > 0)")
        return v

    @field_validator("actions")
    @classmethod
    def _unique_actions(cls, v: list[ActionSpec]) -> list[ActionSpec]:
        names = [a.name for a in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate action name(s): {', '.join(sorted(dup))}")
        return v


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge mappings; lists and scalars in ``override`` replace the base value."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _validation_message(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"policy {source}: field '{field}': {msg}"


def _packaged_text() -> str:
    return resources.files(__package__).joinpath("default_policy.yaml").read_text("utf-8")


@lru_cache(maxsize=1)
def _default_raw() -> dict[str, Any]:
    data = yaml.safe_load(_packaged_text())
    assert isinstance(data, dict)
    return data


def policy_from_mapping(data: Mapping[str, Any], source: str = "(mapping)") -> DriftPolicy:
    """Validate a policy mapping laid over the packaged defaults."""
    if not isinstance(data, Mapping):
        kind = type(data).__name__
        raise PolicyError(f"policy {source}: must be a mapping of fields, got {kind}")
    merged = _merge(_default_raw(), data)
    if "name" not in data:
        merged["name"] = Path(source).stem if source != "(mapping)" else "custom"
    try:
        return DriftPolicy.model_validate(merged)
    except ValidationError as exc:
        raise PolicyError(_validation_message(exc, source)) from None


@lru_cache(maxsize=1)
def default_policy() -> DriftPolicy:
    """The packaged policy (reproduces the paper's numbers)."""
    return DriftPolicy.model_validate(_default_raw())


def load_policy(source: str | Path | Mapping[str, Any] | DriftPolicy | None = None) -> DriftPolicy:
    """Load a policy: ``None`` or ``"default"`` for the packaged one, a mapping, or a file path.

    A file (YAML or JSON) needs to set only the fields it changes.
    """
    if source is None or source == "default":
        return default_policy()
    if isinstance(source, DriftPolicy):
        return source
    if isinstance(source, Mapping):
        return policy_from_mapping(source)
    path = Path(source)
    if not path.is_file():
        raise PolicyError(f"policy file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PolicyError(f"policy {path}: cannot read it: {first}") from None
    if data is None:
        data = {}
    return policy_from_mapping(data, str(path))
