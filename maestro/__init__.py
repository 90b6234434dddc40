"""maestro: LLM agents negotiate shared 5G/6G resources under a neutral mediator.

The public names load lazily, so `import maestro` (and every `maestro` subcommand) does not
pay for LangGraph and LangChain until a negotiation is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "negotiate": "maestro.api",
    "anegotiate": "maestro.api",
    "NegotiationResult": "maestro.graphs.record",
    "Scenario": "maestro.graphs.scenario",
    "ScenarioError": "maestro.graphs.scenario",
    "load_scenario": "maestro.graphs.scenario",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'maestro' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
