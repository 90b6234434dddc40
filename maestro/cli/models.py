"""`maestro models`: which models this installation can load, and where their files are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from maestro.cli.common import write_json

if TYPE_CHECKING:
    from maestro.agents.providers.catalog import ModelEntry


def _table(entries: list[ModelEntry]) -> Table:
    table = Table(title="models", title_justify="left")
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("provider")
    table.add_column("available")
    table.add_column("path / detail", overflow="fold")
    for entry in entries:
        where = f"{entry.path}\n{entry.detail}" if entry.path else entry.detail
        mark = "[green]yes[/green]" if entry.available else "[red]no[/red]"
        table.add_row(entry.id, entry.provider, mark, where)
    return table


def models(
    json_out: Annotated[
        str | None,
        typer.Option("--json", metavar="PATH", help="Write the list as JSON ('-' = stdout)."),
    ] = None,
) -> None:
    """List the models maestro can load (local GGUF files, OpenAI endpoint, scripted)."""
    from maestro.agents.providers.catalog import list_models  # langchain-core: import on use

    entries = list_models()
    if json_out is not None:
        write_json([entry.model_dump(mode="json") for entry in entries], json_out)
        return
    Console().print(_table(entries))


def register(app: typer.Typer) -> None:
    app.command("models")(models)
