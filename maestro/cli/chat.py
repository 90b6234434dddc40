"""`maestro chat SCENARIO --as OPERATOR|mediator`: take a seat in a negotiation, in the terminal.

The session is a thread on the session store (graphs.checkpoints): `/quit`, Ctrl-D or a
killed terminal leave it resumable with `maestro sessions resume ID`. Lines are read by one
background reader (with readline's history, kept in the data directory), so a person can
type while the agents run: the seat reads those lines at the next step (auto mode's
interjections). `/help` and `/status` are answered here; everything else goes to the seat.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.panel import Panel

from maestro.cli.common import UserError, check_writable, console, write_json

if TYPE_CHECKING:
    from maestro.graphs.checkpoints import SessionInfo, SessionStore

EXIT_DONE = 0


class LineReader:
    """Reads stdin lines on a daemon thread: into `lines` while the session waits for the
    person, into the seat's `inbox` while the agents run (None at end of input)."""

    def __init__(self, lines: queue.Queue[Any], inbox: queue.Queue[str]) -> None:
        self.lines, self.inbox = lines, inbox
        self.busy = threading.Event()
        self._history()
        threading.Thread(target=self._run, name="chat-input", daemon=True).start()

    @staticmethod
    def _history() -> None:
        with contextlib.suppress(Exception):  # no readline (or no terminal): plain input
            import readline

            from maestro.graphs.checkpoints import data_dir

            path = data_dir() / "chat_history"
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                readline.read_history_file(str(path))
            readline.set_history_length(1000)
            import atexit

            atexit.register(lambda: readline.write_history_file(str(path)))

    def _run(self) -> None:
        tty = sys.stdin.isatty()
        while True:
            try:
                line: str | None = input() if tty else sys.stdin.readline()
            except (EOFError, KeyboardInterrupt, OSError, ValueError):
                line = None
            if line is None or (line == "" and not tty):
                self.lines.put(None)
                return
            line = line.rstrip("\n")
            (self.inbox if self.busy.is_set() else self.lines).put(line)

    def run(self, work: Any) -> Any:
        """Do `work()` with typed lines going to the seat's inbox meanwhile."""
        self.busy.set()
        try:
            return work()
        finally:
            self.busy.clear()
            # Lines typed at the very end of the stretch were not read by the seat: they
            # answer what the session asks next.
            with contextlib.suppress(queue.Empty):
                while True:
                    self.lines.put(self.inbox.get_nowait())


def show_event(event: dict[str, Any]) -> None:
    """The negotiation as it runs, and what the seat says."""
    from maestro.cli.negotiate import _show_event

    kind = event.get("event")
    if kind == "seat_reply":
        console.print(Panel(escape(event.get("text", "")), title="your agent", expand=False))
    elif kind == "seat_prompt":
        return  # shown when the run stops for it
    else:
        _show_event(event)


def show_feedback(record: dict[str, Any], holder: str) -> None:
    """The mediator's words to this seat after a round (all of them for the mediator's)."""
    feedback = (record.get("mediator") or {}).get("feedback") or {}
    for op, note in feedback.items():
        if holder in (op, "mediator") and isinstance(note, dict) and note.get("message"):
            who = "you" if op == holder else op
            console.print(
                f"  [magenta]mediator to {escape(who)} (round {record.get('round')})[/magenta]: "
                f"{escape(note['message'])}"
            )


def show_prompt(prompt: dict[str, Any]) -> None:
    kind = prompt.get("kind")
    if kind == "mediate":
        notes = (prompt.get("draft") or {}).get("feedback") or {}
        body = "\n".join(f"{op}: {text}" for op, text in notes.items())
        console.print(Panel(escape(body), title="the mediator agent's feedback", expand=False))
    if kind == "enforcement":
        plan = prompt.get("plan") or {}
        slices = (plan.get("policy") or {}).get("slices") or []
        lines = [
            f"slice {s.get('slice_id')}: min {s.get('rRMPolicyMinRatio')}% / max "
            f"{s.get('rRMPolicyMaxRatio')}% of PRBs (dedicated {s.get('rRMPolicyDedicatedRatio')}%)"
            for s in slices
        ]
        if plan.get("problem"):
            lines.append(f"problem: {plan['problem']}")
        if plan.get("refused"):  # the question below says which rule
            lines.append("none: the slice rules refuse this policy")
        body = "\n".join(lines) or "no network policy (no cell in this scenario)"
        console.print(Panel(escape(body), title="policy to be applied", expand=False))
    if prompt.get("problem"):
        console.print(f"[yellow]{escape(prompt['problem'])}[/yellow]")
    console.print(f"[bold cyan]? {escape(str(prompt.get('question', '')))}[/bold cyan]")


def status_line(runner: Any, holder: str) -> str:
    from maestro.agents.chat import answer_status
    from maestro.graphs.session import seat_view

    values = runner.snapshot().values
    if not values:
        return "The session has not started yet."
    return answer_status(seat_view(values, runner.context, holder))


def run_chat(sessions: SessionStore, info: SessionInfo, json_out: str | None = None) -> int:
    """The terminal loop over one chat session; returns the exit code."""
    from maestro.agents.seat import HELP_TEXT
    from maestro.cli.negotiate import _summary, exit_code
    from maestro.cli.sessions import context_for
    from maestro.graphs.session import SessionRunner, build_session_graph, session_context

    options = info.options
    try:
        context = session_context(
            context_for(info), options.get("seats") or {}, bool(options.get("approve_enforcement"))
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    holder = info.owner or "mediator"
    runner = SessionRunner(build_session_graph(sessions.saver), context, info.id)
    console.print(
        f"[bold]session {escape(info.id)}[/bold]: {escape(context.scenario.name)}, you hold "
        f"{escape(holder)}'s seat ({options.get('mode', 'auto')}). /help for help, /quit to leave."
    )
    lines: queue.Queue[Any] = queue.Queue()
    reader = LineReader(lines, context.inbox)

    def advance(text: Any = None) -> Any:
        seen = len(runner.snapshot().values.get("history") or [])
        step = reader.run(lambda: runner.advance(text, on_event=show_event))
        for record in (step.values.get("history") or [])[seen:]:
            show_feedback(record, holder)
        return step

    step = runner.snapshot() if runner.started() else None
    if step is not None:
        for message in (step.values.get("messages") or [])[-4:]:
            console.print(f"  [dim]{escape(message.type)}: {escape(str(message.content))}[/dim]")
    if step is None or (not step.prompts and not step.finished):
        step = advance()
    while not step.finished:
        for prompt in step.prompts:
            show_prompt(prompt)
        line = lines.get()
        if line is None or line.strip().lower() == "/quit":
            sessions.set_status(info.id, "waiting")
            console.print(
                f"session saved; continue with `maestro sessions resume {escape(info.id)}`"
            )
            return EXIT_DONE
        word = line.strip().lower()
        if word == "/help":
            console.print(escape(HELP_TEXT))
            continue
        if word == "/status":
            console.print(escape(status_line(runner, holder)))
            continue
        step = advance(line)
    record = step.record
    assert record is not None
    sessions.set_status(info.id, record.status)
    _summary(record)
    console.print(f"{record.decisions.person} of the decisions were yours (the seat's person).")
    if json_out:
        write_json(record.to_json_dict(), json_out)
    rejected = (record.enforcement or {}).get("rejected")
    return EXIT_DONE if rejected else exit_code(record, context.enforce_fallback)


def chat_command(
    scenario: str = typer.Argument(..., help="Scenario YAML file."),
    seat: str = typer.Option(..., "--as", help="The seat you take: an operator id, or mediator."),
    mode: str = typer.Option(
        "auto", "--mode", help="auto (agent negotiates), approve (you approve drafts), manual."
    ),
    approve_enforcement: bool = typer.Option(
        False, "--approve-enforcement", help="Ask before the agreement is enforced on the cell."
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="Model id for the agents."),
    rounds: int | None = typer.Option(None, "--rounds", min=1, max=100, help="Round cap."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Random seed."),
    session: str | None = typer.Option(None, "--session", help="Session id (default: generated)."),
    json_out: str | None = typer.Option(None, "--json", help="Write the record to PATH or '-'."),
) -> None:
    """Hold a seat in a negotiation: talk to your agent, propose, approve, resume later."""
    from maestro.agents.seat import MODES
    from maestro.cli.negotiate import user_errors
    from maestro.cli.sessions import check_id, new_id, store, stored_scenario
    from maestro.graphs.checkpoints import SessionInfo
    from maestro.graphs.context import prepare_run
    from maestro.graphs.session import session_context

    if mode not in MODES:
        raise UserError(f"--mode {mode!r}: use one of {', '.join(MODES)}")
    if json_out:
        check_writable(json_out)
    with user_errors():
        context = prepare_run(scenario, model=model, rounds=rounds, seed=seed)
        try:
            session_context(context, {seat: mode}, approve_enforcement).close()
        except ValueError as exc:
            raise UserError(str(exc)) from None
        with store() as sessions:
            session_id = check_id(session) if session else new_id(context.scenario.name)
            if sessions.find(session_id) is not None:
                raise UserError(
                    f"session {session_id!r} exists: continue it with "
                    f"`maestro sessions resume {session_id}`"
                )
            info = sessions.create(
                SessionInfo(
                    id=session_id,
                    kind="chat",
                    scenario=stored_scenario(context, scenario),
                    options={
                        "mode": mode,
                        "seats": {seat: mode},
                        "approve_enforcement": approve_enforcement,
                    },
                    owner=seat,
                )
            )
            code = run_chat(sessions, info, json_out)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("chat")(chat_command)
