"""`maestro orchestrator serve` (the domain manager's API) and `maestro domain ...` (its client).

`serve` joins the core's `maestro orchestrator` group (or, without it, `maestro domain`).
The `domain` commands talk to a served domain manager with `--url` (or
MAESTRO_ORCHESTRATOR_URL) and the token in MAESTRO_ORCHESTRATOR_TOKEN: the same operations
as the local `maestro orchestrator` commands, through the API, as a tenant would.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from maestro.cli.common import UserError, console, read_data_file, to_json_text, write_json

URL_ENV = "MAESTRO_ORCHESTRATOR_URL"

domain_app = typer.Typer(
    help="Talk to a served domain manager (CAMINO northbound API): intents, status, catalogue.",
    no_args_is_help=True,
)

Url = Annotated[
    str | None,
    typer.Option(
        "--url", help=f"The domain manager's API (default ${URL_ENV}).", show_default=False
    ),
]
JsonOut = Annotated[
    str | None, typer.Option("--json", help="Write JSON to this path ('-' = stdout).")
]


def _client(url: str | None) -> Any:
    from maestro.tools.orchestrator.client import OrchestratorClient

    url = url or os.environ.get(URL_ENV, "").strip() or None
    if not url:
        raise UserError(f"--url: give the domain manager's URL (or set {URL_ENV})")
    try:
        return OrchestratorClient(url)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _run(url: str | None, call: Any) -> Any:
    from maestro.tools.orchestrator.client import OrchestratorApiError

    with _client(url) as client:
        try:
            return call(client)
        except OrchestratorApiError as exc:
            if exc.status in (0, 500, 502, 503):
                console.print(f"[red]error:[/red] {exc.message}", markup=True, highlight=False)
                raise typer.Exit(3) from None  # the service failed, not the user
            raise UserError(f"HTTP {exc.status}: {exc.message}") from None


def _show(data: Any, json_dest: str | None) -> None:
    if json_dest is not None:
        write_json(data, json_dest)
    else:
        typer.echo(to_json_text(data))


@domain_app.command("catalogue")
def catalogue(url: Url = None, json_dest: JsonOut = None) -> None:
    """The blueprint packages this domain deploys, and its total reserved resources."""
    data = _run(url, lambda c: c.catalogue())
    if json_dest is not None:
        write_json(data, json_dest)
        return
    for pkg in data["packages"]:
        typer.echo(f"{pkg['name']:<20} {pkg['kind']:<14} {pkg['description']}")
    res = data["resources"]
    typer.echo(
        f"capacity {res['capacity']['cpu']} CPU / {res['capacity']['memory']}, "
        f"reserved {res['reserved']['cpu']} / {res['reserved']['memory']}"
    )


@domain_app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="Deployment intent (YAML or JSON).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check without committing.")] = False,
    url: Url = None,
    json_dest: JsonOut = None,
) -> None:
    """Submit a deployment intent (create or change it)."""
    intent = read_data_file(file, "intent file")
    if not isinstance(intent, dict):
        raise UserError(f"{file}: expected an intent mapping with 'name' and 'services'")
    if not isinstance(intent.get("name"), str):
        raise UserError(f"{file}: the intent needs a 'name'")
    try:
        data = _run(url, lambda c: c.apply(intent, dry_run=dry_run))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if json_dest is not None:
        write_json(data, json_dest)
        return
    verb = "would commit" if dry_run else "committed"
    for edge in data["edges"]:
        commit = (edge.get("commit") or "-")[:12]
        typer.echo(f"{edge['edge']}: {verb} {len(edge['packages'])} package(s) {commit}")
    typer.echo(f"order: {' -> '.join(data['order'])}")


@domain_app.command("intents")
def intents(url: Url = None, json_dest: JsonOut = None) -> None:
    """The intents this token may see."""
    _show(_run(url, lambda c: c.intents()), json_dest)


@domain_app.command("status")
def status(
    name: Annotated[str, typer.Argument(help="Intent name.")],
    url: Url = None,
    json_dest: JsonOut = None,
) -> None:
    """Per service: edge, workload state; per edge: commit and whether it is reconciled."""
    data = _run(url, lambda c: c.status(_name(name)))
    if json_dest is not None:
        write_json(data, json_dest)
        return
    typer.echo(f"{data['intent']}: {data['state']}")
    for svc, row in data["services"].items():
        ok = "healthy" if row["healthy"] else "not healthy"
        typer.echo(f"  {svc:<16} {row['edge']:<10} {row['state']:<10} {ok}")
    for edge, row in data["edges"].items():
        done = "reconciled" if row["reconciled"] else "pending"
        typer.echo(
            f"  {edge}: commit {row['commit'][:12]} applied {str(row['applied'])[:12]} {done}"
        )


@domain_app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="Intent name.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check without committing.")] = False,
    url: Url = None,
    json_dest: JsonOut = None,
) -> None:
    """Submit a termination intent."""
    data = _run(url, lambda c: c.delete(_name(name), dry_run=dry_run))
    if json_dest is not None:
        write_json(data, json_dest)
        return
    typer.echo(f"{data['intent']}: removed {', '.join(data['removed'])}")


@domain_app.command("health")
def health(url: Url = None, json_dest: JsonOut = None) -> None:
    """The domain's health and each edge's (totals only for an observer's token)."""
    _show(_run(url, lambda c: c.health()), json_dest)


@domain_app.command("query")
def query(
    promql: Annotated[str, typer.Argument(help="PromQL expression.")],
    url: Url = None,
    json_dest: JsonOut = None,
) -> None:
    """Monitoring through the domain manager (non-admins: aggregated results only)."""
    _show(_run(url, lambda c: c.query(promql)), json_dest)


@domain_app.command("token")
def token(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant name (a DNS label).")],
    role: Annotated[str, typer.Option("--role", help="admin, tenant or observer.")] = "tenant",
) -> None:
    """Make a new token: the token on stdout, the line for the server's token file on stderr
    (only its SHA-256 digest goes in the file)."""
    import re

    from maestro.tools.orchestrator.auth import TENANT_PATTERN, Role, hash_token, new_token

    if role not in {r.value for r in Role}:
        raise UserError(f"--role: one of admin, tenant, observer; got {role!r}")
    if not re.match(TENANT_PATTERN, tenant):
        raise UserError(f"--tenant: must be a DNS label (a-z, 0-9, '-'), got {tenant!r}")
    secret = new_token()
    typer.echo(secret)
    console.print(
        f"  - {{tenant: {tenant}, role: {role}, sha256: {hash_token(secret)}}}",
        markup=False,
        highlight=False,
        soft_wrap=True,  # one YAML line, whatever the terminal's width
    )


def serve_cmd(
    domain: Annotated[
        Path | None,
        typer.Option(
            "--domain",
            "-d",
            help="Domain folder (default $MAESTRO_DOMAIN or '.').",
            show_default=False,
        ),
    ] = None,
    tokens: Annotated[
        Path | None,
        typer.Option(
            "--tokens",
            help="Token file (YAML/JSON: tokens: [{tenant, role, sha256|token}]); default "
            "$MAESTRO_ORCHESTRATOR_TOKENS. Without one, on loopback, an admin token is made "
            "and printed.",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0 = any free port).")] = 8181,
    max_body: Annotated[int, typer.Option("--max-body", help="Largest request body, bytes.")] = 256
    * 1024,
) -> None:
    """Serve the domain manager's northbound API (OpenAPI document at /openapi.json)."""
    from maestro.tools.orchestrator.apiserver import bind_socket, build_app, serve
    from maestro.tools.orchestrator.auth import TOKENS_ENV, TokenConfigError, TokenStore, new_token
    from maestro.tools.orchestrator.errors import OrchestratorError
    from maestro.tools.orchestrator.gate import Limits
    from maestro.tools.ran.guard import is_loopback

    domain = domain or Path(os.environ.get("MAESTRO_DOMAIN") or ".")
    if not 0 <= port <= 65535:
        raise UserError(f"--port: must be 0..65535, got {port}")
    if max_body < 1024:
        raise UserError(f"--max-body: at least 1024 bytes, got {max_body}")
    if not (domain / "domain.yaml").is_file():
        raise UserError(f"{domain}: no domain here (make one with 'maestro orchestrator init')")
    source = tokens or (Path(os.environ[TOKENS_ENV]) if os.environ.get(TOKENS_ENV) else None)
    made = None
    try:
        if source is not None:
            store = TokenStore.load(source)
        elif is_loopback(host):
            made = new_token()
            store = TokenStore.from_data([{"tenant": "admin", "role": "admin", "token": made}])
        else:
            raise UserError(f"--host {host}: serving beyond loopback needs --tokens FILE")
        app = build_app(domain, store, Limits(max_body_bytes=max_body))
    except (TokenConfigError, OrchestratorError) as exc:
        raise UserError(str(exc)) from None
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise UserError(
            f"--host/--port: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    console.print(
        f"domain manager API for {domain}: http://{host}:{sock.getsockname()[1]} "
        f"({len(store)} token(s); OpenAPI at /openapi.json). Ctrl-C stops.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if made is not None:
        # Shown once, to whoever started the server; it is in no file and no log.
        console.print(
            f"No token file: this run's admin token is {made}\n"
            f"  clients: export MAESTRO_ORCHESTRATOR_TOKEN={made}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    serve(app, sock)


def _name(name: str) -> str:
    import re

    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name):
        raise UserError(f"intent name: not a DNS label: {name!r}")
    return name


def register(app: typer.Typer) -> None:
    app.add_typer(domain_app, name="domain")
    group = None
    try:  # the core's `maestro orchestrator` group, when it exposes one
        from maestro.cli import orchestrator as core

        group = getattr(core, "orch_app", None)
    except ImportError:
        group = None
    target = group if isinstance(group, typer.Typer) else domain_app
    target.command("serve")(serve_cmd)
