"""`scripted:personas`: the optimizer for every personality but toxic, whose words push its
target (switch-off at 0) with a threat; the arbitral unit judges them on its own."""

from __future__ import annotations

import json
from typing import Any

import maestro
from maestro.agents.providers.scripted import NAMED_SCRIPTS, personas, scripted_model


def _reply(**facts: Any) -> dict[str, Any]:
    return json.loads(personas([], {"role": "operator", "unit": "Mbps", **facts}))


def test_a_toxic_operator_opens_at_its_target_with_a_threat_then_takes_the_optimizer() -> None:
    opening = _reply(personality="toxic", target=0.0, suggested=7.0, previous=None)
    assert opening["value"] == 0.0
    assert "switch the cell off" in opening["reasoning"]
    assert "or else" in opening["reasoning"] and len(opening["reasoning"]) <= 90
    later = _reply(personality="toxic", target=0.0, suggested=7.0, previous=0.0)
    assert later["value"] == 7.0 and "switch the cell off" in later["reasoning"]
    # A target above 0 is pushed as a number, not as a switch-off.
    assert "take 40 Mbps" in _reply(personality="toxic", target=40.0)["reasoning"]


def test_other_personalities_and_the_mediator_follow_the_optimizer() -> None:
    facts = {"role": "operator", "unit": "Mbps", "target": 0.0, "suggested": 7.0}
    for personality in ("normal", "disagreeable", None):
        assert personas([], facts | {"personality": personality}) == NAMED_SCRIPTS["optimizer"]()(
            [], facts
        )
    mediator = {"role": "mediator", "point": 5.0, "proposals": {"a": 5.0}}
    assert "feedback" in json.loads(personas([], mediator | {"personality": "toxic"}))
    assert scripted_model("personas").name == "personas"


def test_the_toxic_persona_is_warned_and_loses_trust_in_a_negotiation(
    scenario_dict: dict[str, Any],
) -> None:
    scenario_dict["model"] = "scripted:personas"
    scenario_dict["operators"][0]["personality"] = "toxic"
    result = maestro.negotiate(scenario_dict, rounds=3)
    cost, qos = scenario_dict["operators"][0]["id"], scenario_dict["operators"][1]["id"]
    warned = [r.round for r in result.rounds if cost in (r.arbitral or {}).get("warnings", {})]
    assert warned and warned[0] == 1
    assert result.trust[cost]["score"] < 1.0 and result.trust[cost]["offences"] >= 1
    assert result.trust[qos]["score"] == 1.0 and result.trust[qos]["offences"] == 0
    assert "suspicious_reasoning" in {f["code"] for f in result.flags}
