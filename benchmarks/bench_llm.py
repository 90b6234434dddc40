"""Embedded LLM figures: load time, prompt and constrained-generation speed, prefix reuse.

Run: .venv/bin/python benchmarks/bench_llm.py [--models local,local:gemma-3-270m]

Prints, per shipped model: the load time of a fresh llama.cpp object; prompt (prefill) speed
on a ~500-token prompt; generation speed under a JSON-schema grammar; and the prefill time of
a ~500-token system prefix cold (fresh KV cache) and warm (the previous call on the same
object shared the prefix, so llama.cpp evaluates only the new suffix).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from maestro.agents.providers import (
    LocalChatModel,
    ModelOptions,
    bind_json_schema,
    clear_model_cache,
    load_chat_model,
)
from maestro.agents.providers.local import agent_key

SCHEMA = {
    "type": "object",
    "properties": {
        "value": {"type": "number"},
        "reasoning": {"type": "string", "pattern": "^[A-Za-z0-9 ,.%'()-]{1,160}$"},
    },
    "required": ["value", "reasoning"],
}

RULES = (
    "Rule {i}: the operator may request a share of the cell throughput between the lower and "
    "upper bound of the slice, must respect the regulator's fair-access duty, and must state "
    "its reasoning in one sentence without revealing private business plans. "
)


def system_prefix(model: LocalChatModel, target_tokens: int = 500) -> str:
    text, i = "", 0
    while len(model.llama.tokenize(text.encode())) < target_tokens:
        text += RULES.format(i=i)
        i += 1
    return text


def timed(model: Any, messages: list[BaseMessage], **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    reply = model.invoke(messages, **kwargs)
    return time.perf_counter() - start, reply


def bench(model_id: str, repeats: int, gen_tokens: int) -> dict[str, float]:
    clear_model_cache()
    options = ModelOptions(n_ctx=2048, max_tokens=gen_tokens, temperature=0.2, seed=1)
    start = time.perf_counter()
    model = load_chat_model(model_id, options)
    load_s = time.perf_counter() - start
    assert isinstance(model, LocalChatModel)
    prefix = system_prefix(model)

    cold, warm, prompt_rates = [], [], []
    for r in range(repeats):
        question = [SystemMessage(prefix), HumanMessage(f"Round {r}: propose a value.")]
        # forget this agent's KV cache: the next call prefills everything
        model.loaded.for_agent(agent_key(question)).reset()
        seconds, reply = timed(model, question, max_tokens=1)
        cold.append(seconds)
        prompt_rates.append(reply.usage_metadata["input_tokens"] / seconds)
        follow_up = [SystemMessage(prefix), HumanMessage(f"Round {r}: the mediator says 70.")]
        seconds, _ = timed(model, follow_up, max_tokens=1)  # same prefix: only the suffix
        warm.append(seconds)

    runnable = bind_json_schema(model, SCHEMA, "proposal")
    ask = "Propose a cell throughput in Mbps as JSON with a reason."
    short: list[BaseMessage] = [HumanMessage(ask)]
    gen_rates = []
    for r in range(repeats):
        model.loaded.for_agent(agent_key(short)).reset()
        timed(model, short, max_tokens=1)  # prefill the short prompt first
        seconds, reply = timed(runnable, short, seed=r)
        gen_rates.append(reply.usage_metadata["output_tokens"] / seconds)
    return {
        "load_s": load_s,
        "prefix_tokens": float(len(model.llama.tokenize(prefix.encode()))),
        "prompt_tok_s": statistics.median(prompt_rates),
        "json_gen_tok_s": statistics.median(gen_rates),
        "cold_prefill_s": statistics.median(cold),
        "warm_prefill_s": statistics.median(warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="local,local:gemma-3-270m")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gen-tokens", type=int, default=96)
    args = parser.parse_args()
    print("bench_llm: embedded llama.cpp models (median of", args.repeats, "runs)")
    header = (
        f"{'model':<22}{'load s':>8}{'prompt tok/s':>14}{'json gen tok/s':>16}"
        f"{'prefix tok':>12}{'cold s':>9}{'warm s':>9}{'cold/warm':>11}"
    )
    print(header)
    for model_id in args.models.split(","):
        f = bench(model_id.strip(), args.repeats, args.gen_tokens)
        print(
            f"{model_id:<22}{f['load_s']:>8.2f}{f['prompt_tok_s']:>14.0f}"
            f"{f['json_gen_tok_s']:>16.1f}{f['prefix_tokens']:>12.0f}"
            f"{f['cold_prefill_s']:>9.2f}{f['warm_prefill_s']:>9.3f}"
            f"{f['cold_prefill_s'] / f['warm_prefill_s']:>11.1f}"
        )


if __name__ == "__main__":
    main()
