"""The optimizer unit: theoretical consensus, operator proposals, none/soft/hard guidance."""

from __future__ import annotations

from typing import Any

import pytest

import maestro
from maestro.agents.domain import Topic
from maestro.agents.optimizer import local_proposal, theoretical_consensus

TOPIC = Topic(lower=0, upper=134)


def _guided(
    scenario: dict[str, Any], mode: str, model: str, weights: tuple[float, float] = (3, 1)
) -> dict[str, Any]:
    for op, w in zip(scenario["operators"], weights, strict=True):
        op["guidance"] = mode
        op["utility"]["weight"] = w
    scenario["mediator"]["guidance"] = "none" if mode == "none" else "soft"
    scenario["model"] = model
    return scenario


def test_theoretical_consensus_is_the_weighted_mean_of_targets() -> None:
    ref = theoretical_consensus(
        [
            {"kind": "quadratic", "target": 20, "weight": 3},
            {"kind": "quadratic", "target": 100, "weight": 1},
        ],
        TOPIC,
    )
    assert ref["consensus"] == pytest.approx(40.0, abs=1e-9)
    assert ref["iterative"]["converged"] and ref["iterative"]["value"] == pytest.approx(
        40.0, abs=1e-6
    )


def test_capacity_caps_the_consensus() -> None:
    ref = theoretical_consensus(
        [{"kind": "log", "weight": 1, "offset": 1}] * 2, TOPIC, capacity=36.06
    )
    assert ref["consensus"] == pytest.approx(36.06, abs=1e-6)


@pytest.mark.parametrize(
    "utility",
    [
        {"kind": "quadratic", "target": 20, "weight": 2},
        {"kind": "linear", "price": 0.5},
        {"kind": "log", "weight": 4, "offset": 1},
    ],
)
def test_operator_proposal_with_the_mediators_price_is_the_point(utility: dict[str, Any]) -> None:
    # lambda_i = -U_i'(m): the operator's own eq. 1 lands exactly on the mediator's point.
    import numpy as np

    from maestro.tools.consensus import CostModel, parse_utility

    point = 57.5
    price = -float(CostModel([parse_utility(utility)]).grad(np.array([point]))[0])
    assert local_proposal(utility, TOPIC, point, price, 1.0) == pytest.approx(point, abs=1e-6)


def test_operator_proposal_without_feedback_is_its_own_optimum() -> None:
    assert local_proposal({"kind": "quadratic", "target": 20}, TOPIC, None, None, 1.0) == 20
    assert local_proposal({"kind": "log", "weight": 1}, TOPIC, None, None, 1.0) == 134
    assert local_proposal({"kind": "linear", "price": 1}, TOPIC, None, None, 1.0) == 0


def test_hard_guidance_overrides_a_stubborn_llm_and_reaches_the_optimum(
    scenario_dict: dict[str, Any],
) -> None:
    result = maestro.negotiate(_guided(scenario_dict, "hard", "scripted:stubborn"))
    assert result.agreed and len(result.rounds) == 2
    assert result.optimum is not None and result.optimum["consensus"] == pytest.approx(40.0)
    assert result.optimum["mae"] == 0.0 and result.consensus == 40.0
    assert any(f["code"] == "hard_guidance_override" for f in result.flags)
    assert result.guidance == {"cost": "hard", "qos": "hard", "mediator": "soft"}
    second = result.rounds[1].proposals["qos"]
    assert second.llm_value == 100 and second.value == 40  # what the LLM said is kept, overridden


def test_soft_guidance_is_advice_the_llm_may_follow(scenario_dict: dict[str, Any]) -> None:
    result = maestro.negotiate(_guided(scenario_dict, "soft", "scripted:optimizer"))
    assert (
        result.agreed
        and result.optimum is not None
        and result.optimum["mae"] == pytest.approx(0.0, abs=1e-6)
    )
    assert not any(f["code"] == "hard_guidance_override" for f in result.flags)


def test_soft_guidance_lets_a_stubborn_llm_deviate_and_reports_the_error(
    scenario_dict: dict[str, Any],
) -> None:
    result = maestro.negotiate(_guided(scenario_dict, "soft", "scripted:stubborn"), rounds=3)
    assert not result.agreed and result.optimum is not None
    assert result.optimum["distance"] == {"cost": pytest.approx(20.0), "qos": pytest.approx(60.0)}
    assert result.optimum["mae"] == pytest.approx(40.0)


def test_no_guidance_keeps_the_proposal_out_of_the_prompt(scenario_dict: dict[str, Any]) -> None:
    seen: list[str] = []
    from maestro.agents.providers import ScriptedChatModel
    from maestro.agents.providers.scripted import stubborn
    from tests.conftest import deps_with

    def spy(messages: Any, facts: Any) -> str:
        seen.append("\n".join(str(m.content) for m in messages))
        return stubborn(messages, facts)

    scenario = _guided(scenario_dict, "none", "scripted:custom")
    result = maestro.negotiate(scenario, rounds=2, deps=deps_with(ScriptedChatModel(script=spy)))
    assert not any("optimizer" in text.lower() for text in seen)
    assert result.optimum is not None and result.optimum["mae"] == pytest.approx(40.0)


def test_penalties_that_silence_every_operator_leave_no_point_instead_of_nan() -> None:
    from maestro.agents.optimizer import make_optimizer_unit

    declared = {
        "cost": {"kind": "quadratic", "target": 20, "weight": 1},
        "qos": {"kind": "quadratic", "target": 100, "weight": 1},
    }
    turn: dict[str, Any] = {
        "role": "mediator",
        "agent": "mediator",
        "round": 3,
        "topic": TOPIC.model_dump(),
        "spec": {"guidance": "soft"},
        "inbox": {"declared": declared},
        "context": {"arbitral": {"facts": {"weights": {"cost": 0.0, "qos": 1.0}}}},
    }
    unit = make_optimizer_unit()
    point = unit.node(turn)["context"]["optimizer"]["facts"]["consensus_point"]
    assert point == pytest.approx(100.0)  # a silenced operator has no say
    turn["context"]["arbitral"]["facts"]["weights"] = {"cost": 0.0, "qos": 0.0}
    assert unit.node(turn) == {}
