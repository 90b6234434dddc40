"""Observability unit: grounds every agent in the cell's current capacity and load.

The unit takes an observer (a function returning a `RanObservation`: from the RAN driver, or
from Prometheus through PromQL) and adds the capacity and demand to the agent's prompt and
facts; the optimizer then caps the consensus at the capacity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from maestro.agents.domain import Topic
from maestro.agents.prompting import fmt
from maestro.agents.turn import AgentTurn, Unit, contribution, flag
from maestro.tools.ran import RanObservation

Observer = Callable[[], RanObservation | None]


def observation_lines(obs: RanObservation, topic: Topic) -> list[str]:
    state = "on" if obs.on else "OFF"
    return [
        f"Cell {state}: CQI {obs.cqi}, capacity {fmt(round(obs.capacity_mbps, 1))} {topic.unit}, "
        f"demand {fmt(round(obs.demand_mbps, 1))} {topic.unit}, {obs.prbs_used}/{obs.n_prb} PRBs used.",
    ]


def make_observability_unit(observer: Observer) -> Unit:
    def observability(turn: AgentTurn) -> dict[str, Any]:
        topic = Topic.model_validate(turn["topic"])
        try:
            obs = observer()
        except Exception as exc:  # a monitoring outage must not stop the negotiation
            return {"flags": [flag(turn, "topic_void", f"network state unavailable: {exc}")]}
        if obs is None:
            return {}
        return {
            "context": {
                "observability": contribution(
                    observation_lines(obs, topic),
                    capacity=obs.capacity_mbps,
                    demand=obs.demand_mbps,
                    cell_on=obs.on,
                    cqi=obs.cqi,
                )
            }
        }

    return Unit("observability", observability)
