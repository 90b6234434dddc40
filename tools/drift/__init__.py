"""Drift calculator: how far the network is from an intent, and which way to move.

Implements the intent-assurance paper's method (Dzeparoska, Tizghadam, Leon-Garcia) as a
deterministic tool: 9-ary KPI quantization and its 3-ary map, Kleene logic, ΔK, distance,
error and drift gradient, resource/sub-service/service health, availability by redundancy
and downtime, and an RFC 9418-shaped assurance report with ranked corrective actions. All
policy choices live in a YAML file (``default_policy.yaml`` reproduces the paper).

LangChain tools are in :mod:`maestro.tools.drift.lc_tools` (imported lazily so that the
numeric core does not pull LangChain in).
"""

from .assurance import assess, assess_documents
from .drift import (
    Evaluation,
    distance,
    drift_over_time,
    error,
    evaluate,
    evaluate_kpis,
    kpi_gradient,
    raw_gradient,
    scaled_gradient,
)
from .health import (
    SECONDS_PER_YEAR,
    AgentHealth,
    agent_health,
    aggregate,
    availability_from_health,
    composite_resource_health,
    composite_service_health,
    downtime_budget,
    intent_health,
    measured_availability,
    normalize,
    parallel_availability,
    redundancy_needed,
    resource_health,
    service_health_pct,
    sub_service_health,
)
from .kpi import (
    DriftInputError,
    KpiError,
    KpiTarget,
    TargetKind,
    compile_targets,
    parse_operational,
    parse_targets,
)
from .policy import (
    ActionSpec,
    AggregatePolicy,
    AvailabilityPolicy,
    DriftPolicy,
    PolicyError,
    QuantizationPolicy,
    default_policy,
    load_policy,
    policy_from_mapping,
)
from .quantize import (
    P3_LABELS,
    P9_LABELS,
    band_scale,
    k_all,
    k_and,
    k_any,
    k_equiv,
    k_implies,
    k_not,
    k_or,
    p9_levels,
    p9_to_p3,
    quantize,
    quantize_p9,
)
from .report import (
    ActionCandidate,
    AssuranceGraph,
    AssuranceReport,
    AvailabilityReport,
    CompositeHealth,
    DependencyRef,
    DriftSummary,
    KpiResult,
    SubServiceNode,
    Symptom,
)
from .service import (
    Dependency,
    Downtime,
    ServiceObservation,
    ServiceTargets,
    SubServiceObservation,
    SubServiceTargets,
    parse_observation,
    parse_service_targets,
)

__all__ = [
    "P3_LABELS",
    "P9_LABELS",
    "SECONDS_PER_YEAR",
    "ActionCandidate",
    "ActionSpec",
    "AgentHealth",
    "AggregatePolicy",
    "AssuranceGraph",
    "AssuranceReport",
    "AvailabilityPolicy",
    "AvailabilityReport",
    "CompositeHealth",
    "Dependency",
    "DependencyRef",
    "Downtime",
    "DriftInputError",
    "DriftPolicy",
    "DriftSummary",
    "Evaluation",
    "KpiError",
    "KpiResult",
    "KpiTarget",
    "PolicyError",
    "QuantizationPolicy",
    "ServiceObservation",
    "ServiceTargets",
    "SubServiceNode",
    "SubServiceObservation",
    "SubServiceTargets",
    "Symptom",
    "TargetKind",
    "agent_health",
    "aggregate",
    "assess",
    "assess_documents",
    "availability_from_health",
    "band_scale",
    "compile_targets",
    "composite_resource_health",
    "composite_service_health",
    "default_policy",
    "distance",
    "downtime_budget",
    "drift_over_time",
    "error",
    "evaluate",
    "evaluate_kpis",
    "intent_health",
    "k_all",
    "k_and",
    "k_any",
    "k_equiv",
    "k_implies",
    "k_not",
    "k_or",
    "kpi_gradient",
    "load_policy",
    "make_drift_tools",
    "measured_availability",
    "normalize",
    "p9_levels",
    "p9_to_p3",
    "parallel_availability",
    "parse_observation",
    "parse_operational",
    "parse_service_targets",
    "parse_targets",
    "policy_from_mapping",
    "quantize",
    "quantize_p9",
    "raw_gradient",
    "redundancy_needed",
    "resource_health",
    "scaled_gradient",
    "service_health_pct",
    "sub_service_health",
]


def __getattr__(name: str) -> object:
    # LangChain is heavy to import; load the tools module only when asked for.
    if name == "make_drift_tools":
        from .lc_tools import make_drift_tools

        return make_drift_tools
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
