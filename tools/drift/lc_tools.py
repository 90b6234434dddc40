"""The drift calculator as LangChain structured tools, for the agents' assurance units.

The LLM decides, the tool computes: each tool takes pydantic-validated arguments and returns
plain JSON-ready dicts. A user mistake comes back to the agent as a ToolException message
naming the bad field, so the agent can correct its call instead of crashing the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel, ConfigDict, Field

from .assurance import assess_documents
from .drift import evaluate_kpis
from .health import (
    downtime_budget,
    intent_health,
    measured_availability,
    parallel_availability,
    redundancy_needed,
)
from .kpi import DriftInputError, KpiTarget, parse_operational
from .policy import DriftPolicy, PolicyError, load_policy
from .quantize import P3_LABELS, P9_LABELS

__all__ = [
    "AssessArgs",
    "AvailabilityArgs",
    "DriftArgs",
    "QuantizeArgs",
    "TargetArg",
    "make_drift_tools",
]


class TargetArg(BaseModel):
    """A KPI target: min and max for a range, one of them for a bound, or equals."""

    model_config = ConfigDict(extra="forbid")

    min: float | None = Field(default=None, description="lowest acceptable value")
    max: float | None = Field(default=None, description="highest acceptable value")
    equals: float | None = Field(default=None, description="the exact value required")
    unit: str | None = Field(default=None, max_length=20)

    def to_target(self, name: str) -> KpiTarget:
        spec: dict[str, Any] = {k: v for k, v in self.model_dump().items() if v is not None}
        return KpiTarget.of(name, spec)


class QuantizeArgs(BaseModel):
    kpi: str = Field(default="kpi", max_length=64, description="KPI name, for messages")
    value: float = Field(description="operational value")
    target: TargetArg


class DriftArgs(BaseModel):
    targets: dict[str, TargetArg] = Field(description="target per KPI name")
    operational: dict[str, float | list[float]] = Field(
        description="operational value (or time series, oldest first) per KPI name"
    )


class AssessArgs(BaseModel):
    targets: dict[str, Any] = Field(
        description="targets document: {service, kpis: {name: target}, subservices: {...}}"
    )
    operational: dict[str, Any] = Field(
        description="operational document: {subservices: {name: {kpis, software, agents}}, "
                    "downtime: {planned_days, down_minutes}}"
    )


class AvailabilityArgs(BaseModel):
    target: float = Field(default=0.9999, gt=0, lt=1, description="intent availability")
    per_resource: float = Field(default=0.999, gt=0, lt=1, description="one resource's")
    resources: int | None = Field(default=None, ge=1, description="redundant resources now")
    planned_s: float | None = Field(default=None, gt=0, description="observed period, s")
    down_s: float | None = Field(default=None, ge=0, description="downtime in that period, s")


def _guard(fn: Any) -> Any:
    def run(**kwargs: Any) -> dict[str, Any]:
        try:
            return dict(fn(**kwargs))
        except (DriftInputError, PolicyError, ValueError) as exc:
            raise ToolException(str(exc)) from None

    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


def make_drift_tools(policy: DriftPolicy | str | None = None) -> list[BaseTool]:
    """The four drift tools, bound to one policy (the packaged default if none)."""
    pol = load_policy(policy)

    def quantize_kpi(kpi: str, value: float, target: TargetArg) -> dict[str, Any]:
        t = (target if isinstance(target, TargetArg) else TargetArg.model_validate(target))
        kt = t.to_target(kpi)
        parse_operational({kpi: value}, {kpi: kt})  # NaN / inf named
        ev = evaluate_kpis({kpi: value}, {kpi: kt}, pol)
        p9, p3 = int(ev.p9[0, 0]), int(ev.p3[0, 0])
        return {"kpi": kpi, "p9": p9, "p3": p3, "label": f"{P9_LABELS[p9]} ({P3_LABELS[p3]})",
                "delta": float(ev.delta[0, 0]),
                "gradient": float(ev.gradient(pol.gradient)[0, 0])}

    def intent_drift(
        targets: dict[str, TargetArg], operational: dict[str, float | list[float]]
    ) -> dict[str, Any]:
        kts = {n: (t if isinstance(t, TargetArg) else TargetArg.model_validate(t)).to_target(n)
               for n, t in targets.items()}
        series = parse_operational(operational, kts)
        ev = evaluate_kpis(series, kts, pol)
        grad = ev.gradient(pol.gradient)
        kpis = {n: {"value": float(series[n][-1]), "p9": int(ev.p9[-1, i]),
                    "p3": int(ev.p3[-1, i]), "delta": float(ev.delta[-1, i]),
                    "gradient": float(grad[-1, i])} for i, n in enumerate(kts)}
        drift = ev.drift()
        return {"kpis": kpis, "distance": float(ev.distance()[-1]),
                "error": float(ev.error()[-1]),
                "drift_vector": {n: kpis[n]["gradient"] for n in kts},
                "delta_change": {n: float(drift[-1, i]) for i, n in enumerate(kts)}
                if len(drift) else None}

    def assess_service(targets: dict[str, Any], operational: dict[str, Any]) -> dict[str, Any]:
        return assess_documents(targets, operational, pol).to_json()

    def availability_check(
        target: float = 0.9999, per_resource: float = 0.999, resources: int | None = None,
        planned_s: float | None = None, down_s: float | None = None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "redundancy_needed": redundancy_needed(target, per_resource),
            "yearly_budget_min": downtime_budget(target) / 60,
        }
        if resources is not None:
            out["designed"] = parallel_availability([per_resource] * resources)
            out["redundancy_met"] = resources >= out["redundancy_needed"]
        if planned_s is not None and down_s is not None:
            a = measured_availability(planned_s, down_s)
            out |= {"measured": a, "budget_s": downtime_budget(target, planned_s),
                    "intent_health": intent_health(a, target)}
        return out

    specs: list[tuple[Callable[..., dict[str, Any]], type[BaseModel], str]] = [
        (quantize_kpi, QuantizeArgs,
         "Quantize one KPI against its target: P9 band (-4..4), P3 state (1 normal, 0 warning, "
         "-1 critical), deviation and drift gradient."),
        (intent_drift, DriftArgs,
         "Intent drift of a set of KPIs: per-KPI P9/P3, delta and gradient (which way and how "
         "far to move), Euclidean distance and error to the targets."),
        (assess_service, AssessArgs,
         "Full assurance of a service made of sub-services: health scores (RFC 9418 style), "
         "service health %, availability against the intent, drift vector, and corrective "
         "actions ranked cheapest-that-restores first."),
        (availability_check, AvailabilityArgs,
         "Availability arithmetic: redundant resources needed for a target, the downtime "
         "budget, measured availability and whether the intent holds."),
    ]
    return [
        StructuredTool.from_function(
            func=_guard(fn), name=fn.__name__, description=desc, args_schema=schema,
            handle_tool_error=True,
        )
        for fn, schema, desc in specs
    ]
