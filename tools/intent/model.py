"""The project's own form of an intent: type, key:value pairs and the target KPI vector.

This is the paper's formalisation (§III-A): the raw text ("Create collectors in Domain West
for gathering Netflow data ... 99.99% availability") becomes key:value pairs
(``{"Domain": "West", "Task": "Create collectors", "Data Type": "Netflow",
"Availability": "99.99%"}``) and a KPI vector (``{"availability": >= 0.9999}``). The
standard shapes (:mod:`.shapes`) are views of this form; the drift calculator takes
:meth:`IntentSpec.kpi_targets` as its targets.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .catalogue import CATALOGUE, Condition, validate_target

__all__ = ["INTENT_TYPES", "IntentSpec", "IntentType", "KpiTargetSpec"]

IntentType = Literal[
    "create_resource",
    "deploy_service",
    "discover_resource",
    "modify_resource",
    "delete_resource",
    "assure_service",
]
INTENT_TYPES: tuple[str, ...] = IntentType.__args__  # type: ignore[attr-defined]


class KpiTargetSpec(BaseModel):
    """One entry of the KPI vector, in the KPI's canonical unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    condition: Condition
    value: list[float] = Field(min_length=1, max_length=2)

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        name, cond, values = validate_target(
            data.get("name", ""), data.get("condition"), data.get("value"), data.get("unit")
        )
        return {"name": name, "condition": cond, "value": values}

    @property
    def unit(self) -> str:
        return CATALOGUE[self.name].unit

    def as_drift_target(self) -> dict[str, Any]:
        """The TS 28.312 target form the drift calculator reads."""
        return {"targetCondition": self.condition, "targetValueRange": list(self.value)}

    def describe(self) -> str:
        sign = {
            "IS_EQUAL_TO": "=",
            "IS_LESS_THAN": "<",
            "IS_GREATER_THAN": ">",
            "IS_EQUAL_TO_OR_LESS_THAN": "<=",
            "IS_EQUAL_TO_OR_GREATER_THAN": ">=",
        }
        if self.condition == "IS_WITHIN_RANGE":
            return f"{self.name} in [{self.value[0]:g}, {self.value[1]:g}] {self.unit}"
        return f"{self.name} {sign[self.condition]} {self.value[0]:g} {self.unit}"


class IntentSpec(BaseModel):
    """An intent as maestro holds it; every standard shape converts to and from this."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="intent-1", min_length=1, max_length=128)
    name: str = Field(default="intent", min_length=1, max_length=200)
    text: str | None = Field(default=None, max_length=4000)  # the natural-language form
    intent_type: IntentType = "create_resource"
    verb: Literal["DELIVER", "ENSURE"] = "DELIVER"
    object_type: str = Field(default="service", min_length=1, max_length=64)
    object_instance: str | None = None
    formal: dict[str, str] = Field(default_factory=dict)  # key:value pairs
    contexts: dict[str, str] = Field(default_factory=dict)  # e.g. {"Domain": "West"}
    kpis: list[KpiTargetSpec] = Field(default_factory=list)
    created: str | None = None  # ISO time, kept for TMF921's creationDate

    @field_validator("kpis")
    @classmethod
    def _unique(cls, v: list[KpiTargetSpec]) -> list[KpiTargetSpec]:
        names = [k.name for k in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"KPI named twice: {', '.join(dup)}")
        return v

    def kpi_vector(self) -> dict[str, list[float] | float]:
        """K = (k1: v1, ..., km: vm): a bound or value per KPI, a [lo, hi] pair for ranges."""
        return {k.name: list(k.value) if len(k.value) == 2 else k.value[0] for k in self.kpis}

    def kpi_targets(self) -> dict[str, dict[str, Any]]:
        """The KPI vector as drift-calculator targets."""
        return {k.name: k.as_drift_target() for k in self.kpis}

    def target(self, name: str) -> KpiTargetSpec | None:
        return next((k for k in self.kpis if k.name == name), None)
