"""`maestro sessions list | show ID | resume ID | export ID --json - | delete ID`.

Sessions are LangGraph threads on the session store (graphs.checkpoints): SQLite in the data
directory, or PostgreSQL with MAESTRO_DB_URL. A plain negotiation started with
`maestro negotiate --thread ID` is one too, and so is every `maestro chat`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from maestro.cli.common import UserError, check_writable, console, write_json

if TYPE_CHECKING:
    from maestro.graphs.checkpoints import SessionInfo, SessionStore
    from maestro.graphs.context import RunContext
    from maestro.graphs.record import NegotiationResult

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FINISHED = ("consensus", "degraded", "round_cap", "halted")

sessions_app = typer.Typer(
    help="List, show, resume, export and delete saved sessions.", no_args_is_help=True
)


def check_id(session_id: str) -> str:
    if not _ID.match(session_id or ""):
        raise UserError(
            f"session id {session_id[:80]!r} is not valid: use 1-64 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return session_id


def new_id(name: str) -> str:
    from maestro.graphs.checkpoints import new_session_id

    return new_session_id(name)


def store() -> SessionStore:
    from maestro.graphs.checkpoints import open_store

    return open_store()


def stored_scenario(context: RunContext, source: str | None) -> dict[str, Any]:
    """The validated scenario as resuming needs it: a relative trace made absolute."""
    data = context.scenario.model_dump(mode="json")
    trace = (data.get("network") or {}).get("trace")
    if source and trace and trace != "synthetic" and not Path(trace).is_absolute():
        data["network"]["trace"] = str((Path(source).parent / trace).resolve())
    return data


def context_for(info: SessionInfo) -> RunContext:
    """The run context of a saved session, rebuilt from what it was started with."""
    from maestro.graphs.context import prepare_run

    options = info.options
    return prepare_run(
        info.scenario,
        enforce_fallback=bool(options.get("enforce_fallback")),
        deadline=options.get("deadline"),
    )


# -- plain negotiations ---------------------------------------------------------------------
def negotiate_thread(
    thread: str, scenario_path: str, on_event: Any, **run_args: Any
) -> NegotiationResult:
    """`maestro negotiate --thread ID`: start the thread, or resume it where it stopped."""
    from maestro.graphs.checkpoints import SessionInfo
    from maestro.graphs.context import prepare_run

    check_id(thread)
    with store() as sessions:
        info = sessions.find(thread)
        if info is None:
            context = prepare_run(scenario_path, **run_args)
            info = SessionInfo(
                id=thread,
                kind="negotiation",
                scenario=stored_scenario(context, scenario_path),
                options={
                    "enforce_fallback": run_args.get("enforce_fallback", False),
                    "deadline": run_args.get("deadline"),
                },
            )
            sessions.create(info)
        else:
            if info.kind != "negotiation":
                raise UserError(
                    f"session {thread!r} is a {info.kind} session: resume it with "
                    f"`maestro sessions resume {thread}`"
                )
            if info.status in FINISHED:
                raise UserError(
                    f"session {thread!r} already finished ({info.status}): see "
                    f"`maestro sessions show {thread}`"
                )
            given = prepare_run(scenario_path, **run_args)
            given.close()
            if given.scenario.name != info.scenario.get("name"):
                raise UserError(
                    f"thread {thread!r} belongs to scenario {info.scenario.get('name')!r}, "
                    f"not {given.scenario.name!r}"
                )
            console.print(f"resuming thread {escape(thread)}")
            context = context_for(info)
        return run_saved_negotiation(sessions, info, context, on_event)


def run_saved_negotiation(
    sessions: SessionStore, info: SessionInfo, context: RunContext, on_event: Any
) -> NegotiationResult:
    from maestro.graphs.negotiation import build_negotiation_graph
    from maestro.graphs.runner import run_negotiation

    graph = build_negotiation_graph(checkpointer=sessions.saver)
    result = run_negotiation(context, graph=graph, on_event=on_event, thread_id=info.id)
    sessions.set_status(info.id, result.status)
    return result


# -- the subcommands ------------------------------------------------------------------------
def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


@sessions_app.command("list")
def list_command(
    json_out: str | None = typer.Option(
        None, "--json", help="Write the list as JSON to PATH or '-'."
    ),
) -> None:
    """Every saved session, oldest first."""
    if json_out:
        check_writable(json_out)
    with store() as sessions:
        rows = [info.summary() for info in sessions.list()]
    if json_out:
        write_json(rows, json_out)
        return
    if not rows:
        console.print(
            "no sessions yet (start one with `maestro chat` or `maestro negotiate --thread ID`)"
        )
        return
    table = Table("id", "kind", "scenario", "seat", "status", "updated (UTC)")
    for row in rows:
        seat = f"{row['owner']} ({row['mode']})" if row["owner"] else "-"
        table.add_row(
            escape(row["id"]),
            row["kind"],
            escape(row["scenario"]),
            escape(seat),
            row["status"],
            _when(row["updated"]),
        )
    console.print(table)


def session_state(sessions: SessionStore, info: SessionInfo) -> dict[str, Any]:
    """The session's thread as a person may read it: status, rounds, its conversation."""
    from maestro.graphs.checkpoints import thread_config
    from maestro.graphs.session import build_session_graph

    graph = build_session_graph(sessions.saver, search=None)
    snap = graph.get_state(thread_config(info.id))
    values = dict(snap.values)
    history = values.get("history") or []
    return {
        **info.summary(),
        "round": values.get("round"),
        "reason": values.get("reason", ""),
        "consensus": values.get("consensus"),
        "waiting_for": [i.value for i in snap.interrupts],
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
            {"role": getattr(m, "type", "?"), "content": str(getattr(m, "content", ""))}
            for m in values.get("messages") or []
        ],
        "enforcement": values.get("enforcement"),
    }


@sessions_app.command("show")
def show_command(session_id: str = typer.Argument(..., help="Session id.")) -> None:
    """A session's status, rounds and conversation."""
    with store() as sessions:
        info = sessions.get(check_id(session_id))
        state = session_state(sessions, info)
    seat = f", seat {state['owner']} ({state['mode']})" if state["owner"] else ""
    console.print(
        f"[bold]{escape(info.id)}[/bold] {info.kind} on {escape(state['scenario'])}{escape(seat)}: "
        f"{state['status']}"
    )
    for r in state["rounds"]:
        values = ", ".join(f"{escape(op)} {v:g}" for op, v in r["proposals"].items())
        console.print(f"  round {r['round']}: {values} (spread {r['spread']:.4g})")
    for m in state["messages"]:
        console.print(f"  {m['role']}: {escape(m['content'])}")
    for prompt in state["waiting_for"]:
        console.print(f"  waiting: {escape(str(prompt.get('question', prompt)))}")


@sessions_app.command("export")
def export_command(
    session_id: str = typer.Argument(..., help="Session id."),
    json_out: str = typer.Option("-", "--json", help="Write JSON to PATH, or '-' for stdout."),
) -> None:
    """The session as JSON: its summary, rounds, conversation and, when finished, the record."""
    check_writable(json_out)
    with store() as sessions:
        info = sessions.get(check_id(session_id))
        state = session_state(sessions, info)
    write_json(state, json_out)


@sessions_app.command("delete")
def delete_command(session_id: str = typer.Argument(..., help="Session id.")) -> None:
    """Delete a session and its checkpoints."""
    with store() as sessions:
        sessions.delete(check_id(session_id))
    console.print(f"deleted {escape(session_id)}")


@sessions_app.command("resume")
def resume_command(
    session_id: str = typer.Argument(..., help="Session id."),
    json_out: str | None = typer.Option(None, "--json", help="Write the record to PATH or '-'."),
) -> None:
    """Continue a session from its last checkpoint (a chat opens the terminal again)."""
    from maestro.cli.negotiate import EXIT_DONE, _show_event, _summary, exit_code, user_errors

    if json_out:
        check_writable(json_out)
    with user_errors(), store() as sessions:
        info = sessions.get(check_id(session_id))
        if info.kind == "chat":
            from maestro.cli.chat import run_chat

            code = run_chat(sessions, info, json_out)
            if code:
                raise typer.Exit(code)
            return
        if info.status in FINISHED:
            raise UserError(
                f"session {session_id!r} already finished ({info.status}): see "
                f"`maestro sessions show {session_id}`"
            )
        result = run_saved_negotiation(sessions, info, context_for(info), _show_event)
    _summary(result)
    if json_out:
        write_json(result.to_json_dict(), json_out)
    code = exit_code(result, bool(info.options.get("enforce_fallback")))
    if code != EXIT_DONE:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.add_typer(sessions_app, name="sessions")
