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

import re
from typing import Any

from maestro.agents.domain import Topic
from maestro.agents.prompting import fmt
from maestro.agents.turn import AgentTurn, Unit, contribution, flag, unit_fact

PASSAGE_WORDS = 45  # of each passage in the prompt: its fact sentences, not the document


def query_for(turn: AgentTurn, topic: Topic, jurisdiction: str | None) -> str:
    """The retrieval query: the topic, the jurisdiction and the agent's role, with no
    number of the round in it, so every round asks the same (and gets the same passages
    from the cache, which keeps the prompt's prefix the same for llama.cpp to reuse)."""
    parts = [topic.name.replace("_", " "), topic.description, f"in {topic.unit}"]
    if jurisdiction:
        parts.append(f"rules in {jurisdiction}")
    if turn["role"] == "mediator":
        parts.append("fair sharing between operators, limits on the agreed value")
    else:
        parts.append("limits on what an operator may request")
    return ", ".join(parts)


def opening_query(scenario: Any, observation: dict[str, Any] | None) -> str:
    """The operators' query, asked ahead by the run (`RegulationAccess.prefetch`)."""
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


_BULLET = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
_SENTENCES = re.compile(r"(?<=[.;!?])\s+")
_WORD = re.compile(r"[a-z0-9]+")


def _plain(text: str) -> str:
    """Markdown as sentences: headings dropped (the citation names the document), each list
    item its own sentence, emphasis and code marks gone."""
    items: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            item = " ".join(current).strip()
            items.append(item if item[-1:] in ".;:!?" else item + ".")
            current.clear()

    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    if len(lines) > 1 and len(first.split()) <= 10 and first[-1:] not in ".;:!?":
        lines = lines[1:]  # the section's heading, which the chunker puts first
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            close()
            continue
        if _BULLET.match(line):
            close()
            line = _BULLET.sub("", line)
        current.append(line.strip())
    close()
    return " ".join(items).replace("`", "").replace("**", "")


def gist(text: str, query: str, words: int = PASSAGE_WORDS) -> str:
    """The passage's sentences that bear most on the query (shared words, and numbers:
    the facts), in their own order, within `words` words."""
    plain = " ".join(_plain(text).split())
    sentences = [s for s in _SENTENCES.split(plain) if s]
    asked = {w for w in _WORD.findall(query.lower()) if len(w) > 3}

    def weight(i: int) -> tuple[int, int]:
        own = set(_WORD.findall(sentences[i].lower()))
        return (-(len(asked & own) + any(c.isdigit() for c in sentences[i])), i)

    chosen: list[int] = []
    used = 0
    for i in sorted(range(len(sentences)), key=weight):
        size = len(sentences[i].split())
        if used + size <= words:
            chosen.append(i)
            used += size
        elif not chosen:  # one long sentence: its first words
            return " ".join(sentences[i].split()[:words]) + " …"
    return " ".join(sentences[i] for i in sorted(chosen))


def _passage_line(passage: Any, query: str) -> str:
    return f"- [{passage.id}, {short_source(passage.source)}] {gist(str(passage.text), query)}"


def _constraint_line(record: dict[str, Any], unit: str, facts: dict[str, float]) -> str | None:
    """One short line per value bound (slice-ratio rules bound the policy, not the value)."""
    kind = record.get("kind")
    if kind not in ("max_value", "min_value"):
        return None
    named = record.get("value_from")
    bound = record.get("value") if named is None else facts.get(str(named))
    if bound is None:
        what = f"the {named} (unknown now)"
    else:
        what = f"{fmt(round(float(bound), 3))} {unit}" + (f" ({named})" if named else "")
    word = "<=" if kind == "max_value" else ">="
    return f"Rule [{record['document']}, {short_source(record['source'])}]: value {word} {what}."


def short_source(source: str) -> str:
    """The clause without its gloss: "3GPP TS 28.541 clause 4.3.36 (RRMPolicyRatio ...)"
    -> "3GPP TS 28.541 clause 4.3.36" (the record keeps the whole source)."""
    return re.split(r",\s| \(", source, maxsplit=1)[0]


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
        room = slice_room(access, getattr(context, "scenario", None), turn)
        if room is not None:
            records.append(room[0])
        passages: list[Any] = []
        query = query_for(turn, topic, spec.jurisdiction)
        if spec.k > 0:
            passages, error = access.search(query)
            if error is not None:
                flags.append(
                    flag(
                        turn,
                        "regulation_unavailable",
                        f"retrieval failed ({error}); going on with the documents' constraints",
                    )
                )
        # The passages are the same every round (the query has no round number in it): they
        # go into the prompt's stable prefix, whose evaluated tokens llama.cpp reuses.
        stable: list[str] = []
        if passages:
            stable.append("What the rules say (cite by [document, source]):")
            stable.extend(_passage_line(p, query) for p in passages)
        known = constraint_facts(turn) | ({"peak_rate": peak} if peak is not None else {})
        if room is not None:
            known["slice_room"] = room[1]
        # The bounds change only when the cell does: stable too, after the passages.
        stable.extend(line for r in records if (line := _constraint_line(r, topic.unit, known)))
        part = contribution(
            [],
            constraints=records,
            passages=[{"id": p.id, "source": p.source, "score": p.score} for p in passages],
            enforce=spec.enforce,
            peak_rate=peak,
            slice_room=None if room is None else room[1],
        )
        if stable:
            part["stable_lines"] = stable
        return {"context": {"regulatory": part}, "flags": flags}

    return Unit("regulatory", regulatory)


def slice_room(access: Any, scenario: Any, turn: AgentTurn) -> tuple[dict[str, Any], float] | None:
    """The bound the slice rules put on the negotiated Mbps when the scenario reserves
    slices on the cell: the agreed slice may only be guaranteed what the reserved ones
    leave (their shares under `min_share`, the total under `sum_at_most`). The record of
    that bound (a max_value on the fact `slice_room`) and its value, or None."""
    spec = access.spec
    network = getattr(scenario, "network", None)
    if not spec.reserved_slices or network is None:
        return None
    from maestro.knowledge.constraints import SumAtMost
    from maestro.knowledge.policy_check import policy_constraints, share_floor
    from maestro.tools.ran.slices import mbps_at_ratio

    rules = policy_constraints(spec.jurisdiction, access.documents())
    reserved = sum(share_floor(s.sst, s.min_share, rules) for s in spec.reserved_slices)
    totals = [
        (a, a.constraint.value) for a in rules if isinstance(a.constraint, SumAtMost)
        and a.constraint.field == "rRMPolicyMinRatio"
    ]  # fmt: skip
    total = min([100.0] + [value for _, value in totals])
    seen = turn.get("observation") or {}
    cqi = int(seen.get("cqi") or network.cqi)
    room = round(mbps_at_ratio(network.cell(), cqi, max(0, int(total) - reserved)), 3)
    shares = [a for a in rules if a.kind == "min_share"]
    sums = [a for a, _ in totals]
    cited = (shares or sums)[0] if shares or sums else None
    names = ", ".join(dict.fromkeys(a.document for a in shares + sums)) or "the scenario"
    record = {
        "document": cited.document if cited else "scenario",
        "source": cited.source if cited else "regulation.reserved_slices",
        "jurisdiction": cited.jurisdiction if cited else "global",
        "kind": "max_value",
        "topic": str((turn.get("topic") or {}).get("name", "")),
        "value_from": "slice_room",
        "note": f"what the reserved slices leave the agreed slice ({reserved}% kept; {names})"[
            :300
        ],
    }
    return record, room


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
    room = unit_fact(turn, "regulatory", "slice_room")
    if room is not None:
        facts["slice_room"] = float(room)
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
    "gist",
    "query_for",
    "slice_room",
    "violations",
    "within_constraints",
]
