"""The session graph as LangGraph Server serves it (langgraph.json: "session").

A client never sends a scenario (it would carry every operator's private intent) nor a path:
its context names a scenario in the server's folder, the seat and its mode. The run context
is built from that exactly as the command line builds it, under the server's model
allow-list and network policy (graphs.served_policy); the server brings the checkpointer.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maestro.graphs.negotiation import build_negotiation_graph
from maestro.graphs.seat_node import SeatNode
from maestro.graphs.session import session_context

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def scenario_dir() -> Path:
    """Where the served graph finds scenarios by name: MAESTRO_SESSION_SCENARIOS, else the
    `examples` folder of the directory the server runs in."""
    return Path(os.environ.get("MAESTRO_SESSION_SCENARIOS") or "examples").expanduser()


def served_scenario(name: str) -> dict[str, Any]:
    """A scenario of the server's, by name: a client never sends one (it would carry every
    operator's private intent) and never names a path."""
    import yaml

    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"context.scenario must be the name of a scenario on the server, got {str(name)[:80]!r}"
        )
    folder = scenario_dir()
    for suffix in (".yaml", ".yml"):
        path = folder / f"{name}{suffix}"
        if path.is_file():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
    raise ValueError(f"no scenario {name!r} on this server")


@dataclass
class ServedSessionContext:
    """The context a LangGraph client sets (on the assistant or the run): which scenario,
    which seat in which mode. The run context is built from it exactly as the CLI builds
    it (settings from the environment, the server's model allow-list and network policy)."""

    scenario: Any = ""
    seat: str = ""
    mode: str = "auto"
    approve_enforcement: bool = False
    model: str | None = None
    rounds: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        from maestro.agents.providers.allow import allowed_model_ids
        from maestro.graphs.context import prepare_run
        from maestro.graphs.served_policy import check_served_network, policy_from_env

        if not self.seat or not isinstance(self.seat, str):
            raise ValueError("context.seat: name the seat you take (an operator id, or mediator)")
        data = check_served_network(served_scenario(self.scenario), policy_from_env())
        run = prepare_run(
            data,
            model=self.model,
            rounds=self.rounds,
            seed=self.seed,
            allowed_models=allowed_model_ids(),
        )
        built = session_context(run, {self.seat: self.mode}, bool(self.approve_enforcement))
        vars(self).update(vars(built))  # everything a node reads: scenario, pool, network, ...


def make_served_graph(config: Any = None) -> Any:
    """The session graph as LangGraph Server serves it; the server brings the checkpointer."""
    graph = build_negotiation_graph(seat=SeatNode())
    return graph.copy(update={"context_schema": ServedSessionContext, "name": "session"})


__all__ = ["ServedSessionContext", "make_served_graph", "scenario_dir", "served_scenario"]
