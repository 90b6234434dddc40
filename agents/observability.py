"""Observability unit: grounds every agent in the cell's capacity and load.

The negotiation observes the cell once per round (from the RAN driver, or from Prometheus
through PromQL) and hands that one observation to every agent's turn, so all agents of a
round reason about the same capacity. This unit turns it into prompt lines and facts; the
optimizer then caps the consensus at the capacity. Without an observation it adds nothing.
"""

from __future__ import annotations

from typing import Any

from maestro.agents.domain import Topic
from maestro.agents.prompting import fmt
from maestro.agents.turn import AgentTurn, Unit, contribution
from maestro.tools.ran import RanObservation


def observation_lines(obs: RanObservation, topic: Topic) -> list[str]:
    state = "on" if obs.on else "OFF"
    return [
        f"Cell {state}: CQI {obs.cqi}, capacity {fmt(round(obs.capacity_mbps, 1))} {topic.unit}, "
        f"demand {fmt(round(obs.demand_mbps, 1))} {topic.unit}, {obs.prbs_used}/{obs.n_prb} PRBs used.",
    ]


def make_observability_unit() -> Unit:
    def observability(turn: AgentTurn) -> dict[str, Any]:
        seen = turn.get("observation")
        if not seen:
            return {}
        obs = RanObservation.model_validate(seen)
        topic = Topic.model_validate(turn["topic"])
        deployments = seen.get("deployments") or {}  # through the orchestrator's API
        return {
            "context": {
                "observability": contribution(
                    list(deployments.get("lines", [])),
                    stable=observation_lines(obs, topic),
                    capacity=obs.capacity_mbps,
                    demand=obs.demand_mbps,
                    cell_on=obs.on,
                    cqi=obs.cqi,
                )
            }
        }

    return Unit("observability", observability)
