"""A rule-based reading of a natural-language intent: the baseline the LLM is compared with.

It finds the intent type from the first action verb, the domain or zone, and each KPI the
catalogue knows by name or alias with the number nearest to it and the comparison words
around it ("at least", "below", "between 40 and 70"). It is deterministic and fast, which
makes it the scripted formaliser of the tests and the floor of the formalisation eval; it
reads only what its patterns cover and says nothing about the rest.
"""

from __future__ import annotations

import re
from typing import Any

from .catalogue import CATALOGUE, IntentError

__all__ = ["rule_formalize"]

_VERBS = [
    ("create_resource", r"create|provision|spin up|instantiate|allocate|set up|add"),
    ("deploy_service", r"deploy|install|launch|roll out|run"),
    ("discover_resource", r"discover|find|list|locate|show|which"),
    ("modify_resource", r"scale|resize|modify|update|increase|decrease|change|upgrade"),
    ("delete_resource", r"delete|remove|tear down|terminate|decommission|destroy"),
    ("assure_service", r"ensure|assure|keep|maintain|guarantee|monitor"),
]
_NUM = r"(\d+(?:\.\d+)?)\s*(%|percent|ms|s|us|mbps|gbps|kbps)?"
_UNITS = {
    "%": "%",
    "percent": "%",
    "ms": "ms",
    "s": "s",
    "us": "us",
    "mbps": "Mbps",
    "gbps": "Gbps",
    "kbps": "kbps",
}
_COND = [
    (r"between", "IS_WITHIN_RANGE"),
    (
        r"at least|no less than|minimum( of)?|or more|or higher|not below",
        "IS_EQUAL_TO_OR_GREATER_THAN",
    ),
    (
        r"at most|no more than|maximum( of)?|up to|within|or less|or lower|not above|not exceed",
        "IS_EQUAL_TO_OR_LESS_THAN",
    ),
    (r"above|more than|greater than|over|higher than|exceed", "IS_GREATER_THAN"),
    (r"below|under|less than|lower than", "IS_LESS_THAN"),
    (r"exactly|equal to", "IS_EQUAL_TO"),
]


def _intent_type(text: str) -> str:
    best: tuple[int, str] | None = None
    for kind, pattern in _VERBS:
        m = re.search(rf"\b({pattern})\b", text, re.I)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), kind)
    return best[1] if best else "create_resource"


def _aliases() -> list[tuple[str, str]]:
    pairs = [(a, k.name) for k in CATALOGUE.values() for a in (k.name, *k.aliases)]
    return sorted(pairs, key=lambda p: -len(p[0]))  # longest first: "cell throughput"


def _standalone(text: str, n: re.Match[str]) -> bool:
    """A number of its own, not part of a name such as "5G" or "collector2"."""
    before = text[n.start() - 1] if n.start() else " "
    after = text[n.end()] if n.end() < len(text) else " "
    return not before.isalpha() and (bool(n.group(2)) or not after.isalpha())


def _kpis(text: str) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    taken: list[tuple[int, int]] = []
    for alias, name in _aliases():
        pattern = r"\b" + re.escape(alias).replace(r"\ ", r"[\s_-]*") + r"\b"
        for m in re.finditer(pattern, text, re.I):
            if name in found or any(a <= m.start() < b for a, b in taken):
                continue
            clause_start = max(text.rfind(c, 0, m.start()) for c in (",", ";", " and ", ". "))
            clause_start = 0 if clause_start < 0 else clause_start + 1
            ends = [i for c in (",", ";", ". ") if (i := text.find(c, m.end())) >= 0]
            clause = text[clause_start : min(ends) if ends else len(text)]
            if "between" in clause.lower():  # "between 40 and 70" spans an " and "
                rng = re.search(rf"between\s+{_NUM}\s+and\s+{_NUM}", text[clause_start:], re.I)
                if rng:
                    unit = rng.group(4) or rng.group(2)
                    found[name] = {
                        "name": name,
                        "condition": "IS_WITHIN_RANGE",
                        "value": [float(rng.group(1)), float(rng.group(3))],
                        "unit": _UNITS.get((unit or "").lower()),
                    }
                    taken.append((m.start(), m.end()))
                    continue
            nums = [n for n in re.finditer(_NUM, clause, re.I) if _standalone(clause, n)]
            if not nums:
                continue
            anchor = m.start() - clause_start
            num = min(nums, key=lambda n: abs(n.start() - anchor))
            condition = None
            for words, cond in _COND:
                if re.search(rf"\b({words})\b", clause, re.I):
                    condition = cond
                    break
            unit = _UNITS.get((num.group(2) or "").lower())
            found[name] = {
                "name": name,
                "condition": condition,
                "value": [float(num.group(1))],
                "unit": unit,
            }
            taken.append((m.start(), m.end()))
    return list(found.values())


def _context(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    m = re.search(r"\b(?i:domain)\s+([A-Z][\w-]*)", text) or re.search(
        r"\b(?:in|for) (?:the )?([A-Z][\w-]*) (?i:domain)\b", text
    )
    if m:
        out["Domain"] = m.group(1)
    z = re.search(r"\b(?i:zone)\s+([A-Z][\w-]*)", text) or re.search(
        r"\bin (?:the )?([A-Z][\w-]*) (?i:zone)\b", text
    )
    if z:
        out["Zone"] = z.group(1)
    return out


def rule_formalize(text: str) -> dict[str, Any]:
    """``{intent_type, formal, contexts, kpis}`` read from the text by the rules above."""
    if not isinstance(text, str) or not text.strip():
        raise IntentError("the intent text is empty")
    kpis = _kpis(text)
    contexts = _context(text)
    formal = dict(contexts)
    task = re.search(
        r"\b((?:" + "|".join(p for _, p in _VERBS) + r")\b[\w\s-]*?)"
        r"(?= in | for | with | so | such |,|\.|$)",
        text,
        re.I,
    )
    if task:
        formal["Task"] = task.group(1).strip()
    for k in kpis:
        value = "-".join(f"{v:g}" for v in k["value"])
        formal[k["name"]] = value + (k["unit"] or "")
    return {"intent_type": _intent_type(text), "formal": formal, "contexts": contexts, "kpis": kpis}
