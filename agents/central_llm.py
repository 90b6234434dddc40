"""The central LLM unit: turns the units' context into a prompt and asks for JSON.

The system prompt is prefix-stable (shared preamble first, then the role, then the private
part) so llama.cpp's prompt cache reuses it across calls; the round's data comes last.
"""

from __future__ import annotations

import json
import time
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from maestro.agents.domain import Personality, Topic
from maestro.agents.model_pool import ModelPool
from maestro.agents.prompting import fmt, personality_text, render
from maestro.agents.providers import FACTS_KEY, bind_json_schema
from maestro.agents.turn import AgentTurn, Unit

REASONING_MAX = 90  # bounded strings keep grammar-constrained replies short and parseable
SENTENCE_MAX = 80
UNIT_ORDER = ("extraction", "arbitral", "regulatory", "observability", "optimizer")


def operator_schema(topic: Topic) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "value": {"type": "number"},
            "unit": {"type": "string", "enum": [topic.unit]},
            "reasoning": {"type": "string", "minLength": 1, "maxLength": REASONING_MAX},
        },
        "required": ["value", "unit", "reasoning"],
        "additionalProperties": False,
    }


def mediator_schema(operator_ids: list[str]) -> dict[str, Any]:
    sentence = {"type": "string", "minLength": 1, "maxLength": SENTENCE_MAX}
    return {
        "type": "object",
        "properties": {
            "summary": sentence,
            "feedback": {
                "type": "object",
                "properties": {op: sentence for op in operator_ids},
                "required": operator_ids,
                "additionalProperties": False,
            },
        },
        "required": ["summary", "feedback"],
        "additionalProperties": False,
    }


def schema_for(turn: AgentTurn) -> dict[str, Any]:
    if turn["role"] == "mediator":
        return mediator_schema(sorted(turn["inbox"]["proposals"]))
    return operator_schema(Topic.model_validate(turn["topic"]))


def situation(turn: AgentTurn) -> tuple[str, str, dict[str, Any]]:
    """The units' prompt lines in pipeline order, their closing lines, and their merged facts."""
    context = turn.get("context") or {}
    lines: list[str] = []
    closing: list[str] = []
    facts: dict[str, Any] = {"role": turn["role"], "unit": turn["topic"]["unit"]}
    for name in (*UNIT_ORDER, *sorted(set(context) - set(UNIT_ORDER))):
        part = context.get(name)
        if part:
            lines.extend(part.get("lines", []))
            if part.get("closing"):
                closing.append(part["closing"])
            facts.update(part.get("facts", {}))
    return "\n".join(lines), "\n".join(closing), facts


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
    text, closing, facts = situation(turn)
    if turn["role"] == "mediator":
        system = render("mediator_system.txt", personality=personality)
        user = render(
            "mediator_round.txt",
            round=turn["round"],
            max_rounds=turn["max_rounds"],
            proposals=facts.get("proposal_lines", ""),
            mediator_value=fmt(facts.get("mediator_value")),
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
        user = render(
            "operator_round.txt", round=turn["round"], max_rounds=turn["max_rounds"], situation=text
        )
        if closing:
            user += "\n" + closing
    return [
        {"role": "system", "content": preamble + "\n" + system},
        {"role": "user", "content": user},
    ]


def to_langchain(messages: list[dict[str, str]], facts: dict[str, Any]) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for m in messages:
        if m["role"] == "system":
            out.append(SystemMessage(content=m["content"]))
        elif m["role"] == "assistant":
            out.append(AIMessage(content=m["content"]))
        else:
            out.append(HumanMessage(content=m["content"], additional_kwargs={FACTS_KEY: facts}))
    return out


def make_central_llm_unit(pool: ModelPool) -> Unit:
    def central_llm(turn: AgentTurn) -> dict[str, Any]:
        messages = list(turn.get("messages") or build_messages(turn))
        attempts = turn.get("attempts") or []
        if turn.get("retry_error") and attempts:
            messages.append({"role": "assistant", "content": attempts[-1].get("text") or ""})
            messages.append(
                {"role": "user", "content": render("retry.txt", error=turn["retry_error"])}
            )
        _, _, facts = situation(turn)
        model = pool.get(turn["model"])
        runnable = bind_json_schema(model, schema_for(turn), f"{turn['role']}_reply")
        started = time.perf_counter()
        attempt: dict[str, Any] = {"text": None, "error": None}
        tokens_in = tokens_out = 0
        compute_s = None
        try:
            reply = runnable.invoke(to_langchain(messages, facts))
            attempt["text"] = (
                reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
            )
            usage = getattr(reply, "usage_metadata", None) or {}
            compute_s = (getattr(reply, "response_metadata", None) or {}).get("compute_s")
            tokens_in, tokens_out = (
                int(usage.get("input_tokens", 0)),
                int(usage.get("output_tokens", 0)),
            )
        except Exception as exc:  # any endpoint failure is one failed attempt, never a crash
            attempt["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        llm_wall_s = time.perf_counter() - started
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
            },
        }

    return Unit("central_llm", central_llm)
