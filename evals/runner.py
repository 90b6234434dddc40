"""Run a suite: the games it lists, in parallel when asked, one line per finished game.

A suite module provides `jobs(config)`, `play(job, config)`, `summarize(lines, config)`,
`markdown(summary)` and `plot(summary, lines, folder)`. The runner skips the games a run
directory already holds, plays the rest (threads: a hosted or vLLM endpoint batches
concurrent calls; the embedded model runs one game at a time), writes each line as it
finishes, and ends by rebuilding the report.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from maestro.evals.config import EvalConfig, EvalError, check_suite
from maestro.evals.store import RunDir, Warn


@dataclass(frozen=True)
class Job:
    """One game: `key` is unique in the suite and stable across runs (resume uses it)."""

    key: str
    index: int
    variant: str  # "llm", "baseline" (scripted optimizer-only), "eq1", "calculator"
    seed: int
    model: str | None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunOutcome:
    folder: Path
    played: int
    skipped: int
    total: int
    warnings: list[str]
    summary: dict[str, Any]


def suite_module(name: str) -> ModuleType:
    return importlib.import_module(f"maestro.evals.{check_suite(name)}")


def one_at_a_time(model: str | None) -> bool:
    """The embedded llama.cpp model serves one call at a time: parallel games only queue."""
    return bool(model) and (model == "local" or str(model).startswith("local:"))


def _line(job: Job, config: EvalConfig, result: dict[str, Any], record: Any) -> dict[str, Any]:
    return {
        "suite": config.suite,
        "config": config.hash,
        "model": job.model,
        "seed": job.seed,
        "index": job.index,
        "key": job.key,
        "variant": job.variant,
        "params": job.params,
        "result": result,
        "record": record,
    }


def run_suite(
    config: EvalConfig,
    out: str | Path,
    *,
    workers: int = 1,
    progress: bool = False,
    warn: Warn | None = None,
    on_line: Callable[[dict[str, Any]], None] | None = None,
) -> RunOutcome:
    """Play every game of `config` not yet in `out`, then write the summary and plots."""
    module = suite_module(config.suite)
    run = RunDir.open(out, config)
    warnings: list[str] = []

    def note(message: str) -> None:
        warnings.append(message)
        if warn is not None:
            warn(message)

    if getattr(module, "ALWAYS_RERUN", False):
        run.clear()  # derived from the calculator alone: each run checks it afresh
    done = run.load(note).keys
    jobs: list[Job] = module.jobs(config)
    todo = [j for j in jobs if j.key not in done]
    if workers > 1 and any(one_at_a_time(j.model) for j in todo):
        note("the embedded model runs one game at a time: --workers ignored for its games")
    bar = _Bar(config.suite, len(jobs), len(jobs) - len(todo)) if progress else None
    try:
        _play_all(module, config, todo, workers, run, bar, on_line)
    finally:
        if bar is not None:
            bar.stop()
    summary = write_report(run.path, warn=None)
    return RunOutcome(run.path, len(todo), len(jobs) - len(todo), len(jobs), warnings, summary)


def _play_all(
    module: ModuleType,
    config: EvalConfig,
    todo: list[Job],
    workers: int,
    run: RunDir,
    bar: _Bar | None,
    on_line: Callable[[dict[str, Any]], None] | None,
) -> None:
    serial = [j for j in todo if one_at_a_time(j.model)]
    parallel = [j for j in todo if not one_at_a_time(j.model)]

    def finish(job: Job, outcome: tuple[dict[str, Any], Any]) -> None:
        result, record = outcome
        line = _line(job, config, result, record)
        run.append(line)  # raises EvalError on a full disk: what is written stays
        if bar is not None:
            bar.advance(result)
        if on_line is not None:
            on_line(line)

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    pending: dict[Future[Any], Job] = {}
    queue = list(parallel)
    try:
        while queue or pending:
            while queue and len(pending) < max(1, workers):
                job = queue.pop(0)
                pending[pool.submit(module.play, job, config)] = job
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                finish(pending.pop(future), future.result())
    except BaseException:
        # Ctrl-C or a full disk: queued games never start; the lines written so far stay.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    for job in serial:
        finish(job, module.play(job, config))


class _Bar:
    """A rich progress bar with ETA and live counts, on stderr."""

    def __init__(self, suite: str, total: int, done: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.suite = suite
        self.counts = {"agreed": 0, "no agreement": 0, "error": 0}
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self.task = self.progress.add_task(self._text(done), total=total, completed=done)
        self.progress.start()

    def _text(self, resumed: int = 0) -> str:
        parts = " · ".join(f"{k} {v}" for k, v in self.counts.items())
        more = f" · resumed {resumed}" if resumed else ""
        return f"{self.suite} · {parts}{more}"

    def advance(self, result: dict[str, Any]) -> None:
        status = result.get("status")
        if status == "error":
            self.counts["error"] += 1
        elif result.get("agreed"):
            self.counts["agreed"] += 1
        elif status is not None:
            self.counts["no agreement"] += 1
        self.progress.update(self.task, advance=1, description=self._text())

    def stop(self) -> None:
        self.progress.stop()


def write_report(folder: str | Path, warn: Warn | None = None) -> dict[str, Any]:
    """Rebuild summary.json, summary.md and the PNG plots from a run directory's lines."""
    from maestro.evals.store import load_lines, read_config

    path = Path(folder)
    if not path.is_dir():
        raise EvalError(f"run directory not found: {path}")
    stored = read_config(path)
    if stored is None:
        raise EvalError(f"{path} is not a run directory: no config.json")
    identity = dict(stored["config"])
    suite = str(identity.get("suite"))
    module = suite_module(suite)
    loaded = load_lines(path, stored["hash"], warn)
    started = time.perf_counter()
    summary = module.summarize(loaded.lines, identity)
    summary = {
        "suite": suite,
        "config": identity,
        "config_hash": stored["hash"],
        "games": len(loaded.lines),
        "skipped_lines": loaded.skipped,
        **summary,
    }
    run = RunDir(path, EvalConfig(suite=suite))
    plots = module.plot(summary, loaded.lines, path)
    summary["plots"] = [Path(p).name for p in plots]
    summary["report_s"] = round(time.perf_counter() - started, 3)
    from maestro.evals.report import dumps

    run.write_text("summary.json", dumps(summary))
    run.write_text("summary.md", module.markdown(summary))
    return summary


__all__ = ["Job", "RunOutcome", "one_at_a_time", "run_suite", "write_report"]
