"""The state one agent's pipeline works on during one round, and what a unit is.

A unit is a named node function over `AgentTurn`. Units contribute to the prompt through
`context[<unit name>] = {"lines": [...], "facts": {...}}`: the central LLM unit shows the lines
in unit order. Facts stay under the unit that produced them and are read by name
(`unit_fact(turn, "optimizer", "suggested")`), so two units never overwrite each other's
numbers. New units (arbitral, regulatory, ...) plug in by adding a context entry.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from typing_extensions import TypedDict

from maestro.agents.domain import flag_record

Role = Literal["operator", "mediator"]


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer for keys written by parallel branches: later keys win, nothing is lost."""
    return {**(left or {}), **(right or {})}


def add_usage(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer summing usage counters; nested dicts (per-node timings) are summed too and
    lists (the model calls' time spans) are joined."""
    out: dict[str, Any] = dict(left or {})
    for key, value in (right or {}).items():
        if isinstance(value, dict):
            out[key] = add_usage(out.get(key), value)
        elif isinstance(value, list | tuple):
            out[key] = [*(out.get(key) or []), *value]
        else:
            out[key] = out.get(key, 0) + value
    return out


class AgentTurn(TypedDict, total=False):
    agent: str
    role: Role
    round: int
    max_rounds: int
    epsilon: float
    topic: dict[str, Any]
    spec: dict[str, Any]  # OperatorSpec or MediatorSpec, as JSON
    model: str
    previous: float | None  # this operator's value in the last round
    inbox: dict[str, Any]  # what reached the agent: feedback and others' intents, or proposals
    observation: dict[str, Any] | None  # the cell as observed once for this round, if any
    context: Annotated[dict[str, Any], merge_dicts]
    messages: list[dict[str, str]]  # the conversation with the LLM this turn (role, content)
    attempts: Annotated[list[dict[str, Any]], operator.add]
    retry_error: str | None
    decision: dict[str, Any] | None
    flags: Annotated[list[dict[str, Any]], operator.add]
    usage: Annotated[dict[str, Any], add_usage]


# (turn) -> update, or (turn, runtime) -> update for units that read the run's context.
NodeFn = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Unit:
    name: str
    node: NodeFn


def unit_fact(turn: AgentTurn, unit: str, key: str) -> Any:
    """One fact as the named unit stated it, or None when that unit did not state it."""
    part = (turn.get("context") or {}).get(unit) or {}
    return (part.get("facts") or {}).get(key)


def mediator_point(turn: AgentTurn) -> float | None:
    """Where the mediator steers: the optimizer's theoretical consensus when it ran, else the
    mean of the proposals weighted by the arbitral unit's weights (a penalised operator
    pulls less), moved inside the regulatory constraints."""
    point = unit_fact(turn, "optimizer", "consensus_point")
    if point is None:
        values: dict[str, float] = unit_fact(turn, "extraction", "proposals") or {}
        weights: dict[str, float] = unit_fact(turn, "arbitral", "weights") or {}
        total = sum(weights.get(op, 1.0) for op in values)
        if values and total > 0:
            point = sum(v * weights.get(op, 1.0) for op, v in values.items()) / total
        else:
            point = unit_fact(turn, "extraction", "mean")
    if point is None:
        return None
    from maestro.agents.regulatory import within_constraints  # it builds on this module

    return within_constraints(turn, float(point))[0]


def flag(turn: AgentTurn, code: str, message: str) -> dict[str, Any]:
    return flag_record(code, turn["agent"], turn["round"], message)


def contribution(
    lines: list[str],
    closing: str | None = None,
    stable: list[str] | None = None,
    **facts: Any,
) -> dict[str, Any]:
    """A unit's part of the prompt. `closing` goes after the reply instruction, last of all,
    where small models weigh it most (used for the optimizer's recommendation). `stable`
    lines change seldom between rounds (retrieved rules, the cell's state): they open the
    round's message, before the round number, so llama.cpp reuses their evaluated tokens."""
    part: dict[str, Any] = {"lines": lines, "facts": facts}
    if closing:
        part["closing"] = closing
    if stable:
        part["stable_lines"] = stable
    return part
