"""Domain types the agents exchange: topics, operators, service intents, flags, feedback."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AGENT_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,31}$"
MEDIATOR_ID = "mediator"
# The longest reasoning an operator may give: short replies keep grammar-constrained decoding
# fast and parseable. One constant for the prompt, the grammar and the validation.
REASONING_MAX = 90
Direction = Literal["increase", "decrease", "hold"]  # the way feedback points an operator


class Personality(StrEnum):
    """The MAESTRO paper's five negotiation personalities (prompt files under prompts/)."""

    NORMAL = "normal"
    AGREEABLE = "agreeable"
    DISAGREEABLE = "disagreeable"
    VULNERABLE = "vulnerable"
    TOXIC = "toxic"


class Guidance(StrEnum):
    """How firmly the optimizer's proposal binds the LLM's decision."""

    NONE = "none"
    SOFT = "soft"
    HARD = "hard"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Topic(Strict):
    """The negotiated quantity: one number with a unit and hard bounds."""

    name: str = Field("cell_throughput", min_length=1, max_length=64)
    unit: str = Field("Mbps", min_length=1, max_length=16)
    lower: float = Field(0.0, allow_inf_nan=False)
    upper: float = Field(allow_inf_nan=False)
    description: str = Field(
        "the throughput at which the shared base station should operate", max_length=400
    )

    @model_validator(mode="after")
    def _ordered(self) -> Topic:
        if self.lower >= self.upper:
            raise ValueError(f"lower ({self.lower}) must be below upper ({self.upper})")
        return self

    def clamp(self, value: float) -> float:
        return min(max(value, self.lower), self.upper)


class ServiceIntent(Strict):
    """What an agent proposes each round: a finite value and the reasoning behind it."""

    value: float = Field(allow_inf_nan=False)
    unit: str
    reasoning: str = Field(min_length=1, max_length=REASONING_MAX)


FlagCode = Literal[
    "invalid_output",
    "fallback_previous",
    "fallback_optimizer",
    "fallback_preferred",
    "suspicious_reasoning",
    "hard_guidance_override",
    "model_error",
    "deadline_exceeded",
    "run_failed",
    "missing_feedback",
    "topic_void",
    "monitoring_unavailable",
    "private_text_redacted",
    "regulation_unavailable",
    "constraint_violation",
    "trust_penalty",
    "operator_excluded",
    "enforcement_refused",
    "policy_adjusted_by_rule",
    "policy_refused_by_rule",
]


class Flag(Strict):
    """A note validation or another unit attaches to a run; every flag lands in the record."""

    code: FlagCode
    agent: str
    round: int
    message: str = Field(max_length=600)


def flag_record(code: str, agent: str, round_: int, message: str) -> dict[str, Any]:
    """A flag as the record stores it; the code must be one of FlagCode."""
    return Flag.model_validate(
        {"code": code, "agent": agent, "round": round_, "message": message[:600]}
    ).model_dump()


class Feedback(Strict):
    """The mediator's answer to one operator: words from the LLM, direction from the numbers."""

    message: str = Field(max_length=600)
    direction: Direction
    target_value: float | None = None
    price: float | None = None  # the collective term's pull at the point (optimizer unit)
    agreement_weight: float | None = None
    # The arbitral unit's warning to this operator (framework text citing contained evidence).
    warning: str | None = Field(None, max_length=600)
