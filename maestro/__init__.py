"""maestro: LLM agents negotiate shared 5G/6G resources under a neutral mediator."""

from maestro.api import anegotiate, negotiate
from maestro.graphs.record import NegotiationResult
from maestro.graphs.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["NegotiationResult", "Scenario", "ScenarioError", "anegotiate", "load_scenario", "negotiate"]
__version__ = "0.1.0"
