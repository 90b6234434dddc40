"""`maestro serve`: the web chat page and its API (maestro.web) on a local port."""

from __future__ import annotations

import typer
from rich.markup import escape

from maestro.cli.common import UserError, console


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port to listen on."),
) -> None:
    """Serve the session page: list sessions, open one, watch it live, type, approve."""
    import uvicorn

    from maestro.agents.errors import UsageError
    from maestro.web.app import create_app

    try:
        app = create_app()
    except UsageError as exc:  # a store that cannot be opened, bad MAESTRO_API_TOKENS
        raise UserError(str(exc)) from None
    import socket

    with socket.socket() as probe:  # a port in use is the user's to fix: say so in one line
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    console.print(f"serving sessions on http://{escape(host)}:{port}/ (Ctrl-C to stop)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc}") from None


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
