"""Entry point for LangGraph Server and Studio (registered in langgraph.json).

The compiled negotiation graph takes `{"scenario": {...}}` as input, the same mapping as a
scenario file. The model is the scenario's, unless MAESTRO_MODEL overrides it; settings
come from the environment as for the CLI.
"""

from __future__ import annotations

import os
from typing import Any

from maestro.agents.model_pool import ModelPool
from maestro.agents.providers import ModelOptions
from maestro.graphs.negotiation import NegotiationDeps, build_negotiation_graph


def make_graph(config: Any = None) -> Any:
    pool = ModelPool(ModelOptions(), override=os.environ.get("MAESTRO_MODEL") or None)
    return build_negotiation_graph(NegotiationDeps(pool=pool))


graph = make_graph()
