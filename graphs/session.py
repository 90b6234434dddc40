"""Chat-style sessions: a negotiation where a person holds a seat, durable on a checkpointer.

The session graph is the negotiation graph with a `seat` node (graphs.seat_node) between the
rounds' steps: before the operators' turns it takes a manual seat's proposal (a LangGraph
`interrupt` per message the person sends, one checkpoint per message) and any interjection
typed in auto mode; after them it puts an approve seat's draft before the person. Before an
agreement is enforced, `--approve-enforcement` asks the network operator with the slice
policy that would be applied. The seat's conversation is the state's `messages` channel, so
any LangGraph client shows it as a chat.

Who holds which seat and in which mode is the run context's (`SessionContext`), rebuilt on
every resume from the session index (graphs.checkpoints) or from the served graph's
assistant context (graphs.session_served). `SessionRunner` runs a thread stretch by stretch.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from langgraph.types import Command

from maestro.agents.chat import Searcher
from maestro.agents.domain import MEDIATOR_ID
from maestro.agents.seat import check_mode
from maestro.graphs.context import RunContext
from maestro.graphs.negotiation import build_negotiation_graph
from maestro.graphs.record import NegotiationResult
from maestro.graphs.runner import failed_state, record_from_state
from maestro.graphs.seat_node import SeatNode, planned_policy, seat_view

EventSink = Callable[[dict[str, Any]], None]


@dataclass
class SessionContext(RunContext):
    """A run context with the session's seats (op id or "mediator" -> mode)."""

    seats: dict[str, str] = field(default_factory=dict)
    approve_enforcement: bool = False
    # Lines a front end received while the agents ran (auto mode): read at the next step.
    inbox: queue.Queue[str] = field(default_factory=queue.Queue)


def session_context(
    run: RunContext, seats: dict[str, str], approve_enforcement: bool = False
) -> SessionContext:
    known = {op.id for op in run.scenario.operators} | {MEDIATOR_ID}
    for holder, mode in seats.items():
        if holder not in known:
            run.close()
            raise ValueError(
                f"--as {holder!r}: no such seat (operators: "
                f"{', '.join(sorted(known - {MEDIATOR_ID}))}, or mediator)"
            )
        check_mode(mode)
    given = {f.name: getattr(run, f.name) for f in fields(RunContext) if f.init}
    return SessionContext(**given, seats=dict(seats), approve_enforcement=approve_enforcement)


# -- running a session ------------------------------------------------------------------------
def build_session_graph(checkpointer: Any = None, search: Searcher | None = None) -> Any:
    return build_negotiation_graph(checkpointer=checkpointer, seat=SeatNode(search))


@dataclass
class Step:
    """Where a session stands after a stretch of running."""

    values: dict[str, Any]
    prompts: list[dict[str, Any]]  # what the graph is waiting for (interrupt payloads)
    finished: bool
    record: NegotiationResult | None = None


class SessionRunner:
    """Runs one session's thread stretch by stretch: to the next interrupt or to the end."""

    def __init__(self, graph: Any, context: SessionContext, session_id: str) -> None:
        self.graph = graph
        self.context = context
        self.config: dict[str, Any] = {
            "configurable": {"thread_id": session_id},
            "recursion_limit": 10_000,
        }
        self.working_s = 0.0  # time this process spent running the graph, not waiting for people

    def snapshot(self) -> Step:
        snap = self.graph.get_state(self.config)
        prompts = [i.value for i in snap.interrupts]
        finished = snap.created_at is not None and not snap.next
        values = dict(snap.values)
        record = self.record(values, self.working_s) if finished else None
        return Step(values=values, prompts=prompts, finished=finished, record=record)

    def started(self) -> bool:
        return self.graph.get_state(self.config).created_at is not None

    def record(self, values: dict[str, Any], wall_s: float = 0.0) -> NegotiationResult:
        return record_from_state(self.context, values, wall_s)

    def advance(self, answer_text: Any = None, on_event: EventSink | None = None) -> Step:
        """Run on: start, continue after a crash, or resume an interrupt with the answer."""
        snap = self.graph.get_state(self.config)
        if snap.created_at is None:
            command: Any = {}
        elif snap.interrupts:
            command = Command(resume=answer_text if answer_text is not None else "")
        else:
            command = None  # a stretch that stopped without an interrupt: continue it
        self.context.deadline.restart()  # the deadline covers the agents' work, not the person
        started = time.perf_counter()
        try:
            for mode, chunk in self.graph.stream(
                command,
                self.config,
                context=self.context,
                stream_mode=["custom", "updates"],
                durability="sync",
            ):
                if mode == "custom" and on_event is not None:
                    on_event(chunk)
        except Exception as exc:  # the record says why; the thread stays resumable
            values = dict(self.graph.get_state(self.config).values)
            failed = failed_state(values, exc)
            if on_event is not None:
                with contextlib.suppress(Exception):
                    on_event({"event": "error", "reason": failed["reason"]})
            self.working_s += time.perf_counter() - started
            record = record_from_state(self.context, failed, self.working_s)
            return Step(values=failed, prompts=[], finished=True, record=record)
        self.working_s += time.perf_counter() - started
        return self.snapshot()


__all__ = [
    "SeatNode",
    "SessionContext",
    "SessionRunner",
    "Step",
    "build_session_graph",
    "planned_policy",
    "seat_view",
    "session_context",
]
