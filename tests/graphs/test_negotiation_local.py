"""Integration: negotiations on the real embedded model (SmolLM2 via llama.cpp, in-process)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import maestro
from tests.conftest import EXAMPLE

pytestmark = [pytest.mark.integration, pytest.mark.llm]


def _guided(mode: str) -> dict[str, Any]:
    scenario = maestro.load_scenario(EXAMPLE).model_dump(mode="json")
    for op in scenario["operators"]:
        op["guidance"] = mode
    scenario["operators"][0]["utility"]["weight"] = 3.0  # optimum 40, not the midpoint
    scenario["mediator"]["guidance"] = "none" if mode == "none" else "soft"
    scenario["rounds"] = 3
    return scenario


def test_example_negotiation_ends_with_a_valid_record() -> None:
    result = maestro.negotiate(EXAMPLE)
    record = json.loads(json.dumps(result.to_json_dict()))
    assert record["model"] == "local" and record["seed"] == 7
    assert isinstance(record["agreed"], bool) and len(record["rounds"]) >= 1
    assert record["llm"]["calls"] >= 2 and record["llm"]["output_tokens"] > 0
    for rnd in record["rounds"]:
        for proposal in rnd["proposals"].values():
            assert 0 <= proposal["value"] <= 134 and proposal["reasoning"]
    if record["agreed"]:
        assert record["enforcement"]["ok"] is True


def test_hard_guidance_on_the_real_model_has_zero_error() -> None:
    result = maestro.negotiate(_guided("hard"))
    assert result.agreed and result.optimum is not None
    assert result.optimum["consensus"] == pytest.approx(40.0)
    assert result.optimum["mae"] == 0.0 and result.consensus == 40.0


@pytest.mark.parametrize("mode", ["soft", "none"])
def test_soft_and_none_complete_and_report_their_error(mode: str) -> None:
    result = maestro.negotiate(_guided(mode))
    assert result.optimum is not None and result.optimum["consensus"] == pytest.approx(40.0)
    final = {op: p.value for op, p in result.rounds[-1].proposals.items()}
    expected = sum(abs(v - 40.0) for v in final.values()) / len(final)
    assert result.optimum["mae"] == pytest.approx(expected)
    assert result.guidance["cost"] == mode
