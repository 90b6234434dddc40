"""Live sessions of the web server: one SessionRunner per open session, run on a worker
thread, with the events it emitted kept for the page's event stream.

A session is opened from the session store (graphs.checkpoints) whichever front end started
it, so a page reload, a server restart or a `maestro chat` in a terminal all continue the
same thread.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from maestro.graphs.checkpoints import SessionInfo, SessionStore
from maestro.graphs.context import prepare_run
from maestro.graphs.session import SessionRunner, build_session_graph, session_context

MAX_EVENTS = 2000  # kept per session for the stream; older ones are dropped


def public_view(info: SessionInfo, step: Any, busy: bool) -> dict[str, Any]:
    """The session as its seat holder may read it: no business intents, no notes."""
    values = step.values if step is not None else {}
    history = values.get("history") or []
    enforcement = values.get("enforcement") or None
    if enforcement:
        enforcement = {
            k: enforcement.get(k)
            for k in ("applied", "ok", "message", "requested_mbps", "achieved_mbps", "policy")
        }
    return {
        **info.summary(),
        "status": values.get("status") or info.status,
        "reason": values.get("reason", ""),
        "round": values.get("round"),
        "consensus": values.get("consensus"),
        "unit": info.scenario.get("topic", {}).get("unit", ""),
        "rounds": [
            {
                "round": r["round"],
                "proposals": {op: p["value"] for op, p in r["proposals"].items()},
                "spread": r.get("spread"),
                "mediator_value": (r.get("mediator") or {}).get("mediator_value"),
            }
            for r in history
        ],
        "messages": [
            {"role": getattr(m, "type", "ai"), "content": str(getattr(m, "content", ""))}
            for m in values.get("messages") or []
        ],
        "waiting": list(step.prompts) if step is not None else [],
        "finished": bool(step is not None and step.finished),
        "enforcement": enforcement,
        "busy": busy,
    }


class LiveSession:
    """One session's runner, its worker and its event log."""

    def __init__(self, store: SessionStore, info: SessionInfo) -> None:
        self.store, self.info = store, info
        options = info.options
        run = prepare_run(
            info.scenario,
            enforce_fallback=bool(options.get("enforce_fallback")),
            deadline=options.get("deadline"),
        )
        context = session_context(
            run, options.get("seats") or {}, bool(options.get("approve_enforcement"))
        )
        self.runner = SessionRunner(build_session_graph(store.saver), context, info.id)
        self.events: list[dict[str, Any]] = []
        self.first = 0  # the sequence number of events[0]
        self.changed = threading.Condition()
        self.work = threading.Lock()
        self.busy = False
        self.step: Any = self.runner.snapshot() if self.runner.started() else None

    # -- events ------------------------------------------------------------------------------
    def push(self, event: dict[str, Any]) -> None:
        with self.changed:
            self.events.append({**event, "seq": self.first + len(self.events), "at": time.time()})
            if len(self.events) > MAX_EVENTS:
                drop = len(self.events) - MAX_EVENTS
                self.events, self.first = self.events[drop:], self.first + drop
            self.changed.notify_all()

    def since(self, seq: int) -> list[dict[str, Any]]:
        with self.changed:
            start = max(seq - self.first, 0)
            return list(self.events[start:])

    def next_seq(self) -> int:
        with self.changed:
            return self.first + len(self.events)

    # -- running -----------------------------------------------------------------------------
    def view(self) -> dict[str, Any]:
        return public_view(self.info, self.step, self.busy)

    def say(self, text: str) -> str:
        """Hand the person's line to the session: it answers an interrupt, or (while the
        agents run) waits in the seat's inbox for the next step."""
        waiting = self.step is not None and bool(self.step.prompts)
        if self.busy or not waiting:
            self.runner.context.inbox.put(text)
            if not self.busy and self.step is not None and not self.step.finished:
                self.start(None)
            return "queued"
        self.start(text)
        return "sent"

    def start(self, text: Any = None) -> None:
        """Run the next stretch on a worker thread (one at a time)."""
        if not self.work.acquire(blocking=False):
            if text is not None:
                self.runner.context.inbox.put(str(text))
            return
        self.busy = True
        self.push({"event": "busy"})

        def work() -> None:
            try:
                self.step = self.runner.advance(text, on_event=self.push)
                status = (
                    self.step.record.status if self.step.finished and self.step.record else None
                )
                self.store.set_status(
                    self.info.id, status or ("waiting" if self.step.prompts else "running")
                )
            except Exception as exc:  # the page shows it; the thread stays resumable
                self.push({"event": "error", "reason": str(exc)[:300]})
            finally:
                self.busy = False
                self.work.release()
                self.push({"event": "state"})

        threading.Thread(target=work, name=f"session-{self.info.id}", daemon=True).start()


class Hub:
    """The web server's open sessions, opened on first use."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.open: dict[str, LiveSession] = {}
        self.lock = threading.Lock()

    def get(self, info: SessionInfo) -> LiveSession:
        with self.lock:
            live = self.open.get(info.id)
            if live is None:
                live = LiveSession(self.store, info)
                self.open[info.id] = live
                if live.step is None or (not live.step.prompts and not live.step.finished):
                    live.start(None)  # new, or stopped between steps: run on
            return live

    def forget(self, session_id: str) -> None:
        with self.lock:
            self.open.pop(session_id, None)
