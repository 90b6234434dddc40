"""Facts stay with the unit that stated them and reach only models that read facts."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult

import maestro
from maestro.agents.providers import ScriptedChatModel
from maestro.agents.providers.scripted import Facts, follow_optimizer
from maestro.agents.turn import AgentTurn
from maestro.agents.validation import make_validation_unit
from tests.conftest import deps_with


def _mediator_turn(context: dict[str, Any]) -> AgentTurn:
    return AgentTurn(
        agent="mediator",
        role="mediator",
        round=1,
        max_rounds=5,
        epsilon=1.0,
        topic={"name": "t", "unit": "Mbps", "lower": 0, "upper": 134},
        spec={"guidance": "soft"},
        model="scripted:optimizer",
        inbox={"proposals": {"cost": {"value": 20}, "qos": {"value": 100}}},
        context=context,
        attempts=[{"text": "not json"}, {"text": "still not json"}],
    )


def test_the_mediators_point_is_the_optimizers_whatever_the_merge_order() -> None:
    extraction = {"lines": [], "facts": {"proposals": {"cost": 20.0, "qos": 100.0}, "mean": 60.0}}
    optimizer = {"lines": [], "facts": {"consensus_point": 40.0, "prices": {}}}
    validate = make_validation_unit().node
    for context in (
        {"extraction": extraction, "optimizer": optimizer},
        {"optimizer": optimizer, "extraction": extraction},
    ):
        decision = validate(_mediator_turn(context))["decision"]
        assert decision["mediator_value"] == 40.0
        assert decision["feedback"]["qos"]["target_value"] == 40.0
    # Without the optimizer the mediator steers to the mean of the proposals.
    decision = validate(_mediator_turn({"extraction": extraction}))["decision"]
    assert decision["mediator_value"] == 60.0


def test_facts_are_an_argument_not_part_of_the_messages(scenario_dict: dict[str, Any]) -> None:
    seen: list[tuple[list[BaseMessage], Facts]] = []

    def spy(messages: list[BaseMessage], facts: Facts) -> str:
        seen.append((messages, facts))
        return follow_optimizer(messages, facts)

    scenario_dict["model"] = "scripted:custom"
    result = maestro.negotiate(scenario_dict, deps=deps_with(ScriptedChatModel(script=spy)))
    assert result.agreed and seen
    for messages, facts in seen:
        assert all(not m.additional_kwargs for m in messages)  # nothing a provider could send
        assert facts["role"] in ("operator", "mediator")
    opening = next(f for _, f in seen if f["role"] == "operator")
    assert opening["target"] in (20.0, 100.0) and opening["previous"] is None


RECEIVED: list[dict[str, Any]] = []


class _PlainModel(ScriptedChatModel):
    """Stands for a real provider: it does not declare that it reads facts."""

    reads_facts: ClassVar[bool] = False

    def _generate(  # type: ignore[override]
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        RECEIVED.append({**kwargs, "extras": [m.additional_kwargs for m in messages]})
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_a_model_that_does_not_read_facts_never_gets_them(scenario_dict: dict[str, Any]) -> None:
    RECEIVED.clear()
    scenario_dict["model"] = "scripted:custom"
    maestro.negotiate(scenario_dict, rounds=1, deps=deps_with(_PlainModel()))
    assert RECEIVED and all("facts" not in kw for kw in RECEIVED)
    assert all(extra == {} for kw in RECEIVED for extra in kw["extras"])


@pytest.mark.parametrize("name", ["optimizer", "stubborn", "concede"])
def test_named_scripts_reach_consensus_or_the_cap(scenario_dict: dict[str, Any], name: str) -> None:
    scenario_dict["model"] = f"scripted:{name}"
    result = maestro.negotiate(scenario_dict, rounds=3)
    assert result.status in ("consensus", "round_cap")
    assert all(p.source.startswith("llm") for r in result.rounds for p in r.proposals.values())
