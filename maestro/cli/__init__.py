"""The `maestro` command line: one entry point, one module per subcommand group.

Each module in SUBCOMMAND_MODULES exposes `register(app)`. Errors a user can fix are raised
as UserError (or the library's UsageError) and end as one line on stderr with exit code 2.
"""

from __future__ import annotations

import importlib
import sys
import types

import click
import typer
from rich.markup import escape

from maestro.agents.errors import UsageError
from maestro.cli.common import UserError, console

_typer_click: types.ModuleType
try:  # typer >= 0.29 ships its own copy of click; older ones use click itself
    from typer._click import exceptions as _typer_click
except ImportError:  # pragma: no cover
    _typer_click = click.exceptions

CLICK_ERRORS = (click.exceptions.ClickException, _typer_click.ClickException)
ABORTS = (click.exceptions.Abort, typer.Abort)
EXITS = (click.exceptions.Exit, typer.Exit)

SUBCOMMAND_MODULES = (
    "negotiate",
    "models",
    "doctor",
    "scenario",
    "optimize",
    "drift",
    "ran",
    "eval",
    "intent",
    "assure",
    "sessions",
    "chat",
    "serve",
    "arbitral",
    "knowledge",
    "orchestrator",
    "orchestrator_api",
)

app = typer.Typer(
    name="maestro",
    help="LLM agents negotiate shared 5G/6G resources; a mediator steers them to consensus.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"maestro.cli.{name}").register(app)


_register_all()


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="maestro", standalone_mode=False)
    except (UserError, UsageError) as exc:
        # Escaped: the message may quote user text such as a YAML key "[/bold]".
        console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except ABORTS:
        console.print("aborted")
        return 130
    except EXITS as exc:
        return int(exc.exit_code)
    except CLICK_ERRORS as exc:  # bad arguments: click's one-line usage error, exit 2
        exc.show()
        return int(exc.exit_code)
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
