"""An operator's private business intent reaches only that operator's own prompts."""

from __future__ import annotations

from typing import Any

import maestro
from maestro.agents.providers import ScriptedChatModel
from maestro.agents.providers.scripted import follow_optimizer
from tests.conftest import deps_with


def test_business_intents_stay_private(scenario_dict: dict[str, Any]) -> None:
    prompts: list[tuple[str, str]] = []

    def recording(messages: Any, facts: Any) -> str:
        text = "\n".join(str(m.content) for m in messages)
        owner = "mediator"
        for op in scenario_dict["operators"]:
            if f'operator "{op["display_name"]}"' in text:
                owner = op["id"]
        prompts.append((owner, text))
        return follow_optimizer(messages, facts)

    scenario_dict["model"] = "scripted:custom"
    result = maestro.negotiate(scenario_dict, deps=deps_with(ScriptedChatModel(script=recording)))
    assert result.agreed
    owners = [owner for owner, _ in prompts]
    assert owners.count("mediator") >= 1 and owners.count("cost") >= 2 and owners.count("qos") >= 2
    secrets = {op["id"]: op["business_intent"] for op in scenario_dict["operators"]}
    for owner, text in prompts:
        for op_id, secret in secrets.items():
            assert (secret in text) == (owner == op_id), f"{op_id}'s intent in a prompt of {owner}"
    # The record echoes the scenario, but no agent's transcript carries another's intent.
    for rnd in result.rounds:
        for proposal in rnd.proposals.values():
            assert "SECRET" not in proposal.reasoning
