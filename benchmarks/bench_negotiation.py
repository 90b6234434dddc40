"""Negotiation speed: wall time on the embedded model, framework overhead, scaling with n.

Prints, over RUNS runs each (default 5):
  - median wall time of examples/two-operators.yaml on the embedded model, and the share of
    wall time spent outside the model;
  - per-node framework time with the scripted model (no LLM time at all);
  - round time with 2, 5 and 10 operators, scripted (framework) and embedded (end to end).

    python benchmarks/bench_negotiation.py [--runs N] [--skip-embedded]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from pathlib import Path
from typing import Any

import maestro
from maestro.graphs.scenario import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "two-operators.yaml"


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


def embedded_two_operators(runs: int) -> None:
    maestro.negotiate(EXAMPLE)  # warm-up: loads the model once, as a long-lived process would
    walls, shares, rounds, agreed = [], [], [], 0
    for seed in range(runs):
        result = maestro.negotiate(EXAMPLE, seed=seed)
        walls.append(result.timings.wall_s)
        shares.append(result.timings.framework_share)
        rounds.append(len(result.rounds))
        agreed += result.agreed
    print(f"two-operator negotiation, embedded model, {runs} runs:")
    print(
        f"  median wall time      {statistics.median(walls):7.2f} s   (min {min(walls):.2f}, max {max(walls):.2f})"
    )
    print(
        f"  outside the model     {100 * statistics.median(shares):7.2f} %  (median share of wall time)"
    )
    print(f"  rounds                {statistics.median(rounds):7.1f}     agreed {agreed}/{runs}")


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
    args = parser.parse_args()
    started = time.perf_counter()
    scripted_per_node(args.runs)
    round_times(args.runs, "scripted:optimizer")
    if not args.skip_embedded:
        embedded_two_operators(args.runs)
        round_times(max(args.runs // 2, 1), "local")
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
