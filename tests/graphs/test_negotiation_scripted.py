"""The negotiation graph with scripted models: wiring, consensus, round cap, record keys."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import maestro
from maestro.agents.providers import ScriptedChatModel, replay
from maestro.agents.providers.scripted import HOSTILE_REPLIES
from maestro.agents.turn import add_usage, merge_dicts
from tests.conftest import deps_with


def test_two_operators_meet_at_the_mediators_point(scenario_dict: dict[str, Any]) -> None:
    result = maestro.negotiate(scenario_dict)
    assert result.agreed and result.status == "consensus"
    # Round 1: 20 and 100; the mediator points to their mean; round 2 both follow it.
    assert [r.round for r in result.rounds] == [1, 2]
    first = result.rounds[0]
    assert {op: p.value for op, p in first.proposals.items()} == {"cost": 20.0, "qos": 100.0}
    assert first.mediator is not None and first.mediator.mediator_value == pytest.approx(60.0)
    assert first.mediator.feedback["cost"]["direction"] == "increase"
    assert first.mediator.feedback["qos"]["direction"] == "decrease"
    assert result.consensus == pytest.approx(60.0)
    assert result.rounds[1].mediator is None  # consensus: no further feedback needed


def test_record_has_the_fixed_top_level_keys(scenario_dict: dict[str, Any]) -> None:
    record = json.loads(json.dumps(maestro.negotiate(scenario_dict).to_json_dict()))
    for key in ("consensus", "agreed", "rounds", "model", "seed"):
        assert key in record
    assert record["model"] == "scripted:optimizer" and record["seed"] == 1
    assert all(set(r["proposals"]) == {"cost", "qos"} for r in record["rounds"])
    assert record["llm"]["calls"] == 5  # 2 operators x 2 rounds + 1 mediator turn
    assert record["timings"]["wall_s"] >= record["timings"]["model_s"] >= 0
    assert set(record["timings"]["per_node_s"]) >= {"extraction", "central_llm", "validation"}


def test_round_cap_ends_without_consensus(scenario_dict: dict[str, Any]) -> None:
    scenario_dict["model"] = "scripted:stubborn"
    result = maestro.negotiate(scenario_dict, rounds=3)
    assert not result.agreed and result.consensus is None
    assert result.status == "round_cap" and len(result.rounds) == 3
    assert all(r.spread == pytest.approx(80.0) for r in result.rounds)


def test_overrides_from_arguments(scenario_dict: dict[str, Any]) -> None:
    result = maestro.negotiate(scenario_dict, model="scripted:stubborn", rounds=2, seed=9)
    assert result.model == "scripted:stubborn" and result.seed == 9 and len(result.rounds) == 2


def test_many_operators_run_in_parallel_and_converge(scenario_dict: dict[str, Any]) -> None:
    scenario_dict["operators"] = [
        {
            **scenario_dict["operators"][0],
            "id": f"op{i}",
            "display_name": f"Op {i}",
            "utility": {"kind": "quadratic", "target": 10 * i, "weight": 1.0},
        }
        for i in range(1, 8)
    ]
    result = maestro.negotiate(scenario_dict)
    assert result.agreed and len(result.rounds[0].proposals) == 7
    assert result.consensus == pytest.approx(40.0)


def test_async_variant_matches(scenario_dict: dict[str, Any]) -> None:
    result = asyncio.run(maestro.anegotiate(scenario_dict))
    assert result.agreed and result.consensus == pytest.approx(60.0)


def test_events_stream_live(scenario_dict: dict[str, Any]) -> None:
    events: list[dict[str, Any]] = []
    maestro.negotiate(scenario_dict, on_event=events.append)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "finish"
    assert kinds.count("proposal") == 4 and kinds.count("round") == 2


def test_hostile_model_never_crashes_and_never_leaks_a_bad_number(
    scenario_dict: dict[str, Any],
) -> None:
    scenario_dict["model"] = "scripted:custom"
    model = ScriptedChatModel(name="custom", script=replay(HOSTILE_REPLIES))
    result = maestro.negotiate(scenario_dict, deps=deps_with(model))
    for rnd in result.rounds:
        for proposal in rnd.proposals.values():
            assert 0 <= proposal.value <= 134
    codes = {f["code"] for f in result.flags}
    assert "invalid_output" in codes and "suspicious_reasoning" in codes


def test_reducers_merge_and_sum() -> None:
    assert merge_dicts({"a": 1}, {"b": 2}) == {"a": 1, "b": 2}
    assert merge_dicts(None, {"a": 1}) == {"a": 1}
    total = add_usage(
        {"llm_calls": 1, "nodes": {"x": 0.5}}, {"llm_calls": 2, "nodes": {"x": 0.25, "y": 1}}
    )
    assert total == {"llm_calls": 3, "nodes": {"x": 0.75, "y": 1}}
