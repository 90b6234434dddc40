"""The assurance report, shaped like RFC 9418 where the RFC has a name for the concept.

Sub-services carry ``health-score`` (0..100, -1 unknown), ``symptoms`` with
``health-score-weight`` (> 0; at least one whenever the score is below 100) and
``dependencies`` typed ``impacting`` or ``informational``. Around the graph: per-KPI results,
the drift vector, availability and the ranked corrective actions. ``to_json()`` gives the
plain, hyphenated form the command line prints.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ActionCandidate",
    "AssuranceGraph",
    "AssuranceReport",
    "AvailabilityReport",
    "CompositeHealth",
    "DependencyRef",
    "DriftSummary",
    "KpiResult",
    "SubServiceNode",
    "Symptom",
]

_ALIASED = ConfigDict(frozen=True)


class Symptom(BaseModel):
    model_config = _ALIASED

    id: str
    description: str
    health_score_weight: int = Field(serialization_alias="health-score-weight", ge=1, le=100)


class DependencyRef(BaseModel):
    model_config = _ALIASED

    type: str  # the RFC's sub-service type of the dependency
    id: str
    dependency_type: Literal["impacting", "informational"] = Field(
        serialization_alias="dependency-type"
    )


class SubServiceNode(BaseModel):
    model_config = _ALIASED

    type: str
    id: str
    state: int | None = Field(ge=-1, le=1)  # 3-ary health; None when unknown
    health_score: int = Field(serialization_alias="health-score", ge=-1, le=100)
    symptoms: list[Symptom] = Field(default_factory=list)
    dependencies: list[DependencyRef] = Field(default_factory=list)
    components: dict[str, int | None] = Field(default_factory=dict)  # h_r, h_sw, h_a
    gradient: float | None = None  # ∂E/∂h_s = 2 (h_s - 1): -4 for a critical sub-service


class AssuranceGraph(BaseModel):
    model_config = _ALIASED

    service: SubServiceNode
    subservices: list[SubServiceNode]


class KpiResult(BaseModel):
    model_config = _ALIASED

    subservice: str = Field(serialization_alias="sub-service")
    kpi: str
    value: float
    target: str
    p9: int
    p3: int
    label: str
    delta: float
    gradient: float
    raw_gradient: float
    scaled_gradient: float
    drift: float | None = None  # change of delta since the previous sample
    samples: int = 1


class CompositeHealth(BaseModel):
    """The paper's composite service health vector (eqs. 9-10), 3-ary per component.

    Table III's drift: {k_Hr: -1, k_Hsw: 0, k_Hnet: 0}, so k_Hs = min = -1 while the service
    health in percent (eq. 13) is 50. A component with no known member is None.
    """

    model_config = _ALIASED

    resource: int | None = Field(ge=-1, le=1)  # k_Hr = f(h_r1, ..., h_rn), eq. 9
    software: int | None = Field(ge=-1, le=1)  # k_Hsw over every sub-service's h_sw
    network: int | None = Field(ge=-1, le=1)  # k_Hnet over every sub-service's agents/links
    service: int | None = Field(ge=-1, le=1)  # k_Hs = f(k_Hr, k_Hsw, k_Hnet), eq. 10


class DriftSummary(BaseModel):
    model_config = _ALIASED

    gradient: Literal["scaled", "raw"]
    vector: dict[str, float]
    distance: float
    error: float
    distance_series: list[float]
    subservice_gradients: dict[str, float | None]
    service_health_gradient: float  # 2 (H - 100) / 100: -1 at 50 %
    # Table III's availability row: 0 while the target is met, else 2 (A - A_t) / A_t
    availability_gradient: float = 0.0


class AvailabilityReport(BaseModel):
    model_config = _ALIASED

    target: float
    per_resource: float
    resources: int
    healthy_resources: int
    redundancy_needed: int
    designed: float  # 1 - Π(1 - A_r) over the declared resources
    current: float  # 1 - Π(1 - A_i) with A_i from each sub-service's health now
    measured: float | None  # (t_planned - t_down) / t_planned, when downtime is given
    planned_s: float | None
    down_s: float | None
    budget_s: float | None  # downtime the target allows over the observed period
    remaining_budget_s: float | None
    yearly_budget_min: float  # over policy.availability.period_days
    met: bool


class ActionCandidate(BaseModel):
    model_config = _ALIASED

    rank: int
    action: str
    subservice: str = Field(serialization_alias="sub-service")
    penalty: float
    penalty_factor: float
    downtime_s: float
    restores_intent: bool
    predicted_availability: float | None
    service_health_after_pct: float
    description: str = ""


class AssuranceReport(BaseModel):
    model_config = _ALIASED

    service: str
    policy: str
    kpis: dict[str, KpiResult]
    distance: float
    error: float
    service_health_pct: float
    composite_health: CompositeHealth
    intent_health: int
    availability: AvailabilityReport
    drift: DriftSummary
    assurance_graph: AssuranceGraph = Field(serialization_alias="assurance-graph")
    actions: list[ActionCandidate]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
