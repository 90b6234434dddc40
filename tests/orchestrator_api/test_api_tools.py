"""The observability unit carries the orchestrator's view into every agent's prompt."""

from __future__ import annotations

from typing import Any

import pytest

from maestro import UsageError
from maestro.agents.observability import make_observability_unit
from maestro.api import negotiate

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


def test_an_orchestrator_url_without_a_token_is_the_users_mistake(
    scenario_dict: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAESTRO_ORCHESTRATOR_TOKEN", raising=False)
    scenario_dict["network"] = {"cqi": 12, "orchestrator_url": "http://127.0.0.1:9"}
    with pytest.raises(UsageError, match="network.orchestrator_url: token"):
        negotiate(scenario_dict)
    scenario_dict["network"] = {"orchestrator_url": "ftp://x", "cqi": 12}
    with pytest.raises(UsageError, match="orchestrator_url"):
        negotiate(scenario_dict)


def test_a_served_run_reaches_only_allowed_orchestrators(scenario_dict: dict[str, Any]) -> None:
    from maestro.graphs.served_policy import (
        NetworkNotAllowedError,
        check_served_network,
        policy_from_env,
    )

    scenario_dict["network"] = {"orchestrator_url": "http://10.1.2.3:8181"}
    closed = policy_from_env({})
    with pytest.raises(NetworkNotAllowedError, match="orchestrator_url"):
        check_served_network(scenario_dict, closed)
    opened = policy_from_env({"MAESTRO_SERVED_URLS": "http://10.1.2.3:8181"})
    assert check_served_network(scenario_dict, opened)["network"]["orchestrator_url"]
