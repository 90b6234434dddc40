"""Scripted models for the intent pipeline: deterministic stand-ins, chosen by id only.

``scripted:intent`` / ``scripted:assurance`` answer every stage the way the paper's Table II
does (the formaliser with the rule-based reading); ``scripted:assurance-faulty`` first
proposes an unknown API and a wrong collector count, so the validator has something to
correct; ``scripted:assurance-broken`` never proposes a valid policy. They read the stage's
facts (see ``providers.base.reads_facts``), never the prompt's words.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from maestro.agents.providers.scripted import ScriptedChatModel
from maestro.tools.intent import CATALOGUE, rule_formalize

__all__ = ["SCRIPTED_IDS", "scripted_models"]

Facts = dict[str, Any]


def _formalize(facts: Facts) -> str:
    r = rule_formalize(facts.get("text") or "")
    kpis = [
        {
            "name": k["name"],
            "condition": k["condition"] or CATALOGUE[k["name"]].condition,
            "value": k["value"],
            "unit": k["unit"] or "",
        }
        for k in r["kpis"]
    ]
    return json.dumps(
        {
            "intent_type": r["intent_type"],
            "formal": [{"key": k, "value": v} for k, v in r["formal"].items()],
            "kpis": kpis,
        }
    )


def _policy(pid: str, api: str, **args: Any) -> str:
    return json.dumps(
        {
            "done": False,
            "reasoning": f"Scripted: next step {pid}.",
            "policy": {
                "id": pid,
                "api": api,
                "args": [{"name": k, "value": v} for k, v in args.items()],
            },
        }
    )


def _fulfil(facts: Facts, faulty: bool, broken: bool) -> str:
    history = facts.get("history") or []
    intent = facts.get("intent") or {}
    zone = (intent.get("contexts") or {}).get("Domain", "West")
    avail = next(
        (k["value"][0] for k in intent.get("kpis", []) if k["name"] == "availability"), 0.9999
    )
    done = {h["api"] for h in history if h["success"]}
    problem = facts.get("problem")
    if broken:
        return _policy("M1", "teleport", zone=zone)
    if "get_domain" not in done:
        if faulty and not problem:
            return _policy("M1", "lookup_domain", zone=zone)  # unknown API on purpose
        return _policy("M1", "get_domain", zone=zone)
    if "compliance" not in done:
        return _policy("A1", "compliance", zone=zone, availability=avail, type="vm")
    count = int(next(h["state"]["count"] for h in history if h["api"] == "compliance"))
    names = [f"collector{i + 1}" for i in range(count)]
    if "avail" not in done:
        return _policy("A2", "avail", zone=zone, count=float(count))
    if "create" not in done:
        if faulty and not problem:
            return _policy(
                "E1", "create", zone=zone, count=float(count + 1), size="small", names=names
            )  # one collector more than eq. 15 says
        return _policy("E1", "create", zone=zone, count=float(count), size="small", names=names)
    if "validate" not in done:
        return _policy("E2", "validate", names=names)
    if "start" not in done:
        return _policy("E3", "start", names=names, service="netflow")
    if "schedule" not in done:
        return _policy("E4", "schedule", check="health", frequency="period")
    return json.dumps(
        {
            "done": True,
            "policy": None,
            "reasoning": "Scripted: collectors created, started and monitored.",
        }
    )


def _assure(facts: Facts) -> str:
    """For each failing sub-service, the cheapest offered action that restores the intent."""
    failed = set(facts.get("failed") or [])
    actions = (facts.get("report") or {}).get("actions") or []
    usable = [a for a in actions if f"{a['action']}:{a['sub-service']}" not in failed]
    best: dict[str, dict[str, Any]] = {}
    for a in sorted(usable, key=lambda a: (not a["restores_intent"], a["rank"])):
        best.setdefault(a["sub-service"], a)
    chosen = list(best.values())[:3] or actions[:1]
    return json.dumps(
        {
            "actions": [
                {"action": a["action"], "subservice": a["sub-service"], "penalty": a["penalty"]}
                for a in chosen
            ],
            "reasoning": "Scripted: per failing sub-service, the cheapest action that restores.",
        }
    )


def _script(faulty: bool = False, broken: bool = False) -> Any:
    def script(messages: list[BaseMessage], facts: Facts) -> str:
        stage = facts.get("stage")
        if stage == "formalizer":
            return _formalize(facts)
        if stage == "classifier":
            kind = rule_formalize(facts["intent"].get("text") or facts["intent"]["name"])
            return json.dumps(
                {
                    "intent_type": facts["intent"].get("intent_type") or kind["intent_type"],
                    "reason": "Scripted: from the verb.",
                }
            )
        if stage == "generator":
            return _fulfil(facts, faulty, broken)
        if stage == "validator":
            problems = list(facts.get("tool_problems") or [])
            return json.dumps({"ok": not problems, "problems": problems[:5]})
        if stage == "assurance":
            return _assure(facts)
        return "{}"

    return script


SCRIPTED_IDS = (
    "scripted:intent",
    "scripted:assurance",
    "scripted:assurance-faulty",
    "scripted:assurance-broken",
)


def scripted_models() -> dict[str, BaseChatModel]:
    """Models for ``ModelPool(models=...)``: the ids above, resolvable without the registry."""
    return {
        "scripted:intent": ScriptedChatModel(name="intent", script=_script()),
        "scripted:assurance": ScriptedChatModel(name="assurance", script=_script()),
        "scripted:assurance-faulty": ScriptedChatModel(
            name="assurance-faulty", script=_script(faulty=True)
        ),
        "scripted:assurance-broken": ScriptedChatModel(
            name="assurance-broken", script=_script(broken=True)
        ),
    }
