"""`maestro orchestrator`: the CAMINO orchestrator core from the command line.

init a domain, apply and delete intents, read the status, run an edge's reconciler, print
the intent JSON Schema. Every refusal (malformed intent, unknown package, wrong setter type,
unreachable or dirty repository, full edge, a dependency) is one line naming the intent and
the service, exit code 2, and no repository is changed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from maestro.cli.common import UserError, check_writable, console, write_json

orch_app = typer.Typer(
    help="Orchestrator (CAMINO): deployment intents to workloads through git repositories.",
    no_args_is_help=True,
)
intent_app = typer.Typer(help="Apply or delete deployment intents.", no_args_is_help=True)
orch_app.add_typer(intent_app, name="intent")

DOMAIN_ENV = "MAESTRO_DOMAIN"
DomainOpt = Annotated[
    Path | None,
    typer.Option(
        "--domain", "-d", help=f"Domain folder (default ${DOMAIN_ENV} or '.').", show_default=False
    ),
]
JsonOpt = Annotated[
    str | None, typer.Option("--json", help="Write the result as JSON to a path ('-' = stdout).")
]


def _domain(path: Path | None) -> Path:
    return path or Path(os.environ.get(DOMAIN_ENV) or ".")


def _manager(path: Path | None) -> Any:
    from maestro.tools.orchestrator import DomainManager

    return _guard(lambda: DomainManager(_domain(path)))


def _guard(fn: Any) -> Any:
    """Orchestrator errors are the user's to fix: one line, exit 2 (via UserError)."""
    from maestro.tools.orchestrator import OrchestratorError

    try:
        return fn()
    except OrchestratorError as exc:
        raise UserError(str(exc)) from exc


@orch_app.command("init")
def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder for the new domain.")],
    edges: Annotated[int, typer.Option("--edges", help="Number of edges.")] = 2,
    cpu: Annotated[str, typer.Option("--cpu", help="CPU capacity per edge.")] = "4",
    memory: Annotated[str, typer.Option("--memory", help="Memory capacity per edge.")] = "8Gi",
    name: Annotated[str, typer.Option("--name", help="Domain name.")] = "domain",
) -> None:
    """Create a domain: blueprint repository (the shipped catalogue) and edge repositories."""
    from maestro.tools.orchestrator import init_domain
    from maestro.tools.orchestrator.quantity import cpu_millis, memory_bytes

    for what, parse, value in (("--cpu", cpu_millis, cpu), ("--memory", memory_bytes, memory)):
        try:
            parse(value)
        except ValueError as exc:
            raise UserError(f"{what}: {exc}") from exc
    config = _guard(lambda: init_domain(directory, name=name, edges=edges, cpu=cpu, memory=memory))
    console.print(
        f"domain {config.name!r} in {directory}: blueprint repository and "
        f"{len(config.edges)} edge repositories ({', '.join(e.id for e in config.edges)})"
    )
    console.print(
        f"  run each edge: maestro orchestrator edge {config.edges[0].id} --domain {directory}"
    )


@intent_app.command("apply")
def apply_cmd(
    file: Annotated[Path, typer.Argument(help="Deployment intent (YAML or JSON).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Hydrate and admit, commit nothing.")
    ] = False,
    domain: DomainOpt = None,
    json_dest: JsonOpt = None,
) -> None:
    """Deploy (or change) an intent: one commit per edge repository, all or nothing.

    A file of kind TerminationIntent terminates instead (as `intent delete`)."""
    from maestro.tools.orchestrator import TerminationIntent
    from maestro.tools.orchestrator.intent import load_any_intent

    if json_dest:
        check_writable(json_dest)
    intent = _guard(lambda: load_any_intent(file))
    manager = _manager(domain)
    if isinstance(intent, TerminationIntent):
        done = _guard(lambda: manager.delete(intent.name, intent.services, dry_run=dry_run))
        _print_delete(done, json_dest, dry_run)
        return
    result = _guard(lambda: manager.apply(intent, dry_run=dry_run))
    if json_dest:
        write_json(result, json_dest)
        return
    verb = "would deploy" if dry_run else "deployed"
    console.print(f"intent {result.intent}: {verb} in order {' -> '.join(result.order)}")
    for s in result.services:
        console.print(f"  {s.name:<14} {s.package:<20} {s.edge:<8} {s.outputs['url']}")
    for e in result.edges:
        what = (
            "dry run, nothing committed"
            if dry_run
            else (f"commit {e.commit[:12]}" if e.commit else "unchanged")
        )
        console.print(f"  {e.edge}: {what}")


@intent_app.command("delete")
def delete_cmd(
    name: Annotated[str, typer.Argument(help="Name of the deployed intent.")],
    service: Annotated[
        list[str] | None, typer.Option("--service", help="Only these services (repeatable).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only.")] = False,
    domain: DomainOpt = None,
    json_dest: JsonOpt = None,
) -> None:
    """A termination intent: remove the intent's packages after a dependency check."""
    manager = _manager(domain)
    result = _guard(lambda: manager.delete(name, services=service or None, dry_run=dry_run))
    _print_delete(result, json_dest, dry_run)


def _print_delete(result: Any, json_dest: str | None, dry_run: bool) -> None:
    if json_dest:
        write_json(result, json_dest)
        return
    verb = "would remove" if dry_run else "removed"
    console.print(f"intent {result.intent}: {verb} {', '.join(result.removed)}")
    for e in result.edges:
        console.print(f"  {e.edge}: " + (f"commit {e.commit[:12]}" if e.commit else "no commit"))


@orch_app.command("status")
def status_cmd(domain: DomainOpt = None, json_dest: JsonOpt = None) -> None:
    """Each edge: repository head, the commit its reconciler applied, workloads, room."""
    manager = _manager(domain)
    status = _guard(manager.status)
    if json_dest:
        write_json(status, json_dest)
        return
    for e in status.edges:
        sync = "in sync" if e.in_sync else "NOT in sync"
        seen = "never" if e.reconciler_seen is None else f"{e.reconciler_seen:g} s ago"
        typer.echo(
            f"{e.id}: head {(e.head or '-')[:12]} applied {(e.applied or '-')[:12]} ({sync}); "
            f"reconciler seen {seen}; free {e.free['cpu']} CPU, {e.free['memory']}"
        )
        for w in e.workloads:
            typer.echo(f"  {w.key:<30} {w.state:<9} pid {w.pid or '-':<8} restarts {w.restarts}")
        for err in e.errors:
            typer.echo(f"  ! {err}")
    for name, info in status.intents.items():
        typer.echo(f"intent {name}: {' -> '.join(info['order'])}")


@orch_app.command("catalogue")
def catalogue_cmd(domain: DomainOpt = None, json_dest: JsonOpt = None) -> None:
    """The blueprint packages this domain can deploy, with their setters."""
    manager = _manager(domain)
    infos = _guard(manager.catalogue)
    if json_dest:
        write_json([i.model_dump() for i in infos], json_dest)
        return
    for info in infos:
        setters = ", ".join(f"{k}:{v.type}" for k, v in info.setters.items())
        typer.echo(f"{info.name:<20} {info.kind:<14} {info.description}\n    setters: {setters}")


@orch_app.command("schema")
def schema_cmd(
    json_dest: Annotated[str, typer.Option("--json", help="Path or '-' (stdout).")] = "-",
) -> None:
    """Print the JSON Schema of deployment intents."""
    from maestro.tools.orchestrator import intent_schema

    write_json(intent_schema(), json_dest)


@orch_app.command("edge")
def edge_cmd(
    edge_id: Annotated[str, typer.Argument(help="Edge id, e.g. edge-1.")],
    repo: Annotated[
        str | None, typer.Option("--repo", help="Deployment repository URL or path.")
    ] = None,
    domain: DomainOpt = None,
    state: Annotated[
        Path | None, typer.Option("--state", help="Folder for the edge's state and logs.")
    ] = None,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between passes.")] = 0.5,
    max_interval: Annotated[
        float, typer.Option("--max-interval", help="Longest wait between polls when idle.")
    ] = 5.0,
    keep_workloads: Annotated[
        bool, typer.Option("--keep-workloads", help="On exit, leave workloads running.")
    ] = False,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop after this many seconds.")
    ] = None,
) -> None:
    """Run the edge's reconciler: poll its deployment repository and run its workloads."""
    from maestro.tools.orchestrator import EdgeReconciler
    from maestro.tools.orchestrator.domain import load_domain, resolve, status_path
    from maestro.tools.orchestrator.gitrepo import is_url, remote_head

    if interval <= 0 or max_interval < interval:
        raise UserError("--interval must be > 0 and --max-interval >= --interval")
    status_file = None
    if repo is None or domain is not None:
        root = _domain(domain).resolve()
        config = _guard(lambda: load_domain(root))
        edge = config.edge(edge_id)
        if edge is None:
            known = ", ".join(e.id for e in config.edges)
            raise UserError(f"edge {edge_id!r} is not in domain {root} (edges: {known})")
        repo = repo or resolve(root, edge.repo)
        status_file = status_path(root, edge)
        state = state or status_file.parent
    if state is None:
        state = Path(f"edge-{edge_id}")
    if not is_url(repo):
        repo = str(Path(repo).resolve())
    _guard(lambda: remote_head(repo, timeout=15))  # unreachable: say so now, exit 2
    reconciler = EdgeReconciler(
        edge_id, repo, state, status_file, interval=interval, max_interval=max_interval
    )
    console.print(f"edge {edge_id}: reconciling {repo} (state in {state}); Ctrl-C stops")
    reconciler.run(stop_workloads=not keep_workloads, max_seconds=duration)
    console.print(
        f"edge {edge_id}: stopped" + (" (workloads left running)" if keep_workloads else "")
    )


def register(app: typer.Typer) -> None:
    app.add_typer(orch_app, name="orchestrator")
