"""Shared fixtures: scenarios built in code, scripted models that record their prompts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from maestro.agents.model_pool import ModelPool
from maestro.agents.providers import ModelOptions, ScriptedChatModel
from maestro.graphs import NegotiationDeps

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "two-operators.yaml"

BASE_SCENARIO: dict[str, Any] = {
    "version": 1,
    "name": "unit-test",
    "topic": {"name": "cell_throughput", "unit": "Mbps", "lower": 0, "upper": 134},
    "operators": [
        {
            "id": "cost",
            "display_name": "Cost Co",
            "objective": "Keep throughput low.",
            "business_intent": "SECRET-COST-PLAN: we must cut energy by 30 percent",
            "utility": {"kind": "quadratic", "target": 20, "weight": 1.0},
            "guidance": "none",
        },
        {
            "id": "qos",
            "display_name": "QoS Co",
            "objective": "Keep throughput high.",
            "business_intent": "SECRET-QOS-PLAN: premium launch in March",
            "utility": {"kind": "quadratic", "target": 100, "weight": 1.0},
            "guidance": "none",
        },
    ],
    "mediator": {"guidance": "none"},
    "model": "scripted:optimizer",
    "seed": 1,
    "rounds": 5,
    "epsilon": 1.0,
}


@pytest.fixture
def scenario_dict() -> dict[str, Any]:
    return copy.deepcopy(BASE_SCENARIO)


def deps_with(model: ScriptedChatModel, model_id: str = "scripted:custom") -> NegotiationDeps:
    return NegotiationDeps(pool=ModelPool(ModelOptions(), models={model_id: model}))
