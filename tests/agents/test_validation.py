"""Validation: every bad reply is caught, retried once, then replaced by a flagged fallback."""

from __future__ import annotations

import json
from typing import Any

import pytest

import maestro
from maestro.agents.central_llm import make_central_llm_unit
from maestro.agents.domain import REASONING_MAX, Topic
from maestro.agents.extraction import make_extraction_unit
from maestro.agents.providers import ScriptedChatModel, replay
from maestro.agents.replies import (
    ReplyError,
    mediator_reply_model,
    operator_reply_model,
    parse_reply,
    reply_schema,
)
from maestro.agents.validation import make_validation_unit
from tests.conftest import deps_with

TOPIC = Topic(name="cell_throughput", unit="Mbps", lower=0, upper=134)
OPERATOR = operator_reply_model(TOPIC.unit, TOPIC.lower, TOPIC.upper)
GOOD = '{"value": 55, "unit": "Mbps", "reasoning": "fair"}'


@pytest.mark.parametrize(
    "reply, fragment",
    [
        ("I propose fifty", "Invalid JSON"),
        ("", "empty"),
        ("[1, 2]", "Input should be an object"),
        ('{"value": NaN, "unit": "Mbps", "reasoning": "x"}', "value: .*finite number"),
        ('{"value": Infinity, "unit": "Mbps", "reasoning": "x"}', "value: .*finite number"),
        ('{"value": "55 Mbps", "unit": "Mbps", "reasoning": "x"}', "value: .*valid number"),
        ('{"value": "55", "unit": "Mbps", "reasoning": "x"}', "value: .*valid number"),
        ('{"value": true, "unit": "Mbps", "reasoning": "x"}', "value: .*valid number"),
        ('{"value": 1e12, "unit": "Mbps", "reasoning": "x"}', "value: .*less than or equal to 134"),
        ('{"value": -3, "unit": "Mbps", "reasoning": "x"}', "value: .*greater than or equal to 0"),
        ('{"value": 55, "unit": "Gbps", "reasoning": "x"}', "unit: .*'Mbps'"),
        ('{"value": 55, "unit": "Mbps"}', "reasoning: Field required"),
        ('{"value": 55, "unit": "Mbps", "reasoning": "  "}', "reasoning: .*at least 1"),
        ('{"value": 55, "unit": "Mbps", "reasoning": "' + "x" * 91 + '"}', "at most 90"),
        ('{"value": 55, "unit": "Mbps", "reasoning": "x", "extra": 1}', "extra: Extra inputs"),
    ],
)
def test_operator_reply_rejections(reply: str, fragment: str) -> None:
    with pytest.raises(ReplyError, match=fragment):
        parse_reply(OPERATOR, reply)


def test_operator_reply_accepts_a_good_answer() -> None:
    reply = parse_reply(OPERATOR, GOOD)
    assert reply.model_dump() == {"value": 55.0, "unit": "Mbps", "reasoning": "fair"}


def test_the_grammar_schema_is_the_validation_model() -> None:
    # One source: the bounds, the unit and the reasoning cap the grammar gets are the ones
    # validation applies (the schema once capped reasoning at 90 and validation at 600).
    schema = reply_schema(OPERATOR)
    props = schema["properties"]
    assert props["reasoning"]["maxLength"] == REASONING_MAX
    assert props["value"]["minimum"] == 0 and props["value"]["maximum"] == 134
    assert props["unit"].get("const", (props["unit"].get("enum") or [None])[0]) == "Mbps"
    assert schema["additionalProperties"] is False
    assert sorted(schema["required"]) == ["reasoning", "unit", "value"]


def test_mediator_reply_needs_every_operator_and_no_other() -> None:
    model = mediator_reply_model(("cost", "qos", "op-2"))
    good = '{"summary": "s", "feedback": {"cost": "raise it", "qos": "lower it", "op-2": "hold"}}'
    assert parse_reply(model, good).model_dump(by_alias=True)["feedback"]["op-2"] == "hold"
    with pytest.raises(ReplyError, match="feedback.qos: Field required"):
        parse_reply(model, '{"summary": "s", "feedback": {"cost": "raise it", "op-2": "x"}}')
    with pytest.raises(ReplyError, match="intruder"):
        parse_reply(
            model,
            '{"summary": "s", "feedback": {"cost": "a", "qos": "b", "op-2": "c", "intruder": "x"}}',
        )
    schema = reply_schema(model)
    assert "$defs" not in json.dumps(schema)  # inlined for grammar compilers
    assert sorted(schema["properties"]["feedback"]["required"]) == ["cost", "op-2", "qos"]


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

    def bare() -> list[Any]:
        return [make_extraction_unit(), make_central_llm_unit(), make_validation_unit()]

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


def test_a_model_that_raises_ends_the_run_as_an_error(scenario_dict: dict[str, Any]) -> None:
    def broken(messages: Any, facts: Any) -> str:
        raise TimeoutError("endpoint timed out")

    scenario_dict["model"] = "scripted:custom"
    result = maestro.negotiate(
        scenario_dict, rounds=2, deps=deps_with(ScriptedChatModel(script=broken))
    )
    # Not a bad reply to fall back from: no agent decided anything, so nothing is agreed.
    assert result.status == "error" and not result.agreed and result.consensus is None
    assert "endpoint timed out" in result.reason and result.rounds == []
    assert result.decisions.llm == 0 and result.decisions.fallback == 0
    assert [f["code"] for f in result.flags] == ["model_error"]


def test_a_prompt_beyond_the_local_context_ends_the_run(scenario_dict: dict[str, Any]) -> None:
    from maestro.agents.providers import ContextOverflowError

    def overflowing(messages: Any, facts: Any) -> str:
        raise ContextOverflowError("the prompt does not fit the context window (n_ctx 512)")

    scenario_dict["model"] = "scripted:custom"
    model = ScriptedChatModel(script=overflowing)
    result = maestro.negotiate(scenario_dict, deps=deps_with(model))
    assert result.status == "error" and "context window" in result.reason
    assert result.flags[-1]["code"] == "model_error"


def test_rounds_decided_by_fallbacks_make_the_run_degraded(
    scenario_dict: dict[str, Any],
) -> None:
    scenario_dict["model"] = "scripted:custom"
    for spec in [*scenario_dict["operators"], scenario_dict["mediator"]]:
        spec["guidance"] = "soft"  # the mediator's prices lead the fallbacks to one point
    model = ScriptedChatModel(name="custom", script=replay(["not json"]))
    result = maestro.negotiate(scenario_dict, deps=deps_with(model))
    # Every operator reply is rejected twice; the optimizer's values then meet.
    assert result.status == "degraded" and not result.agreed
    assert result.consensus is not None and "fallback" in result.reason
    assert result.decisions.llm >= 1  # the mediator's valid feedback in round 1
    assert result.decisions.fallback == 4
    assert all(p.source == "optimizer" for r in result.rounds for p in r.proposals.values())


def test_a_reasoning_cut_at_the_grammar_limit_loses_its_unfinished_word() -> None:
    """The grammar stops a reasoning at REASONING_MAX characters, often mid-number: the cut
    "capacity of 134" would read "capacity of 13", a false claim the arbitral unit flags."""
    model = operator_reply_model("Mbps", 0.0, 134.0)
    tail = " the capacity of 13"  # where the grammar stopped "134"
    cut = "We need 60 Mbps for premium users".ljust(REASONING_MAX - len(tail), ".") + tail
    assert len(cut) == REASONING_MAX
    reply = parse_reply(model, json.dumps({"value": 60, "unit": "Mbps", "reasoning": cut}))
    assert reply.reasoning.endswith("the capacity of")
    short = "A full, short reason: 134 Mbps"
    reply = parse_reply(model, json.dumps({"value": 60, "unit": "Mbps", "reasoning": short}))
    assert reply.reasoning == short
