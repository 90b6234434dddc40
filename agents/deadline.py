"""A run's deadline: past it the run stops, whatever the model or the endpoint is doing.

Without one, a hanging endpoint holds a run for attempts × HTTP tries × timeout per call
(minutes per round). `Deadline` counts from the start of the run; the negotiation checks it
between nodes, and `call_before` bounds each model call by the time left: the call runs in
a daemon thread that is abandoned when the deadline passes (a blocked socket or a llama.cpp
evaluation cannot be interrupted from outside), and an OpenAI-compatible call is also given
the time left as its request timeout (`call_time_left`), so the abandoned thread ends soon.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_DEADLINE_S = 600.0
# The latest monotonic time the model call running in this context may end by.
_CALL_ENDS_BY: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "maestro_call_ends_by", default=None
)


class DeadlineExceeded(RuntimeError):
    """The run's deadline passed; `where` says what the run was doing."""

    def __init__(self, seconds: float, where: str) -> None:
        super().__init__(f"the run's deadline of {seconds:g} s passed ({where})")
        self.seconds = seconds
        self.where = where


@dataclass
class Deadline:
    """`seconds` from `started` (monotonic clock); `restart` when the run really begins."""

    seconds: float = DEFAULT_DEADLINE_S
    started: float = field(default_factory=time.monotonic)

    def restart(self) -> None:
        self.started = time.monotonic()

    @property
    def ends_at(self) -> float:
        return self.started + self.seconds

    def remaining(self) -> float:
        return self.ends_at - time.monotonic()

    def check(self, where: str) -> None:
        if self.remaining() <= 0:
            raise DeadlineExceeded(self.seconds, where)


def call_time_left(default: float | None) -> float | None:
    """The timeout a provider should give its request: `default`, shortened to the time
    left before the current call's deadline (never below a millisecond)."""
    ends_by = _CALL_ENDS_BY.get()
    if ends_by is None:
        return default
    left = max(ends_by - time.monotonic(), 0.001)
    return left if default is None else min(default, left)


def call_before(deadline: Deadline | None, where: str, call: Callable[[], T]) -> T:
    """Run `call` and return its result, or raise DeadlineExceeded when the deadline passes
    first. Exceptions of the call are raised as they are."""
    if deadline is None:
        return call()
    deadline.check(where)
    context = contextvars.copy_context()  # callbacks, stream writers: as in the caller
    context.run(_CALL_ENDS_BY.set, deadline.ends_at)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = context.run(call)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="maestro-model-call", daemon=True)
    worker.start()
    worker.join(max(deadline.remaining(), 0.0))
    if worker.is_alive():
        raise DeadlineExceeded(deadline.seconds, where)
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["value"]
    return result


__all__ = [
    "DEFAULT_DEADLINE_S",
    "Deadline",
    "DeadlineExceeded",
    "call_before",
    "call_time_left",
]
