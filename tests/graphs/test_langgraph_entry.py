"""langgraph.json registers a graph that LangGraph Server can import and run."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest

from tests.conftest import ROOT


def test_registered_graph_runs_a_scenario(
    scenario_dict: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = json.loads((ROOT / "langgraph.json").read_text())
    file, _, attr = spec["graphs"]["negotiation"].partition(":")
    monkeypatch.setenv("MAESTRO_MODEL", "scripted:optimizer")
    module_spec = importlib.util.spec_from_file_location("lg_entry", ROOT / file)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    graph = getattr(module, attr)()
    scenario_dict["model"] = "local"  # overridden by MAESTRO_MODEL: no model file is loaded
    final = graph.invoke({"scenario": scenario_dict}, {"recursion_limit": 40})
    assert final["status"] == "consensus" and final["consensus"] == pytest.approx(60.0)
    assert [r["round"] for r in final["history"]] == [1, 2]
