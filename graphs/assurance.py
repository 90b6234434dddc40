"""The intent fulfilment and assurance loop as a LangGraph graph (the paper's §V).

    classify -> generate -> validate -> execute -> generate ... (one policy at a time, each
    execution result fed back) -> monitor -> [drift] assure -> validate -> execute -> monitor

The classifier types the intent; the policy generator writes one policy per step and sees
every earlier policy's result; every policy passes the tools' checks
(:mod:`.assurance_checks`) and the validator LLM before it runs, and a rejected one goes
back to the generator with the reason. After fulfilment the loop monitors each period:
the drift calculator scores the service; below 100 % the assurance LLM picks among the
actions the calculator ranked (restart before recreate, Table III); the action runs
through the same validation and the next periods verify recovery.

What belongs to the run (the stages, the executor, the live view, settings) travels in the
run context; the state holds only what changes, so a checkpointer (SQLite by default) lets
a loop that was stopped resume where it was.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from maestro.agents.assurance import StageFailed
from maestro.graphs.assurance_checks import drift_targets, missing_steps, policy_problems
from maestro.graphs.assurance_live import LiveView
from maestro.graphs.executor import Executor, MonitoringDown
from maestro.tools.drift import DriftInputError, assess_documents
from maestro.tools.intent import IntentSpec

__all__ = ["AssureContext", "AssureSettings", "AssureState", "build_assurance_graph"]


def _merge_usage(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {k: dict(v) for k, v in (a or {}).items()}
    for phase, counts in (b or {}).items():
        slot = out.setdefault(phase, {})
        for k, v in counts.items():
            slot[k] = slot.get(k, 0) + v
    return out


class AssureState(TypedDict, total=False):
    intent: dict[str, Any]
    intent_type: str
    phase: str  # fulfil | assure
    status: str  # running | fulfilled | assured | failed
    reason: str | None
    history: Annotated[list[dict[str, Any]], operator.add]  # executed policies
    pending: dict[str, Any] | None  # proposed, not yet validated
    queue: list[dict[str, Any]]  # corrective policies waiting to run
    problem: str | None  # why the last policy was refused or failed
    rejections: int  # consecutive refusals of the current step
    corrected: int  # policies the validation sent back
    failures: int  # consecutive failed executions
    timeline: Annotated[list[dict[str, Any]], operator.add]
    period: int
    monitor_failures: int
    down_s: float
    planned_s: float
    last_health: float | None
    drifted: bool
    failed_actions: list[str]
    report: dict[str, Any] | None
    usage: Annotated[dict[str, Any], _merge_usage]


@dataclass
class AssureSettings:
    periods: int = 5  # monitoring periods after fulfilment
    period_s: float = 1.0
    max_rejections: int = 3  # refusals of one step before the loop gives up
    max_failures: int = 3  # failed executions in a row
    max_monitor_failures: int = 3
    backoff: float = 2.0  # the wait grows by this factor while monitoring is down
    stop_when_recovered: bool = False  # end at the first full health after a drift
    max_steps: int = 30  # policies per fulfilment


@dataclass
class AssureContext:
    classify: Callable[..., Any]
    generate: Callable[..., Any]
    validate: Callable[..., Any]
    assure: Callable[..., Any]
    executor: Executor
    settings: AssureSettings = field(default_factory=AssureSettings)
    live: LiveView | None = None
    on_period: Callable[[int], None] | None = None  # fault injection, tests and demos
    on_event: Callable[[dict[str, Any]], None] | None = None
    sleep: Callable[[float], None] = time.sleep


def _event(ctx: AssureContext, kind: str, **detail: Any) -> list[dict[str, Any]]:
    ev = {"t": round(time.time(), 3), "event": kind, **detail}
    if ctx.live is not None:
        ctx.live.event(ev)
    if ctx.on_event is not None:
        ctx.on_event(ev)
    return [ev]


def _llm(phase: str, result: Any) -> dict[str, Any]:
    return {phase: {"llm_calls": result.calls, "llm_s": result.llm_s}}


def _failed(ctx: AssureContext, reason: str, stage: str) -> dict[str, Any]:
    return {
        "status": "failed",
        "reason": reason,
        "timeline": _event(ctx, "failed", stage=stage, reason=reason),
    }


def build_assurance_graph(checkpointer: Any = None) -> Any:
    def intent_of(state: AssureState) -> IntentSpec:
        return IntentSpec.model_validate(state["intent"])

    def classify(state: AssureState, runtime: Runtime[AssureContext]) -> dict[str, Any]:
        ctx = runtime.context
        try:
            r = ctx.classify(intent_of(state))
        except StageFailed as exc:
            return _failed(ctx, str(exc), "classifier")
        kind = r.reply.intent_type
        return {
            "intent_type": kind,
            "phase": "fulfil",
            "status": "running",
            "usage": _llm("fulfil", r),
            "timeline": _event(ctx, "classified", intent_type=kind),
        }

    def generate(state: AssureState, runtime: Runtime[AssureContext]) -> dict[str, Any]:
        ctx = runtime.context
        intent, history = intent_of(state), state.get("history", [])
        if len(history) >= ctx.settings.max_steps:
            return _failed(ctx, f"more than {ctx.settings.max_steps} policies", "generator")
        facts = {"executed": len(history)}
        try:
            r = ctx.generate(
                intent, state["intent_type"], "fulfilment", history, facts, state.get("problem")
            )
        except StageFailed as exc:
            return _failed(ctx, str(exc), "generator")
        reply = r.reply
        usage = {"fulfil": {"llm_calls": r.calls, "llm_s": r.llm_s}}
        if reply.done or reply.policy is None:
            missing = missing_steps(state["intent_type"], history)
            if missing:  # an omission: back to the generator with what is missing
                rejections = state.get("rejections", 0) + 1
                out = {
                    "pending": None,
                    "problem": f"omitted: {', '.join(missing)}",
                    "rejections": rejections,
                    "corrected": state.get("corrected", 0) + 1,
                    "usage": usage,
                    "timeline": _event(ctx, "rejected", policy="done", problems=missing),
                }
                if rejections > ctx.settings.max_rejections:
                    fail = _failed(
                        ctx,
                        f"the policy tree still omits {', '.join(missing)} "
                        f"after {rejections} tries",
                        "validator",
                    )
                    return {**out, **fail, "timeline": out["timeline"] + fail["timeline"]}
                return out
            return {
                "pending": None,
                "phase": "assure",
                "status": "fulfilled",
                "problem": None,
                "rejections": 0,
                "usage": usage,
                "timeline": _event(ctx, "fulfilled", policies=len(history)),
            }
        policy = {
            "id": reply.policy.id,
            "api": reply.policy.api,
            "args": reply.policy.arg_dict(),
            "phase": "fulfil",
        }
        usage["fulfil"]["generated"] = 1
        return {"pending": policy, "usage": usage}

    def validate(state: AssureState, runtime: Runtime[AssureContext]) -> dict[str, Any]:
        ctx = runtime.context
        policy = state["pending"]
        assert policy is not None
        intent, history = intent_of(state), state.get("history", [])
        problems = policy_problems(policy, intent, history, policy["phase"])
        out: dict[str, Any] = {}
        if policy["phase"] == "fulfil":  # the validator LLM inspects the generated tree
            try:
                r = ctx.validate(intent, policy, history, problems)
            except StageFailed as exc:
                return _failed(ctx, str(exc), "validator")
            out["usage"] = _llm("fulfil", r)
            if not r.reply.ok:
                problems += [p for p in r.reply.problems if p not in problems] or [
                    "the validator refused it without a reason"
                ]
        if not problems:
            return {
                **out,
                "rejections": 0,
                "timeline": _event(ctx, "validated", policy=policy["id"], api=policy["api"]),
            }
        rejections = state.get("rejections", 0) + 1
        out |= {
            "pending": None,
            "problem": "; ".join(problems),
            "rejections": rejections,
            "corrected": state.get("corrected", 0) + 1,
            "timeline": _event(
                ctx, "rejected", policy=policy["id"], api=policy["api"], problems=problems
            ),
        }
        if rejections > ctx.settings.max_rejections:
            fail = _failed(
                ctx,
                f"no valid policy after {rejections} tries: {problems[0]} "
                "(nothing unvalidated was executed)",
                "validator",
            )
            return {**out, **fail, "timeline": out["timeline"] + fail["timeline"]}
        return out

    def execute(state: AssureState, runtime: Runtime[AssureContext]) -> dict[str, Any]:
        ctx = runtime.context
        policy = state["pending"]
        assert policy is not None
        phase = policy["phase"]
        started = time.perf_counter()
        result = ctx.executor.call(policy["api"], policy["args"])
        spent = time.perf_counter() - started
        entry = {
            **policy,
            "success": result.success,
            "state": result.state,
            "error": result.error,
            "seconds": round(spent, 4),
        }
        out: dict[str, Any] = {
            "pending": None,
            "history": [entry],
            "usage": {phase: {"exec_s": spent, "executed": 1}},
            "timeline": _event(
                ctx,
                "executed",
                policy=policy["id"],
                api=policy["api"],
                success=result.success,
                error=result.error,
            ),
        }
        if result.success:
            return {**out, "problem": None, "failures": 0}
        failures = state.get("failures", 0) + 1
        out |= {"problem": f"{policy['api']} failed: {result.error}", "failures": failures}
        if phase == "assure":
            out["failed_actions"] = [*state.get("failed_actions", []), policy["action_key"]]
            out["queue"] = []
        if failures >= ctx.settings.max_failures:
            fail = _failed(
                ctx, f"{failures} failed executions in a row, last: {result.error}", "executor"
            )
            return {**out, **fail, "timeline": out["timeline"] + fail["timeline"]}
        ctx.sleep(ctx.settings.period_s * ctx.settings.backoff ** (failures - 1))
        return out

    def monitor(state: AssureState, runtime: Runtime[AssureContext]) -> dict[str, Any]:
        ctx, s = runtime.context, runtime.context.settings
        period = state.get("period", 0) + 1
        misses = state.get("monitor_failures", 0)
        if period > 1 or misses:
            ctx.sleep(s.period_s * (s.backoff**misses if misses else 1.0))
        if ctx.on_period is not None:
            ctx.on_period(period)
        history = state.get("history", [])
        try:
            observed = ctx.executor.observe()
        except MonitoringDown as exc:
            misses += 1
            missed: dict[str, Any] = {
                "monitor_failures": misses,
                "timeline": _event(ctx, "monitoring_down", attempt=misses, reason=str(exc)),
            }
            if misses > s.max_monitor_failures:
                fail = _failed(ctx, f"monitoring down {misses} times in a row", "monitor")
                return {**missed, **fail, "timeline": missed["timeline"] + fail["timeline"]}
            return missed
        elapsed = s.period_s if period > 1 else 0.0
        health_before = state.get("last_health")
        down = state.get("down_s", 0.0) + (elapsed if health_before == 0 else 0.0)
        planned = max(state.get("planned_s", 0.0) + elapsed, s.period_s)
        observed["downtime"] = {"planned_s": planned, "down_s": min(down, planned)}
        try:
            report = assess_documents(drift_targets(intent_of(state), history), observed)
        except DriftInputError as exc:
            return _failed(ctx, f"cannot assess the service: {exc}", "monitor")
        rj = report.to_json()
        if ctx.live is not None:
            ctx.live.update(rj["assurance-graph"], period)
        health = report.service_health_pct
        events = _event(
            ctx,
            "health",
            period=period,
            service_health_pct=health,
            composite=rj["composite_health"],
            availability_met=report.availability.met,
        )
        drifted = state.get("drifted", False)
        out: dict[str, Any] = {
            "period": period,
            "monitor_failures": 0,
            "report": rj,
            "last_health": health,
            "down_s": down,
            "planned_s": planned,
        }
        if health < 100:
            events += _event(
                ctx, "drift", period=period, service_health_pct=health, distance=report.distance
            )
            out["drifted"] = True
        elif drifted:
            events += _event(ctx, "recovered", period=period, service_health_pct=health)
            out |= {"drifted": False, "failed_actions": [], "status": "assured"}
        out["timeline"] = events
        return out

    def assure(state: AssureState, runtime: Runtime[AssureContext]) -> dict[str, Any]:
        ctx = runtime.context
        report = state["report"]
        assert report is not None
        targets = intent_of(state).kpi_vector()
        failed = state.get("failed_actions", [])
        offered = [
            a for a in report["actions"] if f"{a['action']}:{a['sub-service']}" not in failed
        ]
        if not offered:
            return {
                "queue": [],
                "timeline": _event(
                    ctx,
                    "no_action",
                    reason=(
                        "every offered action failed" if report["actions"] else "no action offered"
                    ),
                ),
            }
        try:
            r = ctx.assure(report, targets, failed)
        except StageFailed as exc:
            return {**_failed(ctx, str(exc), "assurance"), "queue": []}
        queue: list[dict[str, Any]] = []
        n = len([h for h in state.get("history", []) if h["phase"] == "assure"])
        for choice in r.reply.actions:
            key = f"{choice.action}:{choice.subservice}"
            steps = [
                (choice.action, {"name": choice.subservice}),
                ("validate", {"names": [choice.subservice]}),
                ("start", {"names": [choice.subservice], "service": "netflow"}),
            ]
            for api, args in steps:
                n += 1
                queue.append(
                    {"id": f"R{n}", "api": api, "args": args, "phase": "assure", "action_key": key}
                )
        chosen = [f"{c.action} {c.subservice} (penalty {c.penalty:g})" for c in r.reply.actions]
        return {
            "queue": queue,
            "usage": {"assure": {"llm_calls": r.calls, "llm_s": r.llm_s, "generated": len(queue)}},
            "timeline": _event(
                ctx, "assurance_decision", actions=chosen, reasoning=r.reply.reasoning
            ),
        }

    def next_action(state: AssureState) -> dict[str, Any]:
        queue = list(state.get("queue", []))
        return {"pending": queue.pop(0), "queue": queue}

    # -- routing ---------------------------------------------------------------------------
    def after_classify(state: AssureState) -> str:
        return END if state.get("status") == "failed" else "generate"

    def after_generate(state: AssureState) -> str:
        if state.get("status") == "failed":
            return END
        if state.get("pending"):
            return "validate"
        return "monitor" if state.get("phase") == "assure" else "generate"

    def after_validate(state: AssureState) -> str:
        if state.get("status") == "failed":
            return END
        if state.get("pending"):
            return "execute"
        return "generate" if state.get("phase") == "fulfil" else "monitor"

    def after_execute(state: AssureState) -> str:
        if state.get("status") == "failed":
            return END
        if state.get("phase") == "fulfil":
            return "generate"
        return "next_action" if state.get("queue") else "monitor"

    def after_monitor(state: AssureState, runtime: Runtime[AssureContext]) -> str:
        s = runtime.context.settings
        if state.get("status") == "failed":
            return END
        if state.get("monitor_failures", 0):
            return "monitor"
        if s.stop_when_recovered and state.get("status") == "assured":
            return END
        if state.get("period", 0) >= s.periods:  # bounded even while drifting
            return END
        return "assure" if state.get("drifted") else "monitor"

    def after_assure(state: AssureState) -> str:
        if state.get("status") == "failed":
            return END
        return "next_action" if state.get("queue") else "monitor"

    g = StateGraph(AssureState, context_schema=AssureContext)
    for name, fn in (
        ("classify", classify),
        ("generate", generate),
        ("validate", validate),
        ("execute", execute),
        ("monitor", monitor),
        ("assure", assure),
        ("next_action", next_action),
    ):
        g.add_node(name, fn)
    g.add_edge(START, "classify")
    g.add_conditional_edges("classify", after_classify, ["generate", END])
    g.add_conditional_edges("generate", after_generate, ["validate", "generate", "monitor", END])
    g.add_conditional_edges("validate", after_validate, ["execute", "generate", "monitor", END])
    g.add_conditional_edges("execute", after_execute, ["generate", "next_action", "monitor", END])
    g.add_conditional_edges("monitor", after_monitor, ["monitor", "assure", END])
    g.add_conditional_edges("assure", after_assure, ["next_action", "monitor", END])
    g.add_edge("next_action", "validate")
    return g.compile(checkpointer=checkpointer)
