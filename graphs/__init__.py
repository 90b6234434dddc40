"""LangGraph state machines: the agent pipeline and the negotiation."""

from maestro.graphs.negotiation import (
    NegotiationDeps,
    NegotiationState,
    build_negotiation_graph,
    default_mediator_units,
    default_operator_units,
)
from maestro.graphs.pipeline import build_agent_pipeline
from maestro.graphs.record import NegotiationResult, RoundRecord
from maestro.graphs.runner import arun_negotiation, run_negotiation
from maestro.graphs.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = [
    "NegotiationDeps",
    "NegotiationResult",
    "NegotiationState",
    "RoundRecord",
    "Scenario",
    "ScenarioError",
    "arun_negotiation",
    "build_agent_pipeline",
    "build_negotiation_graph",
    "default_mediator_units",
    "default_operator_units",
    "load_scenario",
    "parse_scenario",
    "run_negotiation",
]
