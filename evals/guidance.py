"""Guidance suite (MAESTRO Fig. 3b): none / soft / hard optimizer guidance with 2, 5 and 10
operators, 100 negotiations each with varied starting intents, at most 4 rounds.

Measured per negotiation: the absolute error between the final consensus (the agreed
value, else the mean of the final proposals) and the theoretical optimum (the closed form:
the weight-averaged target, clipped), rounds, wall time and messages. Beside the LLM:
- `eq1`: eq. 1 as the paper runs it (`tools.consensus.paper_rounds`: operators and
  mediator each take a step per round with the mediator's collective term), capped at the
  same number of rounds and started from the same intents;
- `baseline`: the optimizer-only negotiation (`scripted:optimizer`, soft guidance).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from maestro.evals.config import BASELINE_MODEL, GUIDANCE_MODES, EvalConfig
from maestro.evals.games import play_negotiation
from maestro.evals.report import fmt, skipped_note, stats, table
from maestro.evals.runner import Job

ROUNDS = 4
AGREEMENT_WEIGHT = 10.0  # the mediator's default b (agents.roles.MediatorSpec)
LOWER, UPPER = 0.0, 134.0
PAPER: dict[str, Any] = {
    "none": {"mae_mean": 8.0, "mae_sd": 3.0},
    "soft": {"note": "closer than none"},
    "hard": {"mae_mean": 0.0, "note": "matches the optimum"},
    "rounds": 4,
}


def intents(seed: int, n: int, index: int) -> dict[str, list[float]]:
    """The negotiation's starting intents (targets, Mbps) and cost weights, from the seed."""
    rng = np.random.default_rng([seed, n, index])
    targets = np.round(rng.uniform(10, 120, n), 1)
    weights = np.round(rng.uniform(0.5, 2.0, n), 2)
    return {"targets": targets.tolist(), "weights": weights.tolist()}


def scenario(targets: list[float], weights: list[float], mode: str) -> dict[str, Any]:
    operators = [
        {
            "id": f"op{i + 1}",
            "display_name": f"Operator {i + 1}",
            "objective": f"Run the shared cell near {t:g} Mbps for our users.",
            "business_intent": f"We need about {t:g} Mbps; how much we care weighs {w:g}.",
            "utility": {"kind": "quadratic", "target": t, "weight": w},
            "guidance": mode,
        }
        for i, (t, w) in enumerate(zip(targets, weights, strict=True))
    ]
    return {
        "version": 1,
        "name": f"guidance-{mode}-{len(targets)}",
        "topic": {"name": "cell_throughput", "unit": "Mbps", "lower": LOWER, "upper": UPPER},
        "operators": operators,
        "mediator": {"guidance": mode, "agreement_weight": AGREEMENT_WEIGHT},
        "rounds": ROUNDS,
        "epsilon": 1.0,
    }


def reference(targets: list[float], weights: list[float]) -> float:
    t, w = np.asarray(targets), np.asarray(weights)
    return float(np.clip((w * t).sum() / w.sum(), LOWER, UPPER))


def jobs(config: EvalConfig) -> list[Job]:
    out: list[Job] = []
    index = 0
    for n in config.operators:
        for i in range(config.negotiations):
            params = {"n": n, "i": i, **intents(config.seed, n, i)}
            seed = config.seed + i
            for mode in GUIDANCE_MODES:
                out.append(
                    Job(
                        f"llm/{mode}/{n}/{i}",
                        index,
                        "llm",
                        seed,
                        config.model,
                        params | {"mode": mode},
                    )
                )
                index += 1
            out.append(
                Job(
                    f"baseline/{n}/{i}",
                    index,
                    "baseline",
                    seed,
                    BASELINE_MODEL,
                    params | {"mode": "soft"},
                )
            )
            out.append(Job(f"eq1/{n}/{i}", index + 1, "eq1", seed, None, params))
            index += 2
    return out


def play(job: Job, config: EvalConfig) -> tuple[dict[str, Any], dict[str, Any] | None]:
    p = job.params
    ref = reference(p["targets"], p["weights"])
    rounds = config.rounds or ROUNDS
    if job.variant == "eq1":
        from maestro.tools.consensus import paper_rounds

        utilities = [
            {"kind": "quadratic", "target": t, "weight": w}
            for t, w in zip(p["targets"], p["weights"], strict=True)
        ]
        run = paper_rounds(utilities, LOWER, UPPER, p["targets"], rounds, AGREEMENT_WEIGHT)
        data = run.to_dict()
        out: dict[str, Any] = {
            "status": "consensus" if run.agreed else "round_cap",
            "agreed": run.agreed,
            "value": run.value,
            "reference": ref,
            "abs_error": abs(run.value - ref),
            "rounds": rounds,
            "messages": run.messages(),
            "wall_s": 0.0,
            "spread": run.spread,
        }
        return out, {"eq1": data}
    assert job.model is not None
    sc = scenario(p["targets"], p["weights"], p["mode"])
    result, record = play_negotiation(sc, job.model, job.seed, rounds)
    final = list(result["final"].values())
    value = result["consensus"] if result["agreed"] else (float(np.mean(final)) if final else None)
    result.update(
        value=value,
        reference=ref,
        abs_error=None if value is None else abs(value - ref),
    )
    return result, record


def _group(lines: list[dict[str, Any]], variant: str, mode: str | None, n: int) -> list[Any]:
    return [
        ln["result"]
        for ln in lines
        if ln["variant"] == variant
        and ln["params"].get("n") == n
        and (mode is None or ln["params"].get("mode") == mode)
    ]


def _cell(results: list[dict[str, Any]]) -> dict[str, Any]:
    agreed = [r for r in results if r["agreed"]]
    return {
        "negotiations": len(results),
        "mae": stats(r["abs_error"] for r in results),
        "agreement_rate": len(agreed) / len(results) if results else None,
        "rounds_to_consensus": stats(r["rounds"] for r in agreed),
        "time_s": stats(r["wall_s"] for r in results),
        "messages": stats(r["messages"] for r in results),
        "messages_per_round": stats(
            r["messages"] / r["rounds"] for r in results if r.get("rounds")
        ),
        "errors": sum(r["status"] == "error" for r in results),
    }


def summarize(lines: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {}
    for n in config.get("operators", []):
        cells = {f"llm-{m}": _cell(_group(lines, "llm", m, n)) for m in GUIDANCE_MODES}
        cells["eq1"] = _cell(_group(lines, "eq1", None, n))
        cells["optimizer-only"] = _cell(_group(lines, "baseline", None, n))
        rows[str(n)] = cells
    return {"by_operators": rows, "rounds_cap": config.get("rounds") or ROUNDS, "paper": PAPER}


def markdown(summary: dict[str, Any]) -> str:
    out = [
        f"# Guidance suite (Fig. 3b)\n\nModel `{summary['config'].get('model')}`, at most "
        f"{summary['rounds_cap']} rounds. Error: |final consensus - closed-form optimum| "
        "(Mbps). `eq1`: eq. 1 round by round as the paper runs it (operators and mediator, "
        "the mediator's collective term); `optimizer-only`: scripted optimizer agents.\n",
        "Paper (GPT-4o): no optimizer 8 ± 3 Mbps, soft closer, hard ≈ 0; rounds K ≈ 4 "
        "whatever n; messages O(n) per round.\n",
    ]
    rows = []
    for n, cells in summary["by_operators"].items():
        for name, c in cells.items():
            paper = PAPER.get(name.removeprefix("llm-"), {}) if name.startswith("llm-") else {}
            ref = (
                f"{paper['mae_mean']:g} ± {paper['mae_sd']:g}"
                if "mae_sd" in paper
                else (f"≈ {paper['mae_mean']:g}" if "mae_mean" in paper else paper.get("note", "—"))
            )
            rows.append(
                [
                    n,
                    name,
                    c["negotiations"],
                    c["mae"]["mean"],
                    c["mae"]["sd"],
                    fmt(c["agreement_rate"], 2),
                    c["rounds_to_consensus"]["mean"],
                    c["messages_per_round"]["mean"],
                    fmt(c["time_s"]["mean"], 2),
                    ref,
                ]
            )
    head = [
        "operators",
        "design",
        "runs",
        "MAE",
        "sd",
        "agreement rate",
        "rounds (agreed)",
        "messages/round",
        "mean time s",
        "paper MAE",
    ]
    out.append(table(head, rows))
    return "\n".join(out) + skipped_note(summary)


def plot(summary: dict[str, Any], lines: list[dict[str, Any]], folder: Path) -> list[str]:
    from maestro.evals.plots import pyplot, save

    plt = pyplot()
    ns = list(summary["by_operators"])
    designs = [*(f"llm-{m}" for m in GUIDANCE_MODES), "eq1", "optimizer-only"]
    variant = {"eq1": ("eq1", None), "optimizer-only": ("baseline", None)}
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4))
    width = 0.8 / len(designs)
    for d, design in enumerate(designs):
        kind, mode = variant.get(design, ("llm", design.removeprefix("llm-")))
        data = [
            [
                r["abs_error"]
                for r in _group(lines, kind, mode, int(n))
                if r["abs_error"] is not None
            ]
            or [float("nan")]
            for n in ns
        ]
        pos = [i + 1 + (d - len(designs) / 2 + 0.5) * width for i in range(len(ns))]
        box = ax.boxplot(data, positions=pos, widths=width * 0.9, patch_artist=True)
        colour = f"C{d}"
        for patch in box["boxes"]:
            patch.set_facecolor(colour)
        ax.plot([], [], color=colour, lw=6, label=design)
        times = [summary["by_operators"][n][design]["time_s"]["mean"] or 0.0 for n in ns]
        bx.bar(pos, times, width * 0.9, color=colour, label=design)
    ax.axhspan(5, 11, color="tab:red", alpha=0.1, label="paper: none 8 ± 3")
    ax.set_xticks(range(1, len(ns) + 1), [f"{n} agents" for n in ns])
    ax.set_ylabel("|consensus - theoretical optimum| (Mbps)")
    ax.set_title("Error distribution by design")
    ax.legend(fontsize=7)
    bx.set_xticks(range(1, len(ns) + 1), [f"{n} agents" for n in ns])
    bx.set_ylabel("mean time per negotiation (s)")
    bx.set_title("Mean convergence time")
    return [save(fig, folder, "guidance.png")]
