"""`maestro doctor`: do the embedded models run on this machine? Each is probed in a child."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from maestro.cli.common import UserError, write_json

CHECK_FAILED = 3  # the documented exit code for a check or run that failed (not a user mistake)

ADVICE = (
    "The embedded model cannot run with this llama.cpp build. Rebuild it with `./dev env` "
    "(a native build without ggml's AMX code, keyed by its flags), or set "
    "MAESTRO_LLAMA_CMAKE_ARGS to other build flags and run `./dev env` again; meanwhile an "
    "OpenAI-compatible endpoint works: --model openai:<model>."
)


def doctor(
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Probe this local model id (repeatable)."),
    ] = None,
    json_out: Annotated[
        str | None,
        typer.Option("--json", metavar="PATH", help="Write the report as JSON ('-' = stdout)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds a model may take to load and answer.", min=1)
    ] = 180.0,
) -> int:
    """Load each shipped local model in a child process and generate a few tokens."""
    from maestro.agents.providers.health import (
        SHIPPED_MODELS,
        amx_compiled,
        build_report,
        cpu_report,
        probe,
    )

    ids = model or list(SHIPPED_MODELS)
    bad = [m for m in ids if m != "local" and not m.startswith("local:")]
    if bad:
        raise UserError(f"doctor probes local models only, not {', '.join(bad)}")
    cpu, build = cpu_report(), build_report()
    out = Console(stderr=json_out == "-")
    features = " ".join(f for f, has in cpu["features"].items() if has) or "none of note"
    out.print(f"cpu: {cpu['name']}\nfeatures: {features}", highlight=False)
    out.print(
        f"llama-cpp-python {build.get('llama_cpp_python')}, build flags: "
        f"{build.get('cmake_args') or build.get('note')}",
        highlight=False,
    )
    verdicts = []
    for model_id in ids:
        verdict = probe(model_id, timeout)
        verdicts.append(verdict)
        mark = "[green]ok[/green]" if verdict.ok else "[red]FAIL[/red]"
        speed = f", {verdict.tokens_per_s} tok/s" if verdict.tokens_per_s else ""
        load = f", load {verdict.load_s} s" if verdict.load_s is not None else ""
        out.print(f"{mark} {model_id}: {verdict.verdict}{load}{speed}", highlight=False)
    info = next((v.system_info for v in verdicts if v.system_info), None)
    if info:
        out.print(f"llama.cpp: {info}", highlight=False, soft_wrap=True)
    if amx_compiled(info):
        out.print(
            "[yellow]warning:[/yellow] this build contains ggml's AMX kernels, which crash on "
            "some CPUs (llama.cpp issue 20824); `./dev env` builds without them.",
            highlight=False,
        )
    ok = all(v.ok for v in verdicts)
    if not ok:
        out.print(f"[red]{ADVICE}[/red]", highlight=False)
    if json_out is not None:
        report = {
            "ok": ok,
            "cpu": cpu,
            "build": build,
            "models": [v.model_dump(mode="json") for v in verdicts],
        }
        write_json(report, json_out)
    return 0 if ok else CHECK_FAILED


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
