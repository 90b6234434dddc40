"""The graph langgraph.json serves behaves as the Python API on the same scenarios."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from typing import Any

import pytest

import maestro
from tests.conftest import BASE_SCENARIO, ROOT

VOLATILE = ("timings",)  # wall-clock figures differ from run to run


def served_graph() -> Any:
    """Load the registered graph the way LangGraph Server does: by file path."""
    spec = json.loads((ROOT / "langgraph.json").read_text())
    file, _, attr = spec["graphs"]["negotiation"].partition(":")
    module_spec = importlib.util.spec_from_file_location("maestro_served", ROOT / file)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    value = getattr(module, attr)
    return value() if callable(value) else value


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in VOLATILE}


def with_network(cqi: int, minimum: float | None = None) -> dict[str, Any]:
    scenario = copy.deepcopy(BASE_SCENARIO)
    scenario["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": cqi}
    for op in scenario["operators"]:
        op["guidance"] = "soft"
    scenario["mediator"]["guidance"] = "soft"
    if minimum is not None:
        scenario["operators"][1]["minimum"] = minimum
    return scenario


SCENARIOS = {
    "plain": copy.deepcopy(BASE_SCENARIO),
    "cqi7-minimum50": with_network(7, minimum=50),  # the cell carries 36 Mbps: must halt
    "cqi7": with_network(7),  # re-targeted to the capacity, then enforced
    "cqi15": with_network(15),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_served_graph_and_api_write_the_same_record(name: str) -> None:
    scenario = SCENARIOS[name]
    served = served_graph().invoke({"scenario": copy.deepcopy(scenario)})
    assert set(served) == {"record"}
    api = maestro.negotiate(copy.deepcopy(scenario)).to_json_dict()
    assert comparable(json.loads(json.dumps(served["record"]))) == comparable(
        json.loads(json.dumps(api))
    )


def test_a_cell_too_weak_for_an_operator_halts_the_served_graph() -> None:
    record = served_graph().invoke({"scenario": SCENARIOS["cqi7-minimum50"]})["record"]
    assert record["status"] == "halted" and record["agreed"] is False
    assert record["consensus"] is None and record["enforcement"] is None
    assert "qos cannot accept less than 50" in record["reason"]


def test_the_served_graph_enforces_what_it_agreed(scenario_dict: dict[str, Any]) -> None:
    record = served_graph().invoke({"scenario": SCENARIOS["cqi7"]})["record"]
    assert record["agreed"] and record["consensus"] == pytest.approx(36.06, abs=0.01)
    assert record["enforcement"]["ok"] and record["seed"] == BASE_SCENARIO["seed"]


def test_settings_and_model_come_from_the_environment_and_the_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = copy.deepcopy(BASE_SCENARIO) | {"model": "local"}
    monkeypatch.setenv("MAESTRO_MODEL", "scripted:stubborn")  # no model file is loaded
    monkeypatch.setenv("MAESTRO_TEMPERATURE", "0.7")
    graph = served_graph()
    record = graph.invoke({"scenario": scenario}, context={"rounds": 2})["record"]
    assert record["model"] == "scripted:stubborn" and record["status"] == "round_cap"
    assert len(record["rounds"]) == 2 and record["settings"]["temperature"] == 0.7
    record = graph.invoke({"scenario": scenario}, context={"model": "scripted:optimizer"})["record"]
    assert record["model"] == "scripted:optimizer" and record["agreed"]


def test_the_served_graph_declares_its_input_output_and_context() -> None:
    graph = served_graph()
    assert set(graph.get_input_jsonschema()["properties"]) == {"scenario"}
    assert set(graph.get_output_jsonschema()["properties"]) == {"record"}
    assert set(graph.get_context_jsonschema()["properties"]) == {
        "model",
        "rounds",
        "seed",
        "enforce_fallback",
        "deadline",
    }


def test_progress_streams_as_custom_events() -> None:
    events = [
        chunk
        for mode, chunk in served_graph().stream(
            {"scenario": copy.deepcopy(BASE_SCENARIO)}, stream_mode=["custom", "values"]
        )
        if mode == "custom"
    ]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "finish" and kinds.count("proposal") == 4


def test_an_unreachable_model_ends_the_served_run_as_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.agents.test_providers_openai import free_port

    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("MAESTRO_MAX_RETRIES", "0")
    monkeypatch.setenv("MAESTRO_ALLOWED_MODELS", "openai:*")  # the server allows the endpoint
    scenario = SCENARIOS["cqi15"]
    record = served_graph().invoke({"scenario": scenario}, context={"model": "openai:x"})["record"]
    assert record["status"] == "error" and record["enforcement"] is None
    assert record["agreed"] is False and "cannot be reached" in record["reason"]
