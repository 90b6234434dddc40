"""Who negotiates: operators (with private business intents) and the neutral mediator."""

from __future__ import annotations

from pydantic import Field

from maestro.agents.domain import (
    AGENT_ID_PATTERN,
    MEDIATOR_ID,
    Guidance,
    Personality,
    Strict,
    Topic,
)
from maestro.tools.consensus.utilities import LinearUtility, QuadraticUtility, UtilitySpec


class OperatorSpec(Strict):
    """A business operator. `business_intent` is private: only this operator's prompts see it."""

    id: str = Field(pattern=AGENT_ID_PATTERN)
    display_name: str = Field(min_length=1, max_length=80)
    objective: str = Field(min_length=1, max_length=400)
    business_intent: str = Field("", max_length=1000)
    utility: UtilitySpec
    personality: Personality = Personality.NORMAL
    guidance: Guidance = Guidance.SOFT
    model: str | None = None
    # The least this operator can accept; a cell that cannot carry it voids the topic.
    minimum: float | None = Field(None, ge=0, allow_inf_nan=False)


class MediatorSpec(Strict):
    """The MAESTRO mediator: neutral, sees service intents only."""

    personality: Personality = Personality.NORMAL
    guidance: Guidance = Guidance.SOFT
    model: str | None = None
    # Agreement pressure b of the collective term U_0 (see tools.consensus).
    agreement_weight: float = Field(10.0, gt=0)


def preferred_value(operator: OperatorSpec, topic: Topic) -> float:
    """Where an operator would stand alone: its cost minimum inside the topic bounds."""
    utility = operator.utility
    if isinstance(utility, QuadraticUtility):
        return topic.clamp(float(utility.target))
    if isinstance(utility, LinearUtility):
        return topic.lower if float(utility.price) >= 0 else topic.upper
    return topic.upper  # a QoS utility always wants more


__all__ = ["MEDIATOR_ID", "MediatorSpec", "OperatorSpec", "preferred_value"]
