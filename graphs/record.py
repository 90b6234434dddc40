"""The run record: one JSON document per negotiation, with fixed top-level keys.

Scripts may rely on `consensus` (number or null), `agreed` (bool), `rounds` (one entry per
round holding every operator's proposal), `model` and `seed`; everything else is added
alongside, never in their place.

`status` says how the run ended: `consensus` (the agents agreed), `degraded` (the proposals
met, but in some round every decision came from a fallback: not enforced unless asked),
`round_cap`, `halted` (the network voided the topic) or `error` (a model could not be used,
the deadline passed, or something inside the run raised; nothing was enforced). `agreed` is
true only for `consensus`; `decisions` counts who made each decision.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["consensus", "degraded", "round_cap", "halted", "error"]


class ProposalRecord(BaseModel):
    value: float
    unit: str
    reasoning: str
    source: str  # llm, llm_retry, hard_guidance; fallbacks: optimizer, previous, preferred
    optimizer_value: float | None = None
    llm_value: float | None = None
    flags: list[dict[str, Any]] = Field(default_factory=list)
    # The regulatory unit's part: constraints that applied (with document and clause), the
    # passages cited in the prompt, and the constraints the value broke.
    regulation: dict[str, Any] | None = None
    # This operator's arbitral stage: its verdict on each text it received (sender -> verdict).
    arbitral: dict[str, dict[str, Any]] | None = None


class MediatorRecord(BaseModel):
    summary: str
    mediator_value: float | None
    feedback: dict[str, dict[str, Any]]
    source: str = "llm"  # llm, llm_retry, or fallback (numeric guidance only)
    flags: list[dict[str, Any]] = Field(default_factory=list)
    regulation: dict[str, Any] | None = None
    arbitral: dict[str, dict[str, Any]] | None = None  # the mediator's verdict per proposal


class RoundRecord(BaseModel):
    round: int
    proposals: dict[str, ProposalRecord]
    spread: float
    mediator: MediatorRecord | None = None
    observation: dict[str, Any] | None = None
    # The mediator's arbitral stage over this round's proposals (verdicts, warnings) and
    # every operator's trust after it: score 0-1, offences, action, weight, reason.
    arbitral: dict[str, Any] | None = None
    trust: dict[str, dict[str, Any]] | None = None


class Timings(BaseModel):
    wall_s: float
    model_s: float  # wall time during which at least one model call ran
    framework_s: float  # wall_s - model_s
    framework_share: float
    per_node_s: dict[str, float]  # per node, time outside the model, summed over branches
    model_compute_s: float = 0.0  # the calls' own time, summed (exceeds model_s in parallel)


class Decisions(BaseModel):
    """Who made the decisions (every proposal and every mediator turn) of the run."""

    llm: int = 0  # a valid reply of the agent's model, first try or retry
    fallback: int = 0  # validation's fallback: the optimizer, the previous or preferred value
    hard_guidance: int = 0  # the model replied, hard guidance set the optimizer's value
    regulation: int = 0  # the model's value broke a rule twice and was clamped to its bound
    person: int = 0  # a person in the seat decided (maestro chat, the served session)


class LLMUsage(BaseModel):
    calls: int
    input_tokens: int
    output_tokens: int


class NegotiationResult(BaseModel):
    consensus: float | None
    agreed: bool
    rounds: list[RoundRecord]
    model: str
    seed: int
    status: Status
    reason: str
    scenario: dict[str, Any]
    settings: dict[str, Any]
    flags: list[dict[str, Any]]
    timings: Timings
    llm: LLMUsage
    decisions: Decisions = Field(default_factory=Decisions)
    guidance: dict[str, str] = Field(default_factory=dict)
    optimum: dict[str, Any] | None = None
    enforcement: dict[str, Any] | None = None
    # Every operator's final trust state; an excluded one says when and why.
    trust: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # The constraints that applied in the run, each with its document and clause, and
    # whether retrieval worked (None: no `regulation:` section).
    regulation: dict[str, Any] | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def regulation_summary(
    regulation: dict[str, Any] | None, history: list[dict[str, Any]], flags: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The run's regulation part: the scenario's settings, every constraint that applied
    (once, with its document and clause), the passages cited and whether retrieval worked."""
    if regulation is None:
        return None
    constraints: dict[str, dict[str, Any]] = {}
    passages: dict[str, dict[str, Any]] = {}
    violations = 0
    for record in history:
        parts = [p.get("regulation") for p in (record.get("proposals") or {}).values()]
        parts.append((record.get("mediator") or {}).get("regulation"))
        for part in parts:
            if not part:
                continue
            for rule in part.get("constraints") or []:
                key = repr(sorted(rule.items()))
                constraints.setdefault(key, rule)
            for hit in part.get("passages") or []:
                passages.setdefault(
                    str(hit.get("id")), {k: hit[k] for k in ("id", "source") if k in hit}
                )
            violations += len(part.get("violations") or [])
    unavailable = [f for f in flags if f.get("code") == "regulation_unavailable"]
    return {
        "jurisdiction": regulation.get("jurisdiction"),
        "enforce": regulation.get("enforce"),
        "constraints": list(constraints.values()),
        "passages": list(passages.values()),
        "violations": violations,
        "retrieval": "unavailable"
        if unavailable
        else ("off" if regulation.get("k") == 0 else "ok"),
    }
