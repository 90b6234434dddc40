"""LangGraph state machines: the agent pipeline and the negotiation.

Names load lazily, so reading a scenario (`maestro.graphs.scenario`) does not import LangGraph;
type checkers read the imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maestro.graphs.context import RunContext, prepare_run
    from maestro.graphs.negotiation import (
        NegotiationDeps,
        NegotiationState,
        build_negotiation_graph,
        default_mediator_units,
        default_operator_units,
    )
    from maestro.graphs.network import NetworkLink, network_link
    from maestro.graphs.pipeline import build_agent_pipeline
    from maestro.graphs.record import NegotiationResult, RoundRecord
    from maestro.graphs.runner import arun_negotiation, run_negotiation
    from maestro.graphs.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

_EXPORTS = {
    "NegotiationDeps": "maestro.graphs.negotiation",
    "NegotiationState": "maestro.graphs.negotiation",
    "build_negotiation_graph": "maestro.graphs.negotiation",
    "default_mediator_units": "maestro.graphs.negotiation",
    "default_operator_units": "maestro.graphs.negotiation",
    "build_agent_pipeline": "maestro.graphs.pipeline",
    "NegotiationResult": "maestro.graphs.record",
    "RoundRecord": "maestro.graphs.record",
    "arun_negotiation": "maestro.graphs.runner",
    "run_negotiation": "maestro.graphs.runner",
    "RunContext": "maestro.graphs.context",
    "prepare_run": "maestro.graphs.context",
    "NetworkLink": "maestro.graphs.network",
    "network_link": "maestro.graphs.network",
    "Scenario": "maestro.graphs.scenario",
    "ScenarioError": "maestro.graphs.scenario",
    "load_scenario": "maestro.graphs.scenario",
    "parse_scenario": "maestro.graphs.scenario",
}

__all__ = [
    "NegotiationDeps",
    "NegotiationResult",
    "NegotiationState",
    "NetworkLink",
    "RoundRecord",
    "RunContext",
    "Scenario",
    "ScenarioError",
    "arun_negotiation",
    "build_agent_pipeline",
    "build_negotiation_graph",
    "default_mediator_units",
    "default_operator_units",
    "load_scenario",
    "network_link",
    "parse_scenario",
    "prepare_run",
    "run_negotiation",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'maestro.graphs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
