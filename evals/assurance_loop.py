"""The assurance loop measured: Table IV regenerated, and the formalisation's exact-match rate.

    python -m maestro.evals.assurance_loop loop --model local --trials 3
    python -m maestro.evals.assurance_loop formalise --model local

``loop`` runs the paper's use case (the Netflow collectors of Domain West) ``--trials``
times with collector2 killed at period 2 and reports, per phase, the policies executed and
generated, how many the validation sent back, LLM time, execution time and their total,
beside the paper's 12 policies / 23 s / 393 s (about 7 min) for fulfilment and 4 / 25 s /
89 s (about 1.5 min) for assurance. A trial that does not end ``assured`` counts as such
in ``outcomes``; its times are still shown, never dropped.

``formalise`` reads the labelled intents (``evals/data/intents.yaml``, 34 of them) and
scores, per model id, the intent type and the KPI vector (names, conditions and values in
canonical units) as exact matches. A reply the stage could not get right counts as a miss.

Both write ``summary.json`` and ``summary.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["formalisation_eval", "load_labelled", "loop_eval", "main"]

PAPER_MINUTES = {"fulfil": 7.0, "assure": 1.5}


def load_labelled(path: str | Path | None = None) -> list[dict[str, Any]]:
    if path is None:
        text = resources.files("maestro.evals").joinpath("data/intents.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    items: list[dict[str, Any]] = yaml.safe_load(text)["intents"]
    return items


def _kpi_key(kpis: list[dict[str, Any]]) -> list[tuple[str, str, tuple[float, ...]]]:
    return sorted(
        (k["name"], k["condition"], tuple(round(float(v), 9) for v in k["value"])) for k in kpis
    )


def _model(model_id: str) -> Any:
    from maestro.agents.assurance_scripts import scripted_models
    from maestro.agents.model_pool import ModelPool

    pool = ModelPool(models=scripted_models())
    return pool.get(pool.check(model_id))


def formalisation_eval(model_id: str, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from maestro.agents.assurance import StageFailed, make_formalizer
    from maestro.tools.intent import KpiTargetSpec

    items = items if items is not None else load_labelled()
    formalize = make_formalizer(_model(model_id))
    rows = []
    for i, item in enumerate(items):
        want = _kpi_key([KpiTargetSpec.model_validate(k).model_dump() for k in item["kpis"]])
        started = time.perf_counter()
        try:
            result = formalize(item["text"])
            got_intent = result.reply
            got = _kpi_key([k.model_dump() for k in got_intent.kpis])
            kind, calls, error = got_intent.intent_type, result.calls, None
        except StageFailed as exc:
            got, kind, calls, error = [], None, exc.calls, str(exc)
        rows.append(
            {
                "index": i,
                "text": item["text"],
                "in_prompt": bool(item.get("in_prompt")),
                "kpis_match": got == want,
                "type_match": kind == item["intent_type"],
                "calls": calls,
                "error": error,
                "expected": [list(k) for k in want],
                "got": [list(k) for k in got],
                "seconds": round(time.perf_counter() - started, 4),
            }
        )
    n = len(rows)
    held = [r for r in rows if not r["in_prompt"]]
    return {
        "model": model_id,
        "intents": n,
        "kpi_exact_match": sum(r["kpis_match"] for r in rows) / n if n else 0.0,
        "type_accuracy": sum(r["type_match"] for r in rows) / n if n else 0.0,
        "both_match": sum(r["kpis_match"] and r["type_match"] for r in rows) / n if n else 0.0,
        "held_out": len(held),
        "kpi_exact_match_held_out": (
            sum(r["kpis_match"] for r in held) / len(held) if held else None
        ),
        "failed_stage": sum(r["error"] is not None for r in rows),
        "rows": rows,
    }


def loop_eval(
    model_id: str, trials: int = 1, periods: int = 6, period_s: float = 0.5
) -> dict[str, Any]:
    from maestro.graphs.assurance import AssureSettings
    from maestro.graphs.assurance_run import PAPER_TABLE_IV, run_assurance
    from maestro.graphs.executor import InProcessExecutor
    from maestro.tools.intent import load_intent

    # the use case is the paper's intent, in its formal shape
    intent = load_intent(
        {
            "id": "netflow-west",
            "name": "Netflow collectors West",
            "intent_type": "create_resource",
            "text": load_labelled()[0]["text"],
            "object_type": "collector",
            "contexts": {"Domain": "West"},
            "formal": {
                "Domain": "West",
                "Task": "Create collectors",
                "Data Type": "Netflow",
                "Availability": "99.99%",
            },
            "kpis": [
                {
                    "name": "availability",
                    "condition": "IS_EQUAL_TO_OR_GREATER_THAN",
                    "value": ["99.99%"],
                }
            ],
        }
    )
    model = _model(model_id)
    records = []
    for t in range(trials):
        ex = InProcessExecutor()

        def on_period(p: int, ex: InProcessExecutor = ex) -> None:
            if p == 2:
                ex.kill("collector2")

        try:
            rec = run_assurance(
                intent,
                model,
                model_id,
                ex,
                thread_id=f"trial-{t}",
                on_period=on_period,
                settings=AssureSettings(
                    periods=periods, period_s=period_s, stop_when_recovered=True
                ),
            )
        finally:
            ex.close()
        records.append(rec)
    table: dict[str, Any] = {}
    for phase in ("fulfil", "assure"):
        cols = [r["table_iv"][phase] for r in records]
        table[phase] = {
            k: statistics.fmean(float(c[k]) for c in cols)
            for k in ("policies", "generated", "llm_calls", "llm_s", "exec_s", "total_s")
        }
        table[phase]["paper"] = PAPER_TABLE_IV[phase]
        table[phase]["paper_minutes"] = PAPER_MINUTES[phase]
    outcomes: dict[str, int] = {}
    for r in records:
        outcomes[r["status"]] = outcomes.get(r["status"], 0) + 1
    return {
        "model": model_id,
        "trials": trials,
        "table_iv": table,
        "outcomes": outcomes,
        "corrected": [r["corrected"] for r in records],
        "reasons": [r["reason"] for r in records if r["reason"]],
    }


def _md_loop(s: dict[str, Any]) -> str:
    lines = [
        f"# Assurance loop, model {s['model']}, {s['trials']} trial(s)",
        "",
        "| | fulfilment | paper | assurance | paper |",
        "|---|---|---|---|---|",
    ]
    f, a = s["table_iv"]["fulfil"], s["table_iv"]["assure"]
    for key, label in (
        ("policies", "policies executed"),
        ("generated", "policies generated"),
        ("llm_s", "LLM time (s)"),
        ("exec_s", "execution time (s)"),
        ("total_s", "total (s)"),
    ):
        pf, pa = f["paper"].get(key, "–"), a["paper"].get(key, "–")
        lines.append(f"| {label} | {f[key]:.4g} | {pf} | {a[key]:.4g} | {pa} |")
    lines += [
        "",
        f"paper totals: about {PAPER_MINUTES['fulfil']:g} min and {PAPER_MINUTES['assure']:g} min",
        f"corrected by validation: {s['corrected']}",
        f"outcomes: {s['outcomes']}",
    ]
    return "\n".join(lines) + "\n"


def _md_formal(s: dict[str, Any]) -> str:
    misses = [r for r in s["rows"] if not (r["kpis_match"] and r["type_match"])]
    lines = [
        f"# Formalisation, model {s['model']}: {s['intents']} labelled intents",
        "",
        f"- KPI vector exact match: {s['kpi_exact_match']:.1%}",
        "- on the held-out intents (not few-shot examples): "
        + (
            "n/a"
            if s["kpi_exact_match_held_out"] is None
            else f"{s['kpi_exact_match_held_out']:.1%} of {s['held_out']}"
        ),
        f"- intent type accuracy: {s['type_accuracy']:.1%}",
        f"- both: {s['both_match']:.1%}",
        f"- stage failures: {s['failed_stage']}",
        "",
        "Misses:",
    ]
    lines += [
        f"- {r['text']}: expected {r['expected']}, got {r['got']}"
        + (f" ({r['error']})" if r["error"] else "")
        for r in misses
    ] or ["- none"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m maestro.evals.assurance_loop", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="what", required=True)
    lp = sub.add_parser("loop", help="Table IV on the paper's use case")
    lp.add_argument("--trials", type=int, default=1)
    lp.add_argument("--periods", type=int, default=6)
    lp.add_argument("--period", type=float, default=0.5)
    fp = sub.add_parser("formalise", help="exact-match rate on the labelled intents")
    fp.add_argument("--data", default=None, help="labelled intents YAML (default: packaged)")
    for p in (lp, fp):
        p.add_argument("--model", default="local")
        p.add_argument("--out", default=None, help="folder for summary.json and summary.md")
    args = parser.parse_args(argv)
    try:
        if args.what == "loop":
            if args.trials < 1:
                parser.error("--trials must be at least 1")
            summary = loop_eval(args.model, args.trials, args.periods, args.period)
            md = _md_loop(summary)
        else:
            summary = formalisation_eval(args.model, load_labelled(args.data))
            md = _md_formal(summary)
    except (ValueError, OSError) as exc:  # unknown model id, unreadable data: one line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(md)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        (out / "summary.md").write_text(md, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
