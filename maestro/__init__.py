"""maestro: LLM agents negotiate shared 5G/6G resources under a neutral mediator.

The public names load lazily, so `import maestro` (and every `maestro` subcommand) does not
pay for LangGraph and LangChain until a negotiation is asked for. Type checkers read the
imports below instead, so `maestro.negotiate` is typed for users.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from maestro.agents.errors import UsageError
    from maestro.api import anegotiate, negotiate
    from maestro.graphs.record import NegotiationResult
    from maestro.graphs.scenario import Scenario, ScenarioError, load_scenario

_EXPORTS = {
    "negotiate": "maestro.api",
    "anegotiate": "maestro.api",
    "NegotiationResult": "maestro.graphs.record",
    "Scenario": "maestro.graphs.scenario",
    "ScenarioError": "maestro.graphs.scenario",
    "load_scenario": "maestro.graphs.scenario",
    "UsageError": "maestro.agents.errors",
}

__all__ = [
    "NegotiationResult",
    "Scenario",
    "ScenarioError",
    "UsageError",
    "anegotiate",
    "load_scenario",
    "negotiate",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'maestro' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
