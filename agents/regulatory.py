"""Regulatory unit: what the rules say about the topic, cited in the prompt and checked after.

Runs after extraction in both roles when the scenario has a `regulation:` section. It asks the
run's knowledge base (opened once per run, in the run context) for the passages that bear on
the topic and the round, puts the best `k` into the prompt with their citations, and attaches
the constraints that apply to the topic in the jurisdiction as facts. Validation enforces
them and the mediator's optimizer keeps its consensus point inside them.

Constraints come from the documents' front-matter, not from the index, so a retrieval
failure (an unreachable Chroma server, a locked store) costs the turn its passages only: it
is flagged `regulation_unavailable` and the constraints still apply.
"""

from __future__ import annotations

from typing import Any

from maestro.agents.domain import Topic
from maestro.agents.prompting import fmt
from maestro.agents.turn import AgentTurn, Unit, contribution, flag, unit_fact

PASSAGE_CHARS = 220  # of each passage in the prompt: the gist, not the document


def query_for(turn: AgentTurn, topic: Topic, jurisdiction: str | None) -> str:
    """The retrieval query: the topic, the jurisdiction and where the round stands."""
    parts = [topic.name.replace("_", " "), topic.description, f"in {topic.unit}"]
    if jurisdiction:
        parts.append(f"rules in {jurisdiction}")
    seen = turn.get("observation") or {}
    if seen.get("capacity_mbps") is not None:
        parts.append(f"cell capacity {fmt(round(float(seen['capacity_mbps']), 1))} Mbps")
    if turn["role"] == "mediator":
        parts.append("fair sharing between operators, limits on the agreed value")
    else:
        parts.append("limits on what an operator may request")
    return ", ".join(parts)


def opening_query(scenario: Any, observation: dict[str, Any] | None) -> str:
    """The operators' first query, asked ahead by the run (`RegulationAccess.prefetch`)."""
    turn: Any = {"role": "operator", "observation": observation}
    jurisdiction = scenario.regulation.jurisdiction if scenario.regulation else None
    return query_for(turn, scenario.topic, jurisdiction)


def constraint_record(applied: Any) -> dict[str, Any]:
    """One applied constraint as the record lists it: the rule and where it comes from."""
    rule = applied.constraint.model_dump(mode="json", exclude_none=True)
    return {
        "document": applied.document,
        "source": applied.source,
        "jurisdiction": applied.jurisdiction,
        **rule,
    }


def _passage_line(passage: Any) -> str:
    text = " ".join(str(passage.text).split())
    if len(text) > PASSAGE_CHARS:
        text = text[: PASSAGE_CHARS - 1] + "…"
    return f"- [{passage.id}, {passage.source}] {text}"


def _constraint_line(record: dict[str, Any], unit: str, facts: dict[str, float]) -> str | None:
    kind = record.get("kind")
    if kind not in ("max_value", "min_value"):
        return None
    named = record.get("value_from")
    bound = record.get("value") if named is None else facts.get(str(named))
    if bound is None:
        what = f"the {named} (not known this turn)"
    else:
        what = f"{fmt(round(float(bound), 3))} {unit}" + (f" ({named})" if named else "")
    word = "at most" if kind == "max_value" else "at least"
    return f"Rule [{record['document']}, {record['source']}]: the value must be {word} {what}."


_peak_rates: dict[tuple[float, int, int], float] = {}


def peak_rate(network: Any) -> float | None:
    """TS 38.306's peak data rate of the scenario's carrier (Mbps), the bound the
    peak-rate documents refer to; None without a `network:` section."""
    if network is None:
        return None
    key = (float(network.bandwidth_mhz), int(network.scs_khz), int(network.layers))
    if key not in _peak_rates:
        from maestro.tools.ran import peak_rate_mbps

        cell = network.cell()
        _peak_rates[key] = round(peak_rate_mbps(cell, 8 if cell.mcs_table == 2 else 6), 3)
    return _peak_rates[key]


def make_regulatory_unit() -> Unit:
    def regulatory(turn: AgentTurn, runtime: Any) -> dict[str, Any]:
        context = getattr(runtime, "context", None)
        access = getattr(context, "regulation", None)
        if access is None:  # no `regulation:` section: the unit adds nothing
            return {}
        spec = access.spec
        topic = Topic.model_validate(turn["topic"])
        flags: list[dict[str, Any]] = []
        applied = access.constraints(topic.name)
        records = [constraint_record(a) for a in applied]
        peak = peak_rate(getattr(getattr(context, "scenario", None), "network", None))
        passages: list[Any] = []
        if spec.k > 0:
            passages, error = access.search(query_for(turn, topic, spec.jurisdiction))
            if error is not None:
                flags.append(
                    flag(
                        turn,
                        "regulation_unavailable",
                        f"retrieval failed ({error}); going on with the documents' constraints",
                    )
                )
        lines: list[str] = []
        if passages:
            lines.append("What the rules say (cite by [document, source]):")
            lines.extend(_passage_line(p) for p in passages)
        known = constraint_facts(turn) | ({"peak_rate": peak} if peak is not None else {})
        lines.extend(line for r in records if (line := _constraint_line(r, topic.unit, known)))
        part = contribution(
            lines,
            constraints=records,
            passages=[{"id": p.id, "source": p.source, "score": p.score} for p in passages],
            enforce=spec.enforce,
            peak_rate=peak,
        )
        return {"context": {"regulatory": part}, "flags": flags}

    return Unit("regulatory", regulatory)


# -- checking values against the constraints (validation, the mediator's optimizer) -------
def constraint_facts(turn: AgentTurn) -> dict[str, float]:
    """The named facts a constraint's bound may refer to (`value_from`)."""
    facts: dict[str, float] = {}
    topic = turn.get("topic") or {}
    for key in ("lower", "upper"):
        if key in topic:
            facts[f"topic_{key}"] = float(topic[key])
    seen = turn.get("observation") or {}
    for key in ("capacity_mbps", "demand_mbps", "throughput_mbps"):
        if seen.get(key) is not None:
            facts[key] = float(seen[key])
    capacity = unit_fact(turn, "observability", "capacity")
    if capacity is not None:
        facts.setdefault("capacity_mbps", float(capacity))
    peak = unit_fact(turn, "regulatory", "peak_rate")
    if peak is not None:
        facts["peak_rate"] = float(peak)
    return facts


def violations(turn: AgentTurn, value: float) -> list[Any]:
    """The value-bounding constraints the value breaks, each citing its document; a bound
    whose fact this turn lacks cannot be checked and is skipped (listed, not enforced)."""
    records = unit_fact(turn, "regulatory", "constraints") or []
    if not records:
        return []
    from maestro.knowledge.constraints import AppliedConstraint, check, constraint_adapter
    from maestro.knowledge.errors import MissingFactError

    facts = constraint_facts(turn)
    found = []
    for record in records:
        if record.get("kind") not in ("max_value", "min_value"):
            continue  # slice ratios and shares bound other numbers than the topic's value
        fields = ("document", "source", "jurisdiction")
        rule = AppliedConstraint(
            constraint=constraint_adapter.validate_python(
                {k: v for k, v in record.items() if k not in fields}
            ),
            **{k: record[k] for k in fields},
        )
        try:
            broken = check(rule, value, facts)
        except MissingFactError:
            continue
        if broken is not None:
            found.append(broken)
    return found


def within_constraints(turn: AgentTurn, value: float) -> tuple[float, list[Any]]:
    """The value moved inside every bound it breaks (unchanged under `enforce: false`),
    and the violations of the value as given."""
    broken = violations(turn, value)
    if not broken or not unit_fact(turn, "regulatory", "enforce"):
        return value, broken
    moved = value
    for _ in range(4):  # a max and a min bound can disagree; the last word is the min
        found = violations(turn, moved)
        if not found:
            break
        moved = float(found[0].bound)
    return moved, broken


__all__ = [
    "constraint_facts",
    "constraint_record",
    "make_regulatory_unit",
    "query_for",
    "violations",
    "within_constraints",
]
