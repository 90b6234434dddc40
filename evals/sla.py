"""SLA suite (MAESTRO Fig. 5): the full framework over time on a CQI trace.

The timeline is a file (`examples/sla-fig5.yaml`), not code: the trace (a real Raca et al.
drive shipped in `evals/data/raca-5g`, or the synthetic generator), the operators at the
start, and events at given times that change intents, personalities or the channel. A
negotiation runs at every event and whenever the cell's capacity has moved by more than
`capacity_change` since the last one. A negotiation the network voids (the cell cannot
carry an operator's minimum) switches the cell off; one that agrees on 0 does too. The
cell enforces min(agreement, capacity) until the next negotiation.

Which negotiations run depends only on the trace and the timeline, so the games are known
in advance: each is one line, resumable and parallel like the other suites.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from maestro.evals.config import BASELINE_MODEL, EvalConfig, EvalError
from maestro.evals.games import play_negotiation
from maestro.evals.report import fmt, skipped_note, table
from maestro.evals.runner import Job

DATA = Path(__file__).resolve().parent / "data"
# The default timeline ships as package data; examples/sla-fig5.yaml is the same file.
DEFAULT_TIMELINE = DATA / "sla-fig5.yaml"
PAPER: list[dict[str, Any]] = [
    {"at": 0, "consensus": 51.0, "note": "high CQI; QoS and cost balance"},
    {"at": 200, "consensus": 13.0, "note": "conditions worsen; a toxic operator is warned"},
    {"at": 300, "consensus": "off", "note": "all agree to switch the cell off"},
    {"at": 400, "consensus": 55.0, "note": "conditions recover; arbitration helps"},
]
ARBITRAL_FLAGS = ("suspicious_reasoning", "trust_penalty", "operator_excluded")


class Synthetic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int = 0
    mean_cqi: float = Field(12.0, ge=0, le=15)
    speed_kmh: float = Field(30.0, gt=0, le=500)
    outages_per_hour: float = Field(0.0, ge=0)


class TraceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str | None = None  # relative to the timeline file, else to evals/data
    synthetic: Synthetic | None = None
    start_s: int = Field(0, ge=0)


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: int = Field(ge=0)
    note: str = Field("", max_length=300)
    cqi_shift: int | None = Field(None, ge=-15, le=15)  # channel offset from here on
    operators: dict[str, dict[str, Any]] = Field(default_factory=dict)  # field changes
    mediator: dict[str, Any] = Field(default_factory=dict)


class Timeline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    trace: TraceSpec
    duration_s: int = Field(gt=0, le=24 * 3600)
    sample_s: int = Field(5, gt=0)
    window_s: int = Field(10, gt=0)
    capacity_change: float = Field(0.5, gt=0)
    min_gap_s: int = Field(60, ge=0)
    rounds: int = Field(5, ge=1, le=100)
    topic: dict[str, Any]
    network: dict[str, Any] = Field(default_factory=dict)
    operators: list[dict[str, Any]] = Field(min_length=1)
    mediator: dict[str, Any] = Field(default_factory=dict)
    events: list[Event] = Field(min_length=1)


def load_timeline(path: str | Path | None) -> dict[str, Any]:
    """Read and check a timeline file; the result (with the trace's checksum) is what the
    run's configuration hash covers. Every mistake is one EvalError line."""
    source = Path(path) if path else DEFAULT_TIMELINE
    if not source.is_file():
        raise EvalError(f"timeline file not found: {source}")
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EvalError(f"{source}: not a readable YAML timeline ({first})") from None
    try:
        timeline = Timeline.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise EvalError(f"{source}: {where}: {err['msg']}") from None
    out = timeline.model_dump(mode="json")
    ids = {op.get("id") for op in timeline.operators}
    for i, event in enumerate(timeline.events):
        unknown = set(event.operators) - ids
        if unknown:
            raise EvalError(
                f"{source}: events.{i}.operators: unknown operator {sorted(unknown)[0]!r}"
            )
        if event.at >= timeline.duration_s:
            raise EvalError(f"{source}: events.{i}.at: {event.at} is not before duration_s")
    spec = timeline.trace
    if (spec.file is None) == (spec.synthetic is None):
        raise EvalError(f"{source}: trace: give either file or synthetic")
    if spec.file is not None:
        found = _find_trace(spec.file, source.parent)
        out["trace"]["path"] = str(found)
        out["trace"]["sha256"] = hashlib.sha256(found.read_bytes()).hexdigest()[:16]
    out["source"] = str(source)
    _check_scenarios(out, source)
    return out


def _find_trace(name: str, base: Path) -> Path:
    for folder in (base, DATA):
        candidate = (folder / name).resolve()
        if candidate.is_file():
            return candidate
    raise EvalError(
        f"trace {name!r} not found next to the timeline ({base}) nor in {DATA}; give a path"
    )


def cqi_series(timeline: dict[str, Any]) -> np.ndarray:
    """The channel's CQI per second over the timeline, before the events' shifts."""
    spec = timeline["trace"]
    duration = int(timeline["duration_s"])
    if spec.get("synthetic"):
        from maestro.tools.ran.mobility import synthetic_trace

        s = spec["synthetic"]
        trace = synthetic_trace(
            int(s["seed"]),
            duration + int(spec["start_s"]),
            float(s["mean_cqi"]),
            float(s["speed_kmh"]),
            outages_per_hour=float(s["outages_per_hour"]),
        )
    else:
        from maestro.tools.ran.traces import load_raca_trace

        trace = load_raca_trace(spec["path"])
    start = int(spec["start_s"])
    return np.array([trace.at(start + t)[0] for t in range(duration)], dtype=int)


def channel(timeline: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """CQI per second with the events' shifts applied, and the cell's capacity (Mbps)."""
    from maestro.graphs.scenario import NetworkSpec
    from maestro.tools.ran.cell import throughput_mbps

    cqi = cqi_series(timeline).copy()
    shift = 0
    events = sorted(timeline["events"], key=lambda e: e["at"])
    for t in range(len(cqi)):
        for e in events:
            if e["at"] == t and e.get("cqi_shift") is not None:
                shift = int(e["cqi_shift"])
        cqi[t] = int(np.clip(cqi[t] + shift, 0, 15))
    cell = NetworkSpec.model_validate(_network(timeline, 15)).cell()
    capacity = np.array([throughput_mbps(cell, int(c)) for c in cqi])
    return cqi, capacity


def _network(timeline: dict[str, Any], cqi: int) -> dict[str, Any]:
    return {"bandwidth_mhz": 40, "scs_khz": 30, **timeline.get("network", {}), "cqi": cqi}


def negotiation_times(timeline: dict[str, Any]) -> list[dict[str, Any]]:
    """When negotiations run: at every event, and when the capacity moves enough."""
    cqi, capacity = channel(timeline)
    window, step = int(timeline["window_s"]), int(timeline["sample_s"])
    events = {int(e["at"]) for e in timeline["events"]}
    out: list[dict[str, Any]] = []
    last_cap, last_t = None, -(10**9)
    for t in range(len(cqi)):
        mean_cqi = int(round(float(cqi[t : t + window].mean())))
        cap = float(capacity[t : t + window].mean())
        trigger = None
        if t in events:
            trigger = "event"
        elif t % step == 0 and last_cap is not None and t - last_t >= timeline["min_gap_s"]:
            moved = abs(cap - last_cap) / max(last_cap, 1.0)
            if moved > timeline["capacity_change"]:
                trigger = "capacity"
        if trigger:
            out.append({"at": t, "trigger": trigger, "cqi": mean_cqi, "capacity": cap})
            last_cap, last_t = cap, t
    return out


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = out[key] | value
        else:
            out[key] = value
    return out


def scenario_at(
    timeline: dict[str, Any], t: int, cqi: int, guidance: str | None = None
) -> dict[str, Any]:
    """The negotiation scenario at time t: the start, every event up to t, the CQI now."""
    operators = {op["id"]: copy.deepcopy(op) for op in timeline["operators"]}
    mediator = copy.deepcopy(timeline.get("mediator") or {})
    for event in sorted(timeline["events"], key=lambda e: e["at"]):
        if event["at"] > t:
            break
        for op_id, change in event.get("operators", {}).items():
            operators[op_id] = _merge(operators[op_id], change)
        mediator = _merge(mediator, event.get("mediator") or {})
    if guidance is not None:
        for op in operators.values():
            op["guidance"] = guidance
        mediator["guidance"] = guidance
    return {
        "version": 1,
        "name": f"{timeline['name']}-t{t}",
        "topic": timeline["topic"],
        "operators": list(operators.values()),
        "mediator": mediator,
        "network": _network(timeline, cqi),
        "rounds": timeline["rounds"],
        "epsilon": 1.0,
    }


def _check_scenarios(timeline: dict[str, Any], source: Path) -> None:
    """Every scenario the timeline makes must validate: found now, not an hour into a run."""
    from maestro.graphs.scenario import scenario_from_dict

    for e in timeline["events"]:
        try:
            scenario_from_dict(scenario_at(timeline, int(e["at"]), 15), f"{source} at {e['at']} s")
        except ValueError as exc:
            raise EvalError(str(exc)) from None


def jobs(config: EvalConfig) -> list[Job]:
    points = negotiation_times(config.timeline)
    out: list[Job] = []
    for rep in range(config.n_games):
        for k, point in enumerate(points):
            index = rep * len(points) + k
            params = {"rep": rep, **point}
            out.append(
                Job(
                    f"llm/{rep}/{point['at']}",
                    index,
                    "llm",
                    config.seed + rep,
                    config.model,
                    params,
                )
            )
        for k, point in enumerate(points if rep == 0 else []):
            out.append(
                Job(
                    f"baseline/{point['at']}",
                    k,
                    "baseline",
                    config.seed,
                    BASELINE_MODEL,
                    {"rep": 0, **point},
                )
            )
    return out


def play(job: Job, config: EvalConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    p = job.params
    guidance = "soft" if job.variant == "baseline" else None
    sc = scenario_at(config.timeline, int(p["at"]), int(p["cqi"]), guidance)
    assert job.model is not None
    result, record = play_negotiation(sc, job.model, job.seed, config.rounds)
    off = result["status"] == "halted" or (result["agreed"] and (result["consensus"] or 0) <= 0)
    result.update(at=p["at"], trigger=p["trigger"], cqi=p["cqi"], capacity=p["capacity"], off=off)
    result["arbitral_flags"] = [f for f in result["flags"] if f in ARBITRAL_FLAGS]
    result["warnings"] = arbitral_warnings(record)
    result["trust"] = {
        op: {k: t.get(k) for k in ("score", "offences", "action")}
        for op, t in (record.get("trust") or {}).items()
    }
    return result, record


def arbitral_warnings(record: dict[str, Any]) -> dict[str, int]:
    """How many warnings the mediator's arbitral unit sent each operator, over the rounds."""
    out: dict[str, int] = {}
    for r in record.get("rounds") or []:
        for op in (r.get("arbitral") or {}).get("warnings") or {}:
            out[op] = out.get(op, 0) + 1
    return out


def _series(
    lines: list[dict[str, Any]], variant: str, rep: int, cqi: np.ndarray, capacity: np.ndarray
) -> dict[str, Any]:
    done = sorted(
        (ln["result"] for ln in lines if ln["variant"] == variant and ln["params"]["rep"] == rep),
        key=lambda r: r["at"],
    )
    agreement: list[float | None] = []
    enforced: list[float] = []
    current: float | None = None
    off = False
    k = 0
    for t in range(len(cqi)):
        while k < len(done) and done[k]["at"] <= t:
            r = done[k]
            if r["off"]:
                off, current = True, None
            elif r["agreed"] and r["consensus"] is not None:
                off, current = False, float(r["consensus"])
            k += 1  # no agreement: the last SLA stands
        agreement.append(None if off else current)
        enforced.append(0.0 if off or current is None else min(current, float(capacity[t])))
    return {
        "t": list(range(len(cqi))),
        "cqi": cqi.tolist(),
        "capacity": [round(float(c), 3) for c in capacity],
        "agreement": agreement,
        "enforced": [round(e, 3) for e in enforced],
        "negotiations": [
            {
                k2: r.get(k2)
                for k2 in (
                    "at",
                    "trigger",
                    "cqi",
                    "capacity",
                    "status",
                    "agreed",
                    "consensus",
                    "off",
                    "rounds",
                    "wall_s",
                    "flags",
                    "arbitral_flags",
                    "warnings",
                    "trust",
                    "reason",
                )
            }
            for r in done
        ],
    }


def _label(r: dict[str, Any] | None) -> Any:
    if r is None:
        return None
    if r["off"]:
        return "off"
    return r["consensus"] if r["agreed"] else f"no agreement ({r['status']})"


def summarize(lines: list[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any]:
    timeline = config["timeline"]
    reps = sorted({ln["params"]["rep"] for ln in lines if ln["variant"] == "llm"})
    cqi, capacity = channel(timeline)  # once: every run replays the same channel
    runs = {str(rep): _series(lines, "llm", rep, cqi, capacity) for rep in reps}
    baseline = _series(lines, "baseline", 0, cqi, capacity)
    sequence = []
    for paper in PAPER:
        row: dict[str, Any] = {
            "at": paper["at"],
            "paper": paper["consensus"],
            "note": paper["note"],
        }
        for rep, run in runs.items():
            hit = next((n for n in run["negotiations"] if n["at"] == paper["at"]), None)
            row[f"llm[{rep}]"] = _label(hit)
            row[f"arbitral[{rep}]"] = arbitral_label(hit)
        hit = next((n for n in baseline["negotiations"] if n["at"] == paper["at"]), None)
        row["optimizer-only"] = _label(hit)
        sequence.append(row)
    warned = sum(
        bool(n["arbitral_flags"] or n.get("warnings"))
        for run in runs.values()
        for n in run["negotiations"]
    )
    return {
        "timeline": timeline.get("name"),
        "runs": runs,
        "baseline": baseline,
        "sequence": sequence,
        "negotiations_with_arbitral_flags": warned,
        "arbitral": {rep: arbitral_totals(run["negotiations"]) for rep, run in runs.items()},
        "paper": PAPER,
    }


def arbitral_label(n: dict[str, Any] | None) -> str | None:
    """What the arbitral unit did in one negotiation, in a table cell: who was warned how
    often, and the trust each operator it judged ended with (only those below 1)."""
    if n is None:
        return None
    parts = [f"{op} warned x{k}" for op, k in sorted((n.get("warnings") or {}).items())]
    for op, t in sorted((n.get("trust") or {}).items()):
        score = t.get("score")
        if score is not None and score < 1.0:
            action = t.get("action") or "none"
            parts.append(f"{op} trust {score:.2f}" + ("" if action == "none" else f" ({action})"))
    return ", ".join(parts) or "none"


def arbitral_totals(negotiations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per operator over a run: warnings received, negotiations in which it was warned,
    the lowest trust any negotiation ended with, and whether a warned negotiation
    switched the cell off (it should not: only a voided topic or an agreed 0 does)."""
    out: dict[str, dict[str, Any]] = {}
    for n in negotiations:
        for op, t in (n.get("trust") or {}).items():
            row = out.setdefault(
                op, {"warnings": 0, "warned_in": [], "min_trust": 1.0, "off_when_warned": []}
            )
            if t.get("score") is not None:
                row["min_trust"] = min(row["min_trust"], float(t["score"]))
        for op, k in (n.get("warnings") or {}).items():
            row = out.setdefault(
                op, {"warnings": 0, "warned_in": [], "min_trust": 1.0, "off_when_warned": []}
            )
            row["warnings"] += int(k)
            row["warned_in"].append(n["at"])
            if n.get("off"):
                row["off_when_warned"].append(n["at"])
    return out


def _run_name(model: str | None, rep: str) -> str:
    return f"{'scripted' if _scripted(model) else 'LLM'} run {rep}"


def _scripted(model: str | None) -> bool:
    return str(model or "").startswith("scripted:")


def markdown(summary: dict[str, Any]) -> str:
    reps = list(summary["runs"])
    model = summary["config"].get("model")
    head = [
        "t (s)",
        "paper",
        *(_run_name(model, r) for r in reps),
        "optimizer-only",
        "paper's event",
        *(f"arbitral ({_run_name(model, r)})" for r in reps),
    ]
    rows = [
        [
            row["at"],
            fmt(row["paper"]),
            *(fmt(row.get(f"llm[{r}]")) for r in reps),
            fmt(row["optimizer-only"]),
            row["note"],
            *(fmt(row.get(f"arbitral[{r}]")) for r in reps),
        ]
        for row in summary["sequence"]
    ]
    out = [
        f"# SLA suite (Fig. 5): timeline `{summary['timeline']}`\n",
        f"Model `{model}`. Agreed throughput (Mbps) at the paper's "
        "moments; `off` = the cell switched off (the network voided the topic or all agreed "
        "on 0). The paper's sequence is 51 -> 13 -> off -> 55 Mbps; its toxic operator is "
        "warned at 200 s. Trust is kept per negotiation (each starts at 1).\n",
    ]
    if _scripted(model):
        persona = (
            " The toxic operator's reasoning is a fixed threat pushing its target (a "
            "switch-off at 0), standing in for a toxic LLM."
            if model == "scripted:personas"
            else ""
        )
        out.append(
            f"**Scripted dry run, not an LLM result.** Every reply is the fixed script "
            f"`{model}`.{persona} The arbitral unit's verdicts, warnings and trust, and the "
            "network's switch-off, are the framework's own.\n"
        )
    out.append(table(head, rows))
    for rep, run in summary["runs"].items():
        neg = [
            [
                n["at"],
                n["trigger"],
                n["cqi"],
                n["capacity"],
                n["status"],
                fmt(n["consensus"]),
                "yes" if n["off"] else "no",
                ", ".join(n["flags"]) or "—",
                ", ".join(f"{op} {k}" for op, k in (n.get("warnings") or {}).items()) or "—",
                _trust_cell(n.get("trust") or {}),
            ]
            for n in run["negotiations"]
        ]
        out.append(f"\n## Negotiations of {_run_name(model, rep)}\n")
        out.append(
            table(
                [
                    "t (s)",
                    "trigger",
                    "CQI",
                    "capacity Mbps",
                    "status",
                    "consensus",
                    "off",
                    "flags",
                    "warnings",
                    "trust at the end",
                ],
                neg,
            )
        )
        totals = (summary.get("arbitral") or {}).get(rep) or {}
        for op, t in sorted(totals.items()):
            if t["warnings"]:
                off = t["off_when_warned"]
                out.append(
                    f"- `{op}`: {t['warnings']} warning(s) in the negotiations at "
                    f"{', '.join(f'{a} s' for a in t['warned_in'])}; lowest trust "
                    f"{t['min_trust']:.2f}; "
                    + (
                        f"the cell was off after the negotiation(s) at {off} s."
                        if off
                        else "none of those negotiations switched the cell off."
                    )
                )
    if not summary["negotiations_with_arbitral_flags"]:
        hint = (
            " (of the scripted models, only `scripted:personas` plays the toxic personality)"
            if _scripted(model)
            else ""
        )
        out.append(
            "\nNo negotiation record carries an arbitral flag or warning: no operator was "
            f"warned in these runs{hint}; the arbitral unit judges what the agents write.\n"
        )
    return "\n".join(out) + skipped_note(summary)


def _trust_cell(trust: dict[str, dict[str, Any]]) -> str:
    cells = []
    for op, t in sorted(trust.items()):
        if t.get("score") is None:
            continue
        action = t.get("action") or "none"
        cells.append(f"{op} {t['score']:.2f}" + ("" if action == "none" else f" {action}"))
    return ", ".join(cells) or "—"


def plot(summary: dict[str, Any], lines: list[dict[str, Any]], folder: Path) -> list[str]:
    from maestro.evals.plots import pyplot, save

    plt = pyplot()
    fig, (ax, tx, cx) = plt.subplots(
        3, 1, figsize=(10, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.2, 1]}
    )
    model = (summary.get("config") or {}).get("model")
    base = summary["baseline"]
    t = base["t"]
    ax.plot(t, base["capacity"], color="grey", lw=1, label="cell capacity")
    for rep, run in summary["runs"].items():
        name = _run_name(model, rep)
        agreement = [np.nan if a is None else a for a in run["agreement"]]
        ax.step(t, agreement, where="post", lw=2, label=f"agreement ({name})")
        ax.plot(t, run["enforced"], ls="--", lw=1, label=f"enforced ({name})")
        _plot_arbitral(ax, tx, run, name, len(t))
    ax.step(
        t,
        [np.nan if a is None else a for a in base["agreement"]],
        where="post",
        color="black",
        lw=1,
        ls=":",
        label="agreement (optimizer-only)",
    )
    for p in PAPER:
        value = 0.0 if p["consensus"] == "off" else float(p["consensus"])
        ax.scatter([p["at"] + 5], [value], marker="D", color="tab:red", zorder=3)
        ax.annotate(str(p["consensus"]), (p["at"] + 8, value + 2), color="tab:red", fontsize=8)
    ax.scatter([], [], marker="D", color="tab:red", label="paper (51 -> 13 -> off -> 55)")
    ax.set_ylabel("throughput (Mbps)")
    dry = " (scripted dry run)" if _scripted(model) else ""
    ax.set_title(f"SLA over time: {summary['timeline']}{dry}")
    ax.legend(fontsize=7, loc="upper right")
    tx.set_ylabel("trust\n(per negotiation)")
    tx.set_ylim(-0.05, 1.1)
    if tx.get_legend_handles_labels()[0]:
        tx.legend(fontsize=7, loc="lower left")
    cx.plot(t, base["cqi"], color="tab:green", lw=1)
    cx.set_ylabel("CQI")
    cx.set_xlabel("time (s)")
    cx.set_ylim(0, 15.5)
    return [save(fig, folder, "sla.png")]


def _plot_arbitral(ax: Any, tx: Any, run: dict[str, Any], name: str, duration: int) -> None:
    """Warnings as marks on the throughput axis at their negotiation; each operator's trust
    at the end of every negotiation as a step line (1 before the first)."""
    negotiations = run["negotiations"]
    for n in negotiations:
        warned = n.get("warnings") or {}
        if not warned:
            continue
        y = 0.0 if n.get("off") or n.get("consensus") is None else float(n["consensus"])
        ax.scatter([n["at"]], [y], marker="X", s=70, color="tab:orange", zorder=4)
        text = ", ".join(f"{op} warned x{k}" for op, k in sorted(warned.items()))
        ax.annotate(text, (n["at"] + 3, y + 22), color="tab:orange", fontsize=7, rotation=30)
    if any(n.get("warnings") for n in negotiations):
        ax.scatter([], [], marker="X", color="tab:orange", label=f"arbitral warning ({name})")
    ops = sorted({op for n in negotiations for op in (n.get("trust") or {})})
    for op in ops:
        xs, ys = [0], [1.0]
        for n in negotiations:
            score = ((n.get("trust") or {}).get(op) or {}).get("score")
            if score is not None:
                xs.append(n["at"])
                ys.append(float(score))
        xs.append(duration - 1)
        ys.append(ys[-1])
        tx.step(xs, ys, where="post", lw=1.5, label=f"{op} ({name})")
