"""Validation: every bad reply is caught, retried once, then replaced by a flagged fallback."""

from __future__ import annotations

from typing import Any

import pytest

import maestro
from maestro.agents.central_llm import make_central_llm_unit
from maestro.agents.domain import Topic
from maestro.agents.extraction import make_extraction_unit
from maestro.agents.providers import ScriptedChatModel, replay
from maestro.agents.validation import (
    ReplyError,
    check_mediator_reply,
    check_operator_reply,
    make_validation_unit,
)
from tests.conftest import deps_with

TOPIC = Topic(name="cell_throughput", unit="Mbps", lower=0, upper=134)
GOOD = '{"value": 55, "unit": "Mbps", "reasoning": "fair"}'


@pytest.mark.parametrize(
    "reply, fragment",
    [
        ("I propose fifty", "not valid JSON"),
        ("", "empty"),
        ("[1, 2]", "JSON object"),
        ('{"value": NaN, "unit": "Mbps", "reasoning": "x"}', "not a number"),
        ('{"value": Infinity, "unit": "Mbps", "reasoning": "x"}', "not a number"),
        ('{"value": "55 Mbps", "unit": "Mbps", "reasoning": "x"}', "must be a number"),
        ('{"value": true, "unit": "Mbps", "reasoning": "x"}', "must be a number"),
        ('{"value": 1e12, "unit": "Mbps", "reasoning": "x"}', "outside the allowed range"),
        ('{"value": -3, "unit": "Mbps", "reasoning": "x"}', "outside the allowed range"),
        ('{"value": 55, "unit": "Gbps", "reasoning": "x"}', "'unit' must be"),
        ('{"value": 55, "unit": "Mbps"}', "missing field"),
        ('{"value": 55, "unit": "Mbps", "reasoning": "  "}', "non-empty"),
    ],
)
def test_operator_reply_rejections(reply: str, fragment: str) -> None:
    with pytest.raises(ReplyError, match=fragment):
        check_operator_reply(reply, TOPIC)


def test_operator_reply_accepts_a_good_answer() -> None:
    assert check_operator_reply(GOOD, TOPIC) == {"value": 55.0, "unit": "Mbps", "reasoning": "fair"}


def test_mediator_reply_missing_operator_is_reported() -> None:
    summary, feedback, missing = check_mediator_reply(
        '{"summary": "s", "feedback": {"cost": "raise it", "intruder": "x"}}', ["cost", "qos"]
    )
    assert summary == "s" and feedback == {"cost": "raise it"} and missing == ["qos"]
    with pytest.raises(ReplyError):
        check_mediator_reply('{"summary": "s", "feedback": {}}', ["cost", "qos"])


def _run(
    scenario: dict[str, Any], replies: list[str], rounds: int = 1
) -> maestro.NegotiationResult:
    scenario["model"] = "scripted:custom"
    scenario["operators"] = scenario["operators"][:1] + [
        {**scenario["operators"][1], "model": "scripted:optimizer"}
    ]
    model = ScriptedChatModel(name="custom", script=replay(replies, cycle=False))
    return maestro.negotiate(scenario, rounds=rounds, deps=deps_with(model))


def test_bad_then_good_reply_is_retried_once(scenario_dict: dict[str, Any]) -> None:
    result = _run(scenario_dict, ["nonsense", '{"value": 42, "unit": "Mbps", "reasoning": "ok"}'])
    cost = result.rounds[0].proposals["cost"]
    assert cost.value == 42 and cost.source == "llm_retry"
    assert [f["code"] for f in cost.flags] == ["invalid_output"]


def test_two_bad_replies_fall_back_to_the_optimizers_proposal(
    scenario_dict: dict[str, Any],
) -> None:
    result = _run(scenario_dict, ["nonsense", '{"value": 1e12, "unit": "Mbps", "reasoning": "x"}'])
    cost = result.rounds[0].proposals["cost"]
    # Round 1, no feedback yet: the optimizer proposes the operator's own optimum (target 20).
    assert cost.value == 20 and cost.source == "optimizer"
    assert [f["code"] for f in cost.flags] == ["invalid_output", "fallback_optimizer"]


def _run_without_optimizer(
    scenario: dict[str, Any], replies: list[str], rounds: int
) -> maestro.NegotiationResult:
    deps = deps_with(ScriptedChatModel(name="custom", script=replay(replies, cycle=False)))

    def bare(pool: Any) -> list[Any]:
        return [make_extraction_unit(), make_central_llm_unit(pool), make_validation_unit()]

    deps.operator_units = deps.mediator_units = bare
    scenario["model"] = "scripted:custom"
    scenario["operators"][1]["model"] = "scripted:optimizer"
    return maestro.negotiate(scenario, rounds=rounds, deps=deps)


def test_without_an_optimizer_later_rounds_fall_back_to_the_previous_value(
    scenario_dict: dict[str, Any],
) -> None:
    replies = ['{"value": 33, "unit": "Mbps", "reasoning": "opening"}', "bad", "bad again"]
    result = _run_without_optimizer(scenario_dict, replies, rounds=2)
    second = result.rounds[1].proposals["cost"]
    assert second.value == 33 and second.source == "previous"
    assert any(f["code"] == "fallback_previous" for f in result.flags)


def test_without_an_optimizer_round_one_falls_back_to_the_preferred_value(
    scenario_dict: dict[str, Any],
) -> None:
    result = _run_without_optimizer(scenario_dict, ["bad", "bad again"], rounds=1)
    cost = result.rounds[0].proposals["cost"]
    assert cost.value == 20 and cost.source == "preferred"


def test_model_errors_become_flags_not_crashes(scenario_dict: dict[str, Any]) -> None:
    def broken(messages: Any, schema: Any) -> str:
        raise TimeoutError("endpoint timed out")

    scenario_dict["model"] = "scripted:custom"
    result = maestro.negotiate(
        scenario_dict, rounds=2, deps=deps_with(ScriptedChatModel(script=broken))
    )
    assert result.rounds[0].proposals["cost"].source == "optimizer"
    codes = [f["code"] for f in result.flags]
    assert "model_error" in codes and "missing_feedback" in codes
    # Without any LLM the mediator still gives numeric directions.
    assert result.rounds[0].mediator is not None
    assert result.rounds[0].mediator.feedback["cost"]["direction"] == "increase"
