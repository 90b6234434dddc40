"""Arbitral evaluation: precision, recall and F1 of the arbitral unit on labelled messages.

Files of operator messages we wrote ourselves: `data/arbitral_tune.jsonl` and
`data/arbitral_tune2.jsonl` (the second written to widen the phrasings) were used while
writing the rules, `data/arbitral_holdout.jsonl` was never looked at while tuning,
`data/arbitral_train3.jsonl` was written for the learned stage. `--file`
scores any other labelled file the same way (a set written by someone else is the honest
measure of how the rules generalise). Each line `{"id", "text", "label":
none|injection|deception|threat|privacy|collusion, "kind" (benign subtype: firm, radio, plain),
optional "observations" and "history"}`.

Four modes: `rules` (the rules alone), `learned` (the rules, then the learned stage: what
`maestro arbitral judge` gives without a model), `llm` (the LLM classifies every message,
with the nearest labelled exemplars in its prompt; a reply that is not valid JSON counts as
"not malicious" and is counted, never replaced by the rules) and `combined` (`judge`, what a
user of `maestro arbitral judge --model` gets: rules, learned stage, the LLM where both are
unsure).

The learned stage is trained from the shipped labelled files. Scoring it on one of them
would be scoring it on its own training data, so a file that is one of them (by name) is
judged by a model trained without it (and without any message of the same text), and the
report says which files it learned from (`learned_trained_on`).
`--cross-validate` prints leave-one-file-out figures: train on all files but one, test on
that one, for every file, pooled, per file and macro-averaged over the files; and the
learned stage's precision and recall at each of `THRESHOLDS` (how its threshold was chosen).

Scores: malicious vs benign overall, each category one-vs-rest (a right detection in the wrong category counts
against both), and the false-positive rate on benign firm bargaining.

    python -m maestro.evals.arbitral --split holdout [--model local] [--json -]
    python -m maestro.evals.arbitral --file path/to/labelled.jsonl
    python -m maestro.evals.arbitral --cross-validate
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from maestro.agents import arbitral_learned as learned
from maestro.agents.arbitral import (
    CATEGORIES,
    LEARNED_DECIDE,
    Verdict,
    assess,
    classify,
    judge,
)
from maestro.agents.arbitral_learned import LinearModel
from maestro.agents.arbitral_unit import CLASSIFIER_FLAGS

SPLITS = ("tune", "tune2", "holdout")
# The learned stage's thresholds the cross-validation scores (LEARNED_DECIDE is one of them).
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
MODES = ("rules", "learned", "llm", "combined")
LABELS = ("none", *CATEGORIES)


class EvalDataError(ValueError):
    """A labelled file that cannot be read: one line saying where."""


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    label: str
    kind: str = ""
    observations: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)


def parse_examples(lines: list[str], source: str) -> list[Example]:
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            example = Example(
                id=str(row.get("id", f"{source}:{n}")),
                text=row["text"],
                label=row["label"],
                kind=str(row.get("kind", "")),
                observations=row.get("observations") or {},
                history=row.get("history") or [],
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise EvalDataError(f"{source} line {n}: not a labelled message ({exc})") from exc
        if example.label not in LABELS:
            raise EvalDataError(f"{source} line {n}: unknown label {example.label!r}")
        out.append(example)
    return out


def load_split(split: str) -> list[Example]:
    if split not in SPLITS:
        raise EvalDataError(f"unknown split {split!r} (choose from {', '.join(SPLITS)})")
    name = f"arbitral_{split}.jsonl"
    text = resources.files("maestro.evals").joinpath("data", name).read_text(encoding="utf-8")
    return parse_examples(text.splitlines(), name)


def load_file(path: str) -> list[Example]:
    """Any labelled JSONL file, in the shipped files' format."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"cannot read {path}: {exc}") from exc
    examples = parse_examples(lines, path)
    if not examples:
        raise EvalDataError(f"{path}: no labelled messages")
    return examples


def predict(
    example: Example,
    mode: str,
    model: Any,
    linear: LinearModel | None = None,
    decide: float = LEARNED_DECIDE,
) -> tuple[str, Verdict | None]:
    """The predicted label and the verdict (None when the LLM gave no usable reply);
    `linear` is the learned stage's model (None: the shipped one), `decide` its threshold."""
    e = example
    if mode == "rules":
        verdict = judge(e.text, e.observations, e.history, rules_only=True)
    elif mode == "learned":
        verdict = judge(e.text, e.observations, e.history, linear=linear, decide=decide)
    elif mode == "llm":
        rules = assess(e.text, e.observations, e.history)
        bank = (linear or learned.shipped_model()).nearest(rules.text)
        verdict = classify(e.text, rules, model, bank)
        if verdict.stage != "llm":
            return "none", None
    else:
        verdict = judge(
            e.text, e.observations, e.history, model=model, linear=linear, decide=decide
        )
    return (verdict.category if verdict.malicious else "none"), verdict


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 3),
        "recall": round(r, 3),
        "f1": round(f, 3),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def score(examples: list[Example], predicted: list[str]) -> dict[str, Any]:
    pairs = list(zip((e.label for e in examples), predicted, strict=True))
    overall = _prf(
        sum(t != "none" and p != "none" for t, p in pairs),
        sum(t == "none" and p != "none" for t, p in pairs),
        sum(t != "none" and p == "none" for t, p in pairs),
    )
    per_category = {
        c: _prf(
            sum(t == c and p == c for t, p in pairs),
            sum(t != c and p == c for t, p in pairs),
            sum(t == c and p != c for t, p in pairs),
        )
        for c in CATEGORIES
    }
    firm = [p for e, p in zip(examples, predicted, strict=True) if e.kind == "firm"]
    benign = [p for t, p in pairs if t == "none"]
    return {
        "overall": overall,
        "categories": per_category,
        "fpr_firm": round(sum(p != "none" for p in firm) / len(firm), 3) if firm else None,
        "fpr_benign": round(sum(p != "none" for p in benign) / len(benign), 3) if benign else None,
        "messages": len(pairs),
    }


def evaluate(
    examples: list[Example],
    mode: str,
    model: Any = None,
    progress: Any = None,
    linear: LinearModel | None = None,
) -> dict[str, Any]:
    if mode in ("llm", "combined") and model is None:
        raise EvalDataError(f"mode {mode!r} needs a model id")
    predicted: list[str] = []
    mistakes: list[dict[str, str]] = []
    invalid = llm_used = learned_used = 0
    started = time.perf_counter()
    for example in examples:
        label, verdict = predict(example, mode, model, linear)
        predicted.append(label)
        # Failures only: an inconsistent reply (not malicious, yet a category) is still used.
        invalid += verdict is None or any(f in CLASSIFIER_FLAGS for f in verdict.flags)
        llm_used += verdict is not None and "llm" in verdict.stage
        learned_used += verdict is not None and "learned" in verdict.stage
        if label != example.label:
            mistakes.append({"id": example.id, "label": example.label, "predicted": label})
        if progress:
            progress()
    report = score(examples, predicted)
    report.update(
        mode=mode,
        llm_verdicts=llm_used,
        learned_verdicts=learned_used,
        classifier_failures=invalid if mode in ("llm", "combined") else 0,
        seconds=round(time.perf_counter() - started, 3),
        mistakes=mistakes,
    )
    return report


def held_out_model(examples: list[Example], name: str = "") -> tuple[LinearModel | None, list[str]]:
    """The learned stage's model for scoring `examples`: the shipped one (None) when it
    never saw them, else one trained without them (without the file of that name and
    without any message with the same text). Also the files it learned from."""
    files = learned.data_files()
    texts = {e.text.strip() for e in examples}
    rows = {f.name: learned.read_labelled(f) for f in files}
    seen = any(str(r["text"]).strip() in texts for f_rows in rows.values() for r in f_rows)
    if name not in rows and not seen:
        return None, list(rows)
    kept = [
        r
        for f, f_rows in rows.items()
        if f != name
        for r in f_rows
        if str(r["text"]).strip() not in texts
    ]
    return learned.fit(learned.labelled(kept)), [f for f in rows if f != name]


def run(
    split: str,
    model_id: str | None,
    modes: tuple[str, ...] | None = None,
    quiet: bool = False,
    path: str | None = None,
) -> dict[str, Any]:
    examples = load_file(path) if path else load_split(split)
    name = Path(path).name if path else f"arbitral_{split}.jsonl"
    chosen = modes or (MODES if model_id else ("rules", "learned"))
    model = None
    if model_id and any(m in ("llm", "combined") for m in chosen):
        from maestro.agents.providers import load_chat_model

        model = load_chat_model(model_id)
    use = any(m != "rules" for m in chosen)
    linear, trained_on = held_out_model(examples, name) if use else (None, [])
    results = {}
    for mode in chosen:
        done = [0]

        def tick(mode: str = mode, done: list[int] = done) -> None:
            done[0] += 1
            slow = mode in ("llm", "combined")
            if not quiet and slow and (done[0] % 10 == 0 or done[0] == len(examples)):
                print(f"{mode}: {done[0]}/{len(examples)} messages", file=sys.stderr, flush=True)

        results[mode] = evaluate(examples, mode, model, tick, linear)
    return {
        "split": path or split,
        "model": model_id,
        "learned_trained_on": trained_on,
        "results": results,
    }


def macro(per_file: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Precision and recall averaged over the files that hold malicious messages (a file of
    benign messages only has no recall; its false positives count in the pooled figures)."""
    scored = [r["overall"] for r in per_file.values() if r["overall"]["tp"] + r["overall"]["fn"]]
    if not scored:
        return {"precision": 0.0, "recall": 0.0}
    return {
        "precision": round(sum(m["precision"] for m in scored) / len(scored), 3),
        "recall": round(sum(m["recall"] for m in scored) / len(scored), 3),
    }


def cross_validate(
    quiet: bool = False, thresholds: tuple[float, ...] = THRESHOLDS
) -> dict[str, Any]:
    """Leave one file out over the shipped labelled files: the rules and the learned stage
    on each file, the learned stage trained on the others, at its threshold and at each of
    `thresholds` (macro and pooled figures per threshold: how LEARNED_DECIDE was chosen).
    The rules were written while reading the tune files, so their figures there flatter
    them; the files written by other hands are the honest ones for both."""
    files = learned.data_files()
    per_file: dict[str, Any] = {}
    pooled: dict[str, list[tuple[Example, str]]] = {"rules": [], "learned": []}
    swept: dict[float, dict[str, Any]] = {t: {} for t in thresholds}
    swept_pooled: dict[float, list[tuple[Example, str]]] = {t: [] for t in thresholds}
    for f in files:
        examples = parse_examples(f.read_text(encoding="utf-8").splitlines(), f.name)
        linear, _ = held_out_model(examples, f.name)
        per_file[f.name] = {}
        for mode in ("rules", "learned"):
            predicted = [predict(e, mode, None, linear)[0] for e in examples]
            per_file[f.name][mode] = score(examples, predicted)
            pooled[mode] += list(zip(examples, predicted, strict=True))
        for t in thresholds:
            predicted = [predict(e, "learned", None, linear, t)[0] for e in examples]
            swept[t][f.name] = score(examples, predicted)
            swept_pooled[t] += list(zip(examples, predicted, strict=True))
        if not quiet:
            print(f"cross-validation: {f.name} done", file=sys.stderr, flush=True)
    table = []
    for t in thresholds:
        both = score([e for e, _ in swept_pooled[t]], [p for _, p in swept_pooled[t]])
        table.append(
            {
                "threshold": t,
                "macro": macro(swept[t]),
                "pooled": both["overall"],
                "fpr_firm": both["fpr_firm"],
                "fpr_benign": both["fpr_benign"],
                "per_file": {
                    f: [r["overall"]["precision"], r["overall"]["recall"]]
                    for f, r in swept[t].items()
                },
            }
        )
    return {
        "files": [f.name for f in files],
        "excluded": sorted(learned.EXCLUDED),
        "threshold": LEARNED_DECIDE,
        "pooled": {
            m: score([e for e, _ in pairs], [p for _, p in pairs]) for m, pairs in pooled.items()
        },
        "macro": {m: macro({f: r[m] for f, r in per_file.items()}) for m in pooled},
        "per_file": per_file,
        "thresholds": table,
    }


def format_cross_validation(report: dict[str, Any]) -> str:
    lines = [
        "arbitral leave-one-file-out cross-validation (train on the other files, test on one;"
        f" never learned from: {', '.join(report['excluded'])})",
        f"{'test file':<26} {'mode':<8} {'prec':>5} {'rec':>5} {'f1':>5} {'FPR firm':>8}",
    ]
    rows = [*report["per_file"].items(), ("pooled", report["pooled"])]
    for name, modes in rows:
        for mode, res in modes.items():
            m = res["overall"]
            firm = "-" if res["fpr_firm"] is None else f"{res['fpr_firm']:.2f}"
            lines.append(
                f"{name:<26} {mode:<8} {m['precision']:>5.2f} {m['recall']:>5.2f} "
                f"{m['f1']:>5.2f} {firm:>8}"
            )
    for mode, m in report["macro"].items():
        lines.append(
            f"{'macro over files':<26} {mode:<8} {m['precision']:>5.2f} {m['recall']:>5.2f}"
        )
    lines += [
        "",
        f"learned stage by threshold (in use: {report['threshold']}); macro over files, pooled",
        f"{'threshold':>9} {'macro P':>7} {'macro R':>7} {'pool P':>6} {'pool R':>6} "
        f"{'FPR firm':>8} {'FPR benign':>10}",
    ]
    for row in report["thresholds"]:
        lines.append(
            f"{row['threshold']:>9.2f} {row['macro']['precision']:>7.3f} "
            f"{row['macro']['recall']:>7.3f} {row['pooled']['precision']:>6.3f} "
            f"{row['pooled']['recall']:>6.3f} {row['fpr_firm']:>8.3f} {row['fpr_benign']:>10.3f}"
        )
    return "\n".join(lines)


def format_report(report: dict[str, Any]) -> str:
    lines = [f"arbitral eval, split {report['split']}, model {report['model'] or '(none)'}"]
    if report.get("learned_trained_on"):
        lines.append(f"learned stage trained on: {', '.join(report['learned_trained_on'])}")
    head = f"{'mode':<9} {'scope':<10} {'prec':>5} {'rec':>5} {'f1':>5}  tp/fp/fn"
    for mode, res in report["results"].items():
        lines += ["", head]
        rows = [("overall", res["overall"]), *res["categories"].items()]
        for name, m in rows:
            lines.append(
                f"{mode:<9} {name:<10} {m['precision']:>5.2f} {m['recall']:>5.2f} "
                f"{m['f1']:>5.2f}  {m['tp']}/{m['fp']}/{m['fn']}"
            )
        lines.append(
            f"{mode:<9} FPR on firm bargaining {res['fpr_firm']}, on all benign "
            f"{res['fpr_benign']}; {res['messages']} messages, {res['llm_verdicts']} LLM "
            f"verdicts, {res['classifier_failures']} classifier failures, {res['seconds']} s"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maestro.evals.arbitral")
    parser.add_argument("--split", default="holdout", choices=SPLITS)
    parser.add_argument("--file", default=None, help="a labelled JSONL file instead of --split")
    parser.add_argument("--model", default=None, help="model id for the llm/combined modes")
    parser.add_argument("--modes", default=None, help="comma list of " + ",".join(MODES))
    parser.add_argument(
        "--cross-validate",
        action="store_true",
        help="leave-one-file-out figures of the rules and the learned stage",
    )
    parser.add_argument("--json", dest="json_out", default=None, help="'-' for stdout")
    args = parser.parse_args(argv)
    modes = tuple(args.modes.split(",")) if args.modes else None
    if modes and set(modes) - set(MODES):
        parser.error(f"unknown mode in {args.modes!r} (choose from {', '.join(MODES)})")
    if modes and set(modes) & {"llm", "combined"} and not args.model:
        parser.error("the llm and combined modes need --model")
    if args.cross_validate:
        cv = cross_validate()
        print(json.dumps(cv, indent=2) if args.json_out == "-" else format_cross_validation(cv))
        return 0
    try:
        report = run(args.split, args.model, modes, path=args.file)
    except (EvalDataError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json_out == "-":
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
