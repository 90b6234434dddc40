"""`maestro eval personality|guidance|sla|assurance [options]` and `maestro eval report RUN_DIR`.

Each suite writes one JSON line per game into its run directory (default
`eval-runs/SUITE-HASH`, one folder per configuration), resumes where a killed run stopped,
and ends with summary.json, summary.md and the PNG plots. `report` rebuilds those from the
lines alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from maestro.cli.common import UserError, console

eval_app = typer.Typer(
    name="eval",
    help="Evaluation suites: the papers' figures, resumable, with tables and plots.",
    no_args_is_help=True,
)

Model = Annotated[
    str | None,
    typer.Option("--model", help="Model id (default: MAESTRO_MODEL, else the embedded 'local')."),
]
Out = Annotated[
    str | None, typer.Option("--out", help="Run directory (default: eval-runs/SUITE-HASH).")
]
Workers = Annotated[
    int, typer.Option("--workers", help="Games in parallel (the embedded model: one at a time).")
]
Seed = Annotated[int, typer.Option("--seed", help="First seed; game g uses seed + g.")]
Rounds = Annotated[int | None, typer.Option("--rounds", help="Round cap (default: the paper's).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


def _rounds(rounds: int | None) -> int | None:
    """--rounds: the suite's own cap when unset, else 1 to 100."""
    from maestro.evals.config import check_count

    return rounds if rounds is None else check_count("--rounds", rounds, 1, 100)


def _model(model: str | None) -> str:
    from maestro.agents.providers.options import model_from_env

    chosen = model or model_from_env() or "local"
    from maestro.agents.providers.registry import parse_model_id

    parse_model_id(chosen)  # UnknownModelError is a UsageError: one line, exit 2
    return chosen


def _run(config: Any, out: str | None, workers: int, quiet: bool) -> None:
    from maestro.evals import EvalError, run_suite

    if not 1 <= workers <= 64:
        raise UserError(f"--workers must be from 1 to 64, got {workers}")
    folder = Path(out) if out else Path("eval-runs") / f"{config.suite}-{config.hash[:8]}"

    def warn(message: str) -> None:
        console.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)

    try:
        outcome = run_suite(config, folder, workers=workers, progress=not quiet, warn=warn)
    except EvalError as exc:
        raise UserError(str(exc)) from None
    console.print(
        f"{config.suite}: {outcome.played} game(s) played, {outcome.skipped} already done, "
        f"{outcome.total} in all -> {outcome.folder}/summary.md",
        highlight=False,
    )
    print((outcome.folder / "summary.md").read_text(encoding="utf-8"))


@eval_app.command("personality")
def personality_cmd(
    model: Model = None,
    out: Out = None,
    games: Annotated[int, typer.Option("--games", help="Games per pair (paper: 50).")] = 50,
    pairs: Annotated[
        str | None,
        typer.Option("--pairs", help="Pairs COST-QOS, e.g. N-N,A-D (default: paper's 8)."),
    ] = None,
    workers: Workers = 1,
    seed: Seed = 0,
    rounds: Rounds = None,
    quiet: Quiet = False,
) -> None:
    """Fig. 3a: the cost agent against the QoS agent, one personality each."""
    from maestro.evals.config import EvalConfig, check_count, parse_pairs

    config = EvalConfig(
        "personality",
        model=_model(model),
        seed=seed,
        games=check_count("--games", games),
        pairs=parse_pairs(pairs),
        rounds=_rounds(rounds),
    )
    _run(config, out, workers, quiet)


@eval_app.command("guidance")
def guidance_cmd(
    model: Model = None,
    out: Out = None,
    negotiations: Annotated[
        int, typer.Option("--negotiations", help="Per design and operator count (paper: 100).")
    ] = 100,
    operators: Annotated[
        str | None, typer.Option("--operators", help="Operator counts, e.g. 2,5,10.")
    ] = None,
    workers: Workers = 1,
    seed: Seed = 0,
    rounds: Rounds = None,
    quiet: Quiet = False,
) -> None:
    """Fig. 3b: none / soft / hard guidance against eq. 1 and the theoretical optimum."""
    from maestro.evals.config import EvalConfig, check_count, parse_operators

    config = EvalConfig(
        "guidance",
        model=_model(model),
        seed=seed,
        negotiations=check_count("--negotiations", negotiations),
        operators=parse_operators(operators),
        rounds=_rounds(rounds),
    )
    _run(config, out, workers, quiet)


@eval_app.command("sla")
def sla_cmd(
    model: Model = None,
    out: Out = None,
    timeline: Annotated[
        str | None,
        typer.Option(
            "--timeline",
            help="Timeline file (default: the shipped Fig. 5 one, examples/sla-fig5.yaml).",
        ),
    ] = None,
    games: Annotated[int, typer.Option("--games", help="Repetitions of the timeline.")] = 1,
    workers: Workers = 1,
    seed: Seed = 0,
    rounds: Rounds = None,
    quiet: Quiet = False,
) -> None:
    """Fig. 5: the SLA over time on a CQI trace, with renegotiations and switch-off."""
    from maestro.evals.config import EvalConfig, check_count
    from maestro.evals.sla import load_timeline

    config = EvalConfig(
        "sla",
        model=_model(model),
        seed=seed,
        games=check_count("--games", games, 1, 1000),
        rounds=_rounds(rounds),
        timeline=load_timeline(timeline),
    )
    _run(config, out, workers, quiet)


@eval_app.command("assurance")
def assurance_cmd(
    model: Model = None, out: Out = None, workers: Workers = 1, quiet: Quiet = False
) -> None:
    """The intent-drift paper's worked examples, from the drift calculator, pass/fail per row.

    No model is called: --model and --workers are accepted (so that a script can loop over
    the suites with the same options) and noted.
    """
    from maestro.evals.config import EvalConfig

    if model:
        console.print(f"assurance: no model is called; --model {escape(model)} is not used")
    _run(EvalConfig("assurance", model="none"), out, max(1, min(workers, 64)), quiet)


@eval_app.command("report")
def report_cmd(
    run_dir: Annotated[str, typer.Argument(help="A run directory written by maestro eval.")],
) -> None:
    """Rebuild summary.json, summary.md and the PNG plots from a run directory's lines."""
    from maestro.evals import EvalError, write_report

    def warn(message: str) -> None:
        console.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)

    try:
        summary = write_report(run_dir, warn=warn)
    except EvalError as exc:
        raise UserError(str(exc)) from None
    console.print(
        f"{summary['suite']}: {summary['games']} game line(s) -> {run_dir}/summary.md, "
        + ", ".join(summary.get("plots") or []),
        highlight=False,
    )
    print((Path(run_dir) / "summary.md").read_text(encoding="utf-8"))


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
