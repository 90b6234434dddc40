"""Negotiation speed: wall time on the embedded model, where the model's time goes, scaling.

Prints, over RUNS runs each (default 5):
  - the two-operator example on the embedded model under three ways of running agents on
    llama.cpp: the default (an object per agent, overlapping turns in parallel on one core
    each), `serial` (an object per agent, one call at a time on every core:
    MAESTRO_THREADS=<cores>) and `shared` (one KV cache for every agent, one call at a time:
    MAESTRO_CONTEXTS=1 MAESTRO_THREADS=<cores>, the old behaviour), `grammar` (whole-reply
    grammar, MAESTRO_FIELD_BY_FIELD=0) and `vocab` (field by field, each token checked
    against the grammar over the whole vocabulary, as llama-cpp-python's sampler chain
    does, instead of top-k candidates first). For each: median, min and
    max wall time, LLM calls, prompt tokens sent, tokens llama.cpp evaluated and reused, tokens
    generated, and the seconds spent evaluating prompts and generating (summed over calls,
    which overlap in the parallel mode);
  - per-node framework time with the scripted model (no LLM time at all);
  - round time with 2, 5 and 10 operators, scripted (framework) and embedded (end to end).

    python benchmarks/bench_negotiation.py [--runs N] [--skip-embedded] [--modes default,serial]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
from pathlib import Path
from typing import Any

import maestro
from maestro.agents.providers import clear_model_cache, top_first
from maestro.agents.providers.local import model_counters
from maestro.graphs.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "two-operators.yaml"
CORES = str(os.cpu_count() or 1)
MODES = {
    "default": {},
    "serial": {"MAESTRO_THREADS": CORES},
    "shared": {"MAESTRO_CONTEXTS": "1", "MAESTRO_THREADS": CORES},
    "grammar": {"MAESTRO_FIELD_BY_FIELD": "0"},
    "vocab": {},  # field by field, but each field's grammar checked over the whole vocabulary
}
COUNTERS = ("calls", "prompt_tokens", "evaluated_tokens", "generated_tokens", "forced_tokens")
SECONDS = ("prompt_eval_s", "generation_s")


def scenario_with(n: int, model: str) -> dict[str, Any]:
    base = load_scenario(EXAMPLE).model_dump(mode="json")
    template = base["operators"]
    ops = []
    for i in range(n):
        op = copy.deepcopy(template[i % 2])
        op["id"], op["display_name"] = f"op{i}", f"Operator {i}"
        op["utility"]["target"] = 20 + 80 * i / max(n - 1, 1)
        ops.append(op)
    base["operators"], base["model"] = ops, model
    return base


def embedded_two_operators(runs: int, mode: str) -> None:
    saved = {var: os.environ.get(var) for var in MODES[mode]}
    os.environ.update(MODES[mode])
    clear_model_cache()
    checks_top_first = top_first.supported
    if mode == "vocab":  # llama-cpp-python's own sampling loop, grammar first in the chain
        top_first.supported = lambda llama: False
    try:
        maestro.negotiate(EXAMPLE)  # warm-up: loads the model, as a long-lived process would
        walls, rounds, agreed, per_run = [], [], 0, []
        for seed in range(runs):
            before = model_counters()
            result = maestro.negotiate(EXAMPLE, seed=seed)
            after = model_counters()
            per_run.append({k: after.get(k, 0) - before.get(k, 0) for k in after})
            walls.append(result.timings.wall_s)
            rounds.append(len(result.rounds))
            agreed += result.agreed
    finally:
        top_first.supported = checks_top_first
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        clear_model_cache()
    med = {k: statistics.median(r[k] for r in per_run) for k in (*COUNTERS, *SECONDS)}
    print(f"two-operator negotiation, embedded model, mode {mode!r}, {runs} runs:")
    print(
        f"  wall time      median {statistics.median(walls):6.2f} s  "
        f"(min {min(walls):.2f}, max {max(walls):.2f}); rounds {statistics.median(rounds):.0f}, "
        f"agreed {agreed}/{runs}"
    )
    # Evaluated tokens include the JSON literals written between fields (forced).
    reused = med["prompt_tokens"] + med["forced_tokens"] - med["evaluated_tokens"]
    print(
        f"  per run        {med['calls']:.0f} LLM calls; prompt {med['prompt_tokens']:.0f} tokens "
        f"sent, {med['evaluated_tokens']:.0f} evaluated, {reused:.0f} reused; "
        f"{med['generated_tokens']:.0f} generated, {med['forced_tokens']:.0f} JSON literal "
        "tokens evaluated in batches"
    )
    print(
        f"  model seconds  prompt evaluation {med['prompt_eval_s']:.2f} s, generation "
        f"{med['generation_s']:.2f} s (summed over calls)"
    )


def scripted_per_node(runs: int) -> None:
    totals: dict[str, list[float]] = {}
    walls = []
    for seed in range(runs):
        result = maestro.negotiate(EXAMPLE, model="scripted:optimizer", seed=seed)
        walls.append(result.timings.wall_s)
        for node, seconds in result.timings.per_node_s.items():
            totals.setdefault(node, []).append(seconds)
    print(f"framework time per node, scripted model, {runs} runs (median per negotiation):")
    for node, values in totals.items():
        print(f"  {node:<14} {1000 * statistics.median(values):8.3f} ms")
    print(f"  whole negotiation {1000 * statistics.median(walls):7.2f} ms wall")


def round_times(runs: int, model: str) -> None:
    print(f"round time by operator count, {model}, {runs} runs:")
    for n in (2, 5, 10):
        per_round = []
        for seed in range(runs):
            result = maestro.negotiate(scenario_with(n, model), seed=seed)
            per_round.append(result.timings.wall_s / max(len(result.rounds), 1))
        print(f"  {n:>2} operators       {1000 * statistics.median(per_round):9.1f} ms per round")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    started = time.perf_counter()
    scripted_per_node(args.runs)
    round_times(args.runs, "scripted:optimizer")
    if not args.skip_embedded:
        for mode in args.modes.split(","):
            embedded_two_operators(args.runs, mode.strip())
        round_times(max(args.runs // 2, 1), "local")
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
