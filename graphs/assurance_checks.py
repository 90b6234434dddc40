"""The deterministic half of policy validation: the tools check what the LLM proposed.

A policy is refused before execution when it calls an API the executor does not have,
misses an argument, comes out of order (start before create), names a collector that was
never created, or carries a number that disagrees with the tools (a collector count other
than eq. 15's). The LLM validator's verdict is added to these, never substituted for them.
"""

from __future__ import annotations

from typing import Any

from maestro.graphs.executor import APIS
from maestro.tools.drift import redundancy_needed
from maestro.tools.intent import IntentSpec

__all__ = ["REQUIRED_STEPS", "drift_targets", "missing_steps", "policy_problems"]

# What a finished fulfilment tree must contain, per intent type (the paper's Table II).
REQUIRED_STEPS: dict[str, tuple[str, ...]] = {
    "create_resource": ("compliance", "create", "validate", "start"),
    "deploy_service": ("create", "validate", "start"),
}
_NEEDS_BEFORE = {
    "create": ("compliance",),
    "validate": ("create",),
    "start": ("create",),
    "avail": ("compliance",),
}
RESOURCE_KPIS = {
    "cpu": {"range": [40, 70]},
    "ram": {"range": [40, 70]},
    "storage": {"range": [40, 70]},
    "net": {"equals": 100},
    "status": {"equals": 100},
}


def _succeeded(history: list[dict[str, Any]], api: str) -> list[dict[str, Any]]:
    return [h for h in history if h["api"] == api and h["success"]]


def _as_list(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def availability_target(intent: IntentSpec) -> float | None:
    t = intent.target("availability")
    return None if t is None else t.value[0]


def policy_problems(
    policy: dict[str, Any], intent: IntentSpec, history: list[dict[str, Any]], phase: str = "fulfil"
) -> list[str]:
    """Everything wrong with one proposed policy; empty when it may run."""
    api = policy.get("api")
    args = policy.get("args") or {}
    if api not in APIS:
        return [f"unknown API {api!r} (known: {', '.join(APIS)})"]
    problems = [f"{api} needs argument '{a}'" for a in APIS[api] if a not in args]
    if problems:
        return problems
    if phase == "fulfil":
        for before in _NEEDS_BEFORE.get(api, ()):
            if not _succeeded(history, before):
                problems.append(f"{api} before {before}: wrong order")
    created = {n for h in _succeeded(history, "create") for n in _as_list(h["args"]["names"])}
    if api in ("validate", "start") and phase == "fulfil":
        ghosts = [n for n in _as_list(args["names"]) if n not in created]
        if ghosts:
            problems.append(f"{', '.join(ghosts)} never created")
    target = availability_target(intent)
    if api == "compliance" and target is not None:
        try:
            asked = float(args["availability"])
        except (TypeError, ValueError):
            asked = -1.0
        asked = asked / 100 if asked > 1 else asked
        if abs(asked - target) > 1e-9:
            problems.append(
                f"compliance availability {args['availability']} is not the intent's {target:g}"
            )
    if api == "create":
        per = next(
            (h["state"].get("availability") for h in _succeeded(history, "get_domain")), None
        )
        try:
            count = int(float(args["count"]))
        except (TypeError, ValueError):
            return [*problems, f"create count {args['count']!r} is not a number"]
        if target is not None and per is not None:
            need = redundancy_needed(target, float(per))  # the tool's eq. 15
            if count != need:
                problems.append(
                    f"create count {count} disagrees with eq. 15: {need} "
                    f"collectors of {per:g} give {target:g}"
                )
        if count != len(_as_list(args["names"])):
            problems.append(f"create count {count} but {len(_as_list(args['names']))} names")
    return problems


def missing_steps(intent_type: str, history: list[dict[str, Any]]) -> list[str]:
    """Steps a finished tree still lacks (omissions the validator reports)."""
    return [s for s in REQUIRED_STEPS.get(intent_type, ()) if not _succeeded(history, s)]


def drift_targets(intent: IntentSpec, history: list[dict[str, Any]]) -> dict[str, Any]:
    """The drift calculator's targets for the fulfilled service: one sub-service per
    collector created, the resource targets of §IV-A, the intent's availability."""
    names: list[str] = []
    for h in _succeeded(history, "create"):
        names += [n for n in _as_list(h["args"]["names"]) if n not in names]
    per = next((h["state"].get("availability") for h in _succeeded(history, "get_domain")), None)
    doc: dict[str, Any] = {
        "service": intent.id,
        "kpis": RESOURCE_KPIS,
        "subservices": {n: {"type": "collector"} for n in names} or {"service": {}},
    }
    avail: dict[str, float] = {}
    target = availability_target(intent)
    if target is not None:
        avail["target"] = target
    if per is not None:
        avail["resource"] = float(per)
    if avail:
        doc["availability"] = avail
    return doc
