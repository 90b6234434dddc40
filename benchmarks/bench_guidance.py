"""Guidance benchmark: how far negotiations end from the theoretical consensus.

Generates seeded two- and five-operator scenarios (quadratic costs with random targets and
weights) and negotiates each on the embedded model with guidance none, soft and hard,
printing the mean absolute error from the theoretical consensus (mean and sd over
scenarios), the rounds used, and how many reached consensus. The MAESTRO paper reports, with
GPT-4o: none 8 +- 3 Mbps, hard about 0, about 4 rounds.

    python benchmarks/bench_guidance.py [--scenarios N] [--model ID] [--rounds R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

import maestro

MODES = ("none", "soft", "hard")


def generate(seed: int, n: int, model: str, rounds: int) -> dict[str, Any]:
    rng = random.Random(seed)
    operators = []
    for i in range(n):
        wants_low = i % 2 == 0
        target = rng.uniform(5, 60) if wants_low else rng.uniform(60, 130)
        operators.append(
            {
                "id": f"op{i}",
                "display_name": f"Operator {i}",
                "objective": "Keep the cell's throughput low to save cost."
                if wants_low
                else "Keep the cell's throughput high for quality.",
                "business_intent": f"Our users need about {target:.0f} Mbps.",
                "utility": {
                    "kind": "quadratic",
                    "target": round(target, 1),
                    "weight": round(rng.uniform(0.5, 3), 2),
                },
            }
        )
    return {
        "version": 1,
        "name": f"generated-{n}-{seed}",
        "topic": {"name": "cell_throughput", "unit": "Mbps", "lower": 0, "upper": 134},
        "operators": operators,
        "model": model,
        "seed": seed,
        "rounds": rounds,
        "epsilon": 1.0,
    }


def with_mode(scenario: dict[str, Any], mode: str) -> dict[str, Any]:
    out = {**scenario, "operators": [{**op, "guidance": mode} for op in scenario["operators"]]}
    out["mediator"] = {"guidance": "none" if mode == "none" else "soft"}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", type=int, default=10, help="per operator count (2 and 5)")
    parser.add_argument("--model", default="local")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    print(
        f"guidance benchmark: {args.scenarios} scenarios x (2, 5 operators), model {args.model}, "
        f"at most {args.rounds} rounds"
    )
    print(
        f"{'n':>3} {'mode':>5} {'MAE mean':>9} {'MAE sd':>7} {'rounds':>7} {'agreed':>7} {'wall s':>7}"
    )
    for n in (2, 5):
        scenarios = [
            generate(1000 * n + k, n, args.model, args.rounds) for k in range(args.scenarios)
        ]
        for mode in MODES:
            maes, rounds, agreed, walls = [], [], 0, []
            for scenario in scenarios:
                result = maestro.negotiate(with_mode(scenario, mode))
                assert result.optimum is not None
                maes.append(result.optimum["mae"])
                rounds.append(len(result.rounds))
                agreed += result.agreed
                walls.append(result.timings.wall_s)
            sd = statistics.stdev(maes) if len(maes) > 1 else 0.0
            print(
                f"{n:>3} {mode:>5} {statistics.mean(maes):9.3f} {sd:7.3f} {statistics.mean(rounds):7.2f} "
                f"{agreed:>3}/{len(scenarios):<3} {statistics.median(walls):7.2f}"
            )
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
