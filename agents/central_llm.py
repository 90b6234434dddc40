"""The central LLM unit: turns the units' context into a prompt and asks for JSON.

The system prompt is prefix-stable (shared preamble first, then the role, then the private
part) so llama.cpp's prompt cache reuses it across calls; the round's data comes last.
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from maestro.agents.deadline import DeadlineExceeded, call_before
from maestro.agents.domain import Personality, Topic
from maestro.agents.model_pool import ModelPool
from maestro.agents.prompting import fmt, personality_text, render
from maestro.agents.providers import (
    ContextOverflowError,
    ModelCallError,
    bind_json_schema,
    reads_facts,
)
from maestro.agents.replies import reply_model, reply_schema
from maestro.agents.turn import AgentTurn, Unit, mediator_point, unit_fact

UNIT_ORDER = ("extraction", "arbitral", "regulatory", "observability", "optimizer")
GUIDANCE_NOTES = {
    "soft": "When the optimizer recommends a value, you may deviate from it with a reason.",
    "hard": "When the optimizer requires a value, propose exactly that value.",
}


def situation(turn: AgentTurn) -> tuple[str, str, str]:
    """The units' stable lines, round lines and closing lines, each in pipeline order."""
    context = turn.get("context") or {}
    stable: list[str] = []
    lines: list[str] = []
    closing: list[str] = []
    for name in (*UNIT_ORDER, *sorted(set(context) - set(UNIT_ORDER))):
        part = context.get(name)
        if part:
            stable.extend(part.get("stable_lines", []))
            lines.extend(part.get("lines", []))
            if part.get("closing"):
                closing.append(part["closing"])
    return "\n".join(stable), "\n".join(lines), "\n".join(closing)


def script_facts(turn: AgentTurn) -> dict[str, Any]:
    """The numbers a scripted model answers from, each taken from the unit that owns it."""
    facts: dict[str, Any] = {"role": turn["role"], "unit": turn["topic"]["unit"]}
    if turn["role"] == "mediator":
        facts["point"] = mediator_point(turn)
        facts["proposals"] = unit_fact(turn, "extraction", "proposals") or {}
    else:
        facts["suggested"] = unit_fact(turn, "optimizer", "suggested")
        facts["feedback_point"] = unit_fact(turn, "extraction", "feedback_point")
        facts["target"] = unit_fact(turn, "extraction", "target")
        facts["previous"] = turn.get("previous")
        # The spec's personality, so a script can play it (`scripted:personas`).
        facts["personality"] = str(turn["spec"].get("personality", "normal"))
    return facts


WITHHELD = "(withheld: no arbitral unit judged it)"


def proposal_lines(turn: AgentTurn, unit: str) -> str:
    """The mediator's view of the proposals: each value with its reasoning as the arbitral
    unit contained it; a reasoning nobody judged is not shown at all."""
    values: dict[str, float] = unit_fact(turn, "extraction", "proposals") or {}
    contained: dict[str, str] = unit_fact(turn, "arbitral", "contained") or {}
    return "\n".join(
        f"- {op}: {fmt(values[op])} {unit}, reason {contained.get(op, WITHHELD)}"
        for op in sorted(values)
    )


def build_messages(turn: AgentTurn) -> list[dict[str, str]]:
    topic = Topic.model_validate(turn["topic"])
    spec = turn["spec"]
    preamble = render(
        "shared_preamble.txt",
        topic_description=topic.description,
        unit=topic.unit,
        lower=fmt(topic.lower),
        upper=fmt(topic.upper),
        epsilon=fmt(turn["epsilon"]),
    )
    personality = personality_text(Personality(spec.get("personality", "normal")))
    stable, text, closing = situation(turn)
    if turn["role"] == "mediator":
        system = render("mediator_system.txt", personality=personality)
        user = render(
            "mediator_round.txt",
            round=turn["round"],
            max_rounds=turn["max_rounds"],
            proposals=proposal_lines(turn, topic.unit),
            mediator_value=fmt(mediator_point(turn)),
            unit=topic.unit,
            situation=text,
            operator_ids=", ".join(sorted(turn["inbox"]["proposals"])),
        )
    else:
        system = render(
            "operator_system.txt",
            display_name=spec["display_name"],
            objective=spec["objective"],
            business_intent=spec.get("business_intent") or "none stated",
            unit=topic.unit,
            personality=personality,
        )
        # Said once in the fixed system text, not in the round's line: the small model
        # copied "you may deviate with a reason" into its reasoning.
        note = GUIDANCE_NOTES.get(str(spec.get("guidance", "soft")), "")
        system += f"\n{note}" if note else ""
        user = render(
            "operator_round.txt", round=turn["round"], max_rounds=turn["max_rounds"], situation=text
        )
        if closing:
            user += "\n" + closing
    if stable:  # first, so a round that repeats it reuses its evaluated tokens
        user = stable + "\n" + user
    return [
        {"role": "system", "content": preamble + "\n" + system},
        {"role": "user", "content": user},
    ]


def to_langchain(messages: list[dict[str, str]]) -> list[BaseMessage]:
    kinds: dict[str, type[BaseMessage]] = {
        "system": SystemMessage,
        "assistant": AIMessage,
        "user": HumanMessage,
    }
    return [kinds[m["role"]](content=m["content"]) for m in messages]


def model_call_error(exc: Exception, turn: AgentTurn) -> ModelCallError:
    """The failure as the run reports it: which agent, which round, which model, and why."""
    if isinstance(exc, ModelCallError):
        kind, status = exc.kind, exc.status_code
    else:
        kind = "context_overflow" if isinstance(exc, ContextOverflowError) else "failed"
        status = None
    detail = str(exc) if isinstance(exc, ModelCallError) else f"{type(exc).__name__}: {exc}"
    error = ModelCallError(
        f"{turn['agent']}, round {turn['round']}, model {turn['model']}: {detail[:400]}",
        kind=kind,
        status_code=status,
    )
    error.agent, error.round = turn["agent"], turn["round"]
    return error


class HasModels(Protocol):
    """What the unit needs from the run's context: the pool of models for this run (and,
    read when present, its `deadline`)."""

    pool: ModelPool


def make_central_llm_unit() -> Unit:
    def central_llm(turn: AgentTurn, runtime: Runtime[Any]) -> dict[str, Any]:
        context: HasModels = runtime.context
        pool = context.pool
        messages = list(turn.get("messages") or build_messages(turn))
        attempts = turn.get("attempts") or []
        if turn.get("retry_error") and attempts:
            messages.append({"role": "assistant", "content": attempts[-1].get("text") or ""})
            messages.append(
                {"role": "user", "content": render("retry.txt", error=turn["retry_error"])}
            )
        model = pool.get(turn["model"])
        schema = reply_schema(reply_model(turn))
        runnable = bind_json_schema(model, schema, f"{turn['role']}_reply")
        # Only a model that declares it reads facts gets them: a real provider would send
        # any extra argument to its endpoint.
        extra: dict[str, Any] = {"facts": script_facts(turn)} if reads_facts(model) else {}
        prompt = to_langchain(messages)
        where = f"{turn['agent']}'s model call in round {turn['round']}"
        started = time.perf_counter()
        try:
            reply = call_before(
                getattr(context, "deadline", None),
                where,
                lambda: runnable.invoke(prompt, None, **extra),
            )
        except DeadlineExceeded:
            raise
        except Exception as exc:  # no reply at all: not a bad reply to retry or fall back from
            raise model_call_error(exc, turn) from exc
        attempt: dict[str, Any] = {
            "text": reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
        }
        usage = getattr(reply, "usage_metadata", None) or {}
        compute_s = (getattr(reply, "response_metadata", None) or {}).get("compute_s")
        tokens_in = int(usage.get("input_tokens", 0))
        tokens_out = int(usage.get("output_tokens", 0))
        ended = time.perf_counter()
        llm_wall_s = ended - started
        # Model time is what the model computed; waiting for another agent's turn on a shared
        # model is neither model nor framework time, so the node subtracts the whole call.
        seconds = float(compute_s) if compute_s is not None else llm_wall_s
        attempt["seconds"] = round(seconds, 4)
        return {
            "messages": messages,
            "attempts": [attempt],
            "retry_error": None,
            "usage": {
                "llm_calls": 1,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "model_s": seconds,
                "llm_wall_s": llm_wall_s,
                # When the call ran: parallel calls overlap, so the run's model time is the
                # union of these spans, not their sum.
                "model_spans": [(started, ended)],
            },
        }

    return Unit("central_llm", central_llm)
