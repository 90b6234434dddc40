"""The observability unit carries the orchestrator's view into every agent's prompt."""

from __future__ import annotations

from maestro.agents.observability import make_observability_unit

OBSERVATION = {
    "on": True,
    "cqi": 12,
    "capacity_mbps": 95.0,
    "demand_mbps": 0.0,
    "throughput_mbps": 0.0,
    "prbs_used": 0,
    "n_prb": 106,
}
TOPIC = {"name": "cell_throughput", "unit": "Mbps", "lower": 0, "upper": 134}


def test_deployment_lines_reach_the_prompt() -> None:
    unit = make_observability_unit()
    view = {"lines": ["Edge edge-1: 900m CPU and 1Gi free, 1 workload(s), in sync."], "facts": {}}
    part = unit.node({"observation": OBSERVATION | {"deployments": view}, "topic": TOPIC})
    lines = part["context"]["observability"]["lines"]
    assert lines[-1] == view["lines"][0]
    plain = unit.node({"observation": OBSERVATION, "topic": TOPIC})
    assert len(plain["context"]["observability"]["lines"]) == len(lines) - 1
