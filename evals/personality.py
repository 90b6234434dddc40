"""Personality suite (MAESTRO Fig. 3a): the cost agent against the QoS agent, one
personality each, on the shared cell; every game's final decision of each agent.

As in the paper the agents are standalone LLMs (no optimizer guidance, for them or the
mediator); the fair middle is 50 Mbps (cost wants 0, QoS wants 100, equal weights). The
optimizer-only baseline runs the same game on `scripted:optimizer` with soft guidance: it
ignores personalities, so one game per pair shows where the numbers alone lead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from maestro.evals.config import BASELINE_MODEL, PERSONALITY_LETTERS, EvalConfig
from maestro.evals.games import play_negotiation
from maestro.evals.report import fmt, skipped_note, stats, table
from maestro.evals.runner import Job

ROUNDS = 5
# Means read from the paper's Fig. 3a text (GPT-4o); None: no agreement; D-D a range.
PAPER: dict[str, dict[str, Any]] = {
    "N-N": {"mean": 55.0, "time_s": "about 7"},
    "A-D": {"mean": 64.0, "time_s": "at most 10"},
    "V-D": {"mean": 72.0, "time_s": "at most 10"},
    "V-T": {"mean": 100.0, "time_s": "at most 10"},
    "N-T": {"mean": 83.0, "time_s": "20-40", "note": "large sd"},
    "D-T": {"mean": 51.0, "time_s": "20-40", "note": "large sd"},
    "T-T": {"mean": None, "time_s": "20-40", "note": "no agreement"},
    "D-D": {"mean": 54.5, "range": [52.0, 57.0], "time_s": "20-40"},
}


def scenario(pair: str, guidance: str = "none") -> dict[str, Any]:
    cost, qos = (PERSONALITY_LETTERS[p] for p in pair.split("-"))
    return {
        "version": 1,
        "name": f"personality-{pair}",
        "description": "MAESTRO Fig. 3a: a cost agent and a QoS agent share one base station.",
        "topic": {
            "name": "cell_throughput",
            "unit": "Mbps",
            "lower": 0,
            "upper": 134,
            "description": "the throughput at which the shared base station should operate",
        },
        "operators": [
            {
                "id": "cost",
                "display_name": "Cost agent",
                "objective": "Reduce the operational cost: keep the cell's throughput low.",
                "business_intent": (
                    "Every Mbps the cell runs at costs us energy; we would run it as low as "
                    "possible. The QoS operator wants high throughput; a fair middle is about "
                    "50 Mbps."
                ),
                "utility": {"kind": "quadratic", "target": 0, "weight": 1.0},
                "personality": cost,
                "guidance": guidance,
            },
            {
                "id": "qos",
                "display_name": "QoS agent",
                "objective": "Maximise the quality of service: keep the cell's throughput high.",
                "business_intent": (
                    "Our premium users want 100 Mbps. The cost operator wants low throughput; "
                    "a fair middle is about 50 Mbps."
                ),
                "utility": {"kind": "quadratic", "target": 100, "weight": 1.0},
                "personality": qos,
                "guidance": guidance,
            },
        ],
        "mediator": {"guidance": guidance},
        "rounds": ROUNDS,
        "epsilon": 1.0,
    }


def jobs(config: EvalConfig) -> list[Job]:
    out: list[Job] = []
    for p, pair in enumerate(config.pairs):
        for g in range(config.n_games):
            out.append(
                Job(
                    f"llm/{pair}/{g}",
                    p * config.n_games + g,
                    "llm",
                    config.seed + g,
                    config.model,
                    {"pair": pair},
                )
            )
        out.append(
            Job(f"baseline/{pair}", p, "baseline", config.seed, BASELINE_MODEL, {"pair": pair})
        )
    return out


def play(job: Job, config: EvalConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    pair = job.params["pair"]
    guidance = "soft" if job.variant == "baseline" else "none"
    assert job.model is not None
    result, record = play_negotiation(scenario(pair, guidance), job.model, job.seed, config.rounds)
    result["pair"] = pair
    return result, record


def summarize(lines: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any]:
    pairs: dict[str, Any] = {}
    for pair in config.get("pairs", []):
        mine = [ln for ln in lines if ln["params"].get("pair") == pair]
        llm = [ln["result"] for ln in mine if ln["variant"] == "llm"]
        base = [ln["result"] for ln in mine if ln["variant"] == "baseline"]
        decisions = [v for r in llm for v in r["final"].values()]
        pairs[pair] = {
            "games": len(llm),
            "decisions": stats(decisions),
            "cost": stats(r["final"].get("cost") for r in llm),
            "qos": stats(r["final"].get("qos") for r in llm),
            "agreement_rate": (sum(r["agreed"] for r in llm) / len(llm)) if llm else None,
            "errors": sum(r["status"] == "error" for r in llm),
            "time_s": stats(r["wall_s"] for r in llm),
            "rounds": stats(r["rounds"] for r in llm),
            "baseline": stats(v for r in base for v in r["final"].values()),
            "paper": PAPER.get(pair),
        }
    return {"pairs": pairs, "rounds_cap": config.get("rounds") or ROUNDS}


def markdown(summary: dict[str, Any]) -> str:
    model = summary["config"].get("model")
    rows = []
    for pair, s in summary["pairs"].items():
        paper = s.get("paper") or {}
        pm = paper.get("mean")
        paper_mean = "no agreement" if pair in PAPER and pm is None else fmt(pm)
        if paper.get("range"):
            paper_mean = "{}–{}".format(*(f"{v:g}" for v in paper["range"]))
        rows.append(
            [
                pair,
                s["games"],
                s["decisions"]["mean"],
                s["decisions"]["sd"],
                fmt(s["agreement_rate"], 2),
                s["time_s"]["mean"],
                s["errors"],
                s["baseline"]["mean"],
                paper_mean,
                paper.get("time_s", "—"),
            ]
        )
    head = [
        "pair (cost-QoS)",
        "games",
        "mean Mbps",
        "sd",
        "agreement rate",
        "mean time s",
        "errors",
        "optimizer-only Mbps",
        "paper mean",
        "paper time s",
    ]
    return (
        f"# Personality suite (Fig. 3a)\n\nModel `{model}`, at most {summary['rounds_cap']} "
        "rounds; each game's final decision of both agents, agreed or not. The paper's "
        "figures are GPT-4o's.\n\n" + table(head, rows) + skipped_note(summary)
    )


def plot(summary: dict[str, Any], lines: list[dict[str, Any]], folder: Path) -> list[str]:
    from maestro.evals.plots import pyplot, save

    plt = pyplot()
    pairs = list(summary["pairs"])
    data = [
        [
            v
            for ln in lines
            if ln["variant"] == "llm" and ln["params"].get("pair") == pair
            for v in ln["result"]["final"].values()
        ]
        for pair in pairs
    ]
    fig, ax = plt.subplots(figsize=(1.1 * max(len(pairs), 4) + 2, 4))
    positions = list(range(1, len(pairs) + 1))
    if any(data):
        ax.boxplot([d or [float("nan")] for d in data], positions=positions, widths=0.5)
    for x, values in zip(positions, data, strict=True):
        jitter = [x + 0.12 * ((i % 5) - 2) / 2 for i in range(len(values))]
        ax.scatter(jitter, values, s=10, alpha=0.5, color="tab:blue")
    for x, pair in zip(positions, pairs, strict=True):
        paper = PAPER.get(pair) or {}
        if paper.get("range"):
            ax.vlines(x + 0.3, *paper["range"], color="tab:red", lw=3)
        elif paper.get("mean") is not None:
            ax.scatter([x + 0.3], [paper["mean"]], marker="D", color="tab:red", zorder=3)
        elif pair in PAPER:
            ax.annotate(
                "paper: no\nagreement",
                (x + 0.05, 0.02),
                xycoords=("data", "axes fraction"),
                color="tab:red",
                fontsize=7,
            )
    ax.scatter([], [], marker="D", color="tab:red", label="paper mean (GPT-4o)")
    ax.axhline(50, ls=":", color="grey", label="fair middle 50 Mbps")
    ax.set_xticks(positions, pairs)
    ax.set_xlabel("personality pair (cost agent - QoS agent)")
    ax.set_ylabel("final throughput decision (Mbps)")
    ax.set_title(f"Personality pairs, model {summary['config'].get('model')}")
    ax.legend(loc="upper left", fontsize=8)
    return [save(fig, folder, "personality.png")]
