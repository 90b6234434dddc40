"""Trust and consequences: what an arbitral verdict does to an operator over the rounds.

The scenario's `arbitral:` section is `ArbitralPolicy`. Every operator starts at trust 1.
An offence (a malicious verdict at or above `warn_threshold`) costs `trust_loss` scaled by the
verdict's confidence; a cooperative round (honest reasoning, a move towards the mediator's
point) gives back `recovery`. Consequences escalate with the offences counted so far: a
warning, then a penalty that changes the numbers (a smaller weight in the mediator's
consensus point and/or a higher eq. 1 price), then exclusion. A penalised operator whose trust
has climbed back to `restore_above` is no longer penalised; exclusion is final for the run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from maestro.agents.arbitral_rules import Verdict

Action = Literal["none", "warn", "penalise", "exclude"]


class ArbitralPolicy(BaseModel):
    """The scenario's `arbitral:` section; every field has a default."""

    model_config = ConfigDict(extra="forbid", strict=True)

    enabled: bool = True
    model: str | None = Field(None, min_length=1, max_length=300)  # arbitral_model id
    rules_only: bool = False
    learned: bool = True  # the learned stage (numpy, no torch) after the rules
    warn_threshold: float = Field(0.5, ge=0.0, le=1.0)
    trust_loss: float = Field(0.25, ge=0.0, le=1.0)
    recovery: float = Field(0.05, ge=0.0, le=1.0)
    penalty_after: int = Field(2, ge=1, le=100)
    penalty: Literal["weight", "price", "both"] = "weight"
    weight_factor: float = Field(0.5, ge=0.0, le=1.0)  # x the offender's consensus weight
    price_factor: float = Field(1.5, ge=1.0, le=100.0)  # x the offender's eq. 1 price
    restore_above: float = Field(0.8, ge=0.0, le=1.0)
    exclude_after: int | None = Field(4, ge=1, le=100)
    exclude_below_trust: float = Field(0.2, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> ArbitralPolicy:
        if self.exclude_after is not None and self.exclude_after < self.penalty_after:
            raise ValueError(
                f"exclude_after ({self.exclude_after}) must not be below penalty_after "
                f"({self.penalty_after})"
            )
        return self


class Consequence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action = "none"
    weight_factor: float = 1.0
    price_factor: float = 1.0
    reason: str = ""


def is_offence(verdict: Verdict | None, policy: ArbitralPolicy) -> bool:
    return bool(verdict and verdict.malicious and verdict.confidence >= policy.warn_threshold)


def update_trust(
    score: float, verdict: Verdict | None, cooperative: bool, policy: ArbitralPolicy
) -> float:
    """The trust after one round: lowered by an offence, raised a step by cooperation."""
    if is_offence(verdict, policy):
        assert verdict is not None
        score -= policy.trust_loss * verdict.confidence
    elif cooperative:
        score += policy.recovery
    return round(min(1.0, max(0.0, score)), 6)


def consequences(offences: int, score: float, policy: ArbitralPolicy) -> Consequence:
    """What follows from `offences` so far and the current trust `score`."""
    if not policy.enabled or offences <= 0:
        return Consequence()
    if policy.exclude_after is not None and offences >= policy.exclude_after:
        return Consequence(
            action="exclude",
            weight_factor=0.0,
            reason=f"{offences} offences (limit {policy.exclude_after})",
        )
    if score < policy.exclude_below_trust:
        return Consequence(
            action="exclude",
            weight_factor=0.0,
            reason=f"trust {score:.2f} below {policy.exclude_below_trust:g}",
        )
    if offences >= policy.penalty_after and score < policy.restore_above:
        weight = policy.weight_factor if policy.penalty in ("weight", "both") else 1.0
        price = policy.price_factor if policy.penalty in ("price", "both") else 1.0
        return Consequence(
            action="penalise",
            weight_factor=weight,
            price_factor=price,
            reason=f"{offences} offences, trust {score:.2f}",
        )
    if offences >= policy.penalty_after:
        return Consequence(action="none", reason=f"trust restored to {score:.2f}")
    return Consequence(
        action="warn", reason=f"offence {offences} of {policy.penalty_after} before a penalty"
    )


class TrustLedger(BaseModel):
    """One operator's standing, as the record keeps it; `observe` advances it one round."""

    model_config = ConfigDict(extra="forbid")

    score: float = 1.0
    offences: int = 0
    excluded: bool = False

    def observe(
        self, verdict: Verdict | None, cooperative: bool, policy: ArbitralPolicy
    ) -> Consequence:
        offence = is_offence(verdict, policy)
        self.score = update_trust(self.score, verdict, cooperative, policy)
        self.offences += int(offence)
        result = consequences(self.offences, self.score, policy)
        if self.excluded or result.action == "exclude":
            self.excluded = True
            return (
                result
                if result.action == "exclude"
                else Consequence(
                    action="exclude", weight_factor=0.0, reason="excluded earlier in the run"
                )
            )
        if result.action == "warn" and not offence:
            return Consequence(reason=result.reason)  # a warning answers an offence, not a round
        return result


__all__ = [
    "Action",
    "ArbitralPolicy",
    "Consequence",
    "TrustLedger",
    "consequences",
    "is_offence",
    "update_trust",
]
