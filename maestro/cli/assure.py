"""`maestro assure INTENT`: fulfil an intent, then watch it and repair drift.

INTENT is an intent file (maestro's form, TS 28.312 or TMF921) or a sentence, which the
model formalises first. The loop generates and validates the fulfilment policies one by
one, runs them on the embedded edge runtime (collectors as local processes), then scores
the service each period with the drift calculator and lets the assurance LLM pick a
corrective action when the health drops. ``--kill collector2@2`` kills that collector at
period 2 (fault injection); ``--domain DIR`` runs the collectors as CNFs through the
orchestrator's domain manager instead (start the edge's reconciler first); ``--serve PORT``
serves the RFC 9418 assurance graph live at ``http://127.0.0.1:PORT/assurance-graph``.
With ``--checkpoint FILE`` a stopped loop resumes with ``--resume THREAD``.

Exit codes: 0 fulfilled (and assured when a drift occurred), 2 a usage mistake, 3 the loop
failed or ended with the service still drifting.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated, Any

import typer

from maestro.cli.common import UserError, check_writable, console, read_data_file, write_json


def _intent(arg: str, chat: Any) -> Any:
    from maestro.agents.assurance import StageFailed, make_formalizer
    from maestro.tools.intent import IntentError, load_intent

    path = Path(arg)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.exists():
        try:
            return load_intent(read_data_file(path, "intent file"))
        except IntentError as exc:
            raise UserError(f"{path}: {exc}") from None
    try:
        return make_formalizer(chat)(arg).reply
    except IntentError as exc:
        raise UserError(str(exc)) from None
    except StageFailed as exc:
        console.print(f"[red]formalisation failed:[/red] {exc}", highlight=False)
        raise typer.Exit(3) from None


def _kills(specs: list[str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for spec in specs:
        name, _, period = spec.partition("@")
        if not name or not period.isdigit() or int(period) < 1:
            raise UserError(f"--kill takes NAME@PERIOD such as collector2@2, got {spec!r}")
        out.setdefault(int(period), []).append(name)
    return out


def _show(event: dict[str, Any]) -> None:
    kind = event["event"]
    detail = {k: v for k, v in event.items() if k not in ("t", "event")}
    if kind == "health":
        text = f"period {detail['period']}: service health {detail['service_health_pct']:.0f} %"
    else:
        text = f"{kind}: " + ", ".join(f"{k}={v}" for k, v in detail.items())
    console.print(text, highlight=False, markup=False)


def assure_cmd(
    intent: Annotated[str, typer.Argument(help="Intent file, or the intent in plain words.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model id for all stages.")] = "local",
    periods: Annotated[int, typer.Option("--periods", min=1, help="Monitoring periods.")] = 5,
    period_s: Annotated[
        float, typer.Option("--period", min=0.01, help="Seconds per period.")
    ] = 1.0,
    kill: Annotated[list[str] | None, typer.Option("--kill", help="NAME@PERIOD to kill.")] = None,
    until_recovered: Annotated[
        bool,
        typer.Option("--until-recovered", help="Stop at the first full recovery after a drift."),
    ] = False,
    checkpoint: Annotated[
        str | None,
        typer.Option("--checkpoint", help="SQLite file keeping the loop's state (resumable)."),
    ] = None,
    thread: Annotated[
        str | None,
        typer.Option("--thread", help="Thread id in the checkpoint (default: INTENT-TIME)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue --thread from --checkpoint.")
    ] = False,
    serve: Annotated[
        int | None,
        typer.Option(
            "--serve",
            min=0,
            help="Serve the RFC 9418 graph on this loopback port (0: any free one).",
        ),
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain", help="Run through this orchestrator domain (its edge reconciler running)."
        ),
    ] = None,
    edge: Annotated[str | None, typer.Option("--edge", help="Edge for the collectors.")] = None,
    json_dest: Annotated[str | None, typer.Option("--json", help="Record ('-' = stdout).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the last line.")] = False,
) -> None:
    """Fulfil INTENT, monitor it, repair drift; the record has Table IV and the timeline."""
    from maestro.cli.intent import load_model
    from maestro.graphs.assurance import AssureSettings
    from maestro.graphs.assurance_live import LiveServer, LiveView
    from maestro.graphs.assurance_run import run_assurance
    from maestro.graphs.executor import InProcessExecutor

    if json_dest is not None:
        check_writable(json_dest)
    if resume and (checkpoint is None or thread is None):
        raise UserError("--resume needs --checkpoint FILE and --thread ID")
    if checkpoint is not None:
        folder = Path(checkpoint).resolve().parent
        if Path(checkpoint).is_dir():
            raise UserError(f"--checkpoint is a directory: {checkpoint}")
        if not folder.is_dir():
            raise UserError(f"--checkpoint: folder {folder} does not exist")
    kills = _kills(kill or [])
    chat = load_model(model)
    spec = _intent(intent, chat)
    if not spec.kpis:
        raise UserError(
            f"intent {spec.id} names no measurable KPI to assure (formal: "
            f"{spec.formal or 'none'}); add a target such as '99.99% availability'"
        )
    executor: Any
    if domain is not None:
        from maestro.graphs.executor_orchestrator import OrchestratorExecutor
        from maestro.tools.orchestrator import DomainManager
        from maestro.tools.orchestrator.errors import OrchestratorError

        try:
            manager = DomainManager(domain)
        except (OrchestratorError, OSError) as exc:
            raise UserError(f"--domain {domain}: {exc}") from None
        edges = [e.id for e in manager.config.edges]
        if edge is not None and edge not in edges:
            raise UserError(f"--edge {edge!r} is not an edge of the domain ({', '.join(edges)})")
        executor = OrchestratorExecutor(manager, intent_name=spec.id, edge=edge)
    else:
        executor = InProcessExecutor()
    live = LiveView(spec.id)
    try:
        server = LiveServer(live, port=serve).start() if serve is not None else None
    except RuntimeError:
        executor.close()
        raise UserError(f"--serve: cannot listen on 127.0.0.1:{serve} (port in use?)") from None
    if server is not None:
        console.print(f"assurance graph: http://127.0.0.1:{server.port}/assurance-graph")

    def on_period(period: int) -> None:
        for name in kills.get(period, []):
            console.print(f"fault: killing {name} at period {period}", highlight=False)
            executor.kill(name)

    try:
        record = run_assurance(
            spec,
            chat,
            model,
            executor,
            checkpoint=checkpoint,
            thread_id=thread,
            resume=resume,
            live=live,
            on_period=on_period,
            on_event=None if quiet else _show,
            settings=AssureSettings(
                periods=periods, period_s=period_s, stop_when_recovered=until_recovered
            ),
        )
    except LookupError as exc:
        raise UserError(str(exc)) from None
    except sqlite3.Error as exc:
        raise UserError(f"--checkpoint {checkpoint}: {exc}") from None
    finally:
        executor.close()
        if server is not None:
            server.stop()
    if json_dest is not None:
        write_json(record, json_dest)
    status, reason = record["status"], record["reason"]
    health = record["service_health_pct"]
    line = f"{status}: {record['intent_type']} intent {spec.id}, service health " + (
        "n/a" if health is None else f"{health:.0f} %"
    )
    if checkpoint is not None:
        line += f"; thread {record['thread_id']} in {checkpoint}"
    console.print(line + (f" ({reason})" if reason else ""), highlight=False, markup=False)
    if status == "failed" or reason:
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    app.command("assure")(assure_cmd)
