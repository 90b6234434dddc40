"""Schema-driven JSON generation on llama.cpp: the model writes the values, not the braces.

With a whole-reply grammar, every character of `{"value": 60, "unit": "Mbps", "reasoning":
"..."}` is decoded one token at a time, although only the number and the sentence are the
model's choice: for a short operator reply about half the decoded tokens are forced keys,
quotes and constants. Here the reply is planned from the JSON schema as a sequence of
literal text (keys, punctuation, `const` values), which llama.cpp evaluates as part of the
prompt in one batch, and fields, which the model generates under a small grammar for that
field alone. Each field's grammar ends the field the way JSON does (a closing quote, or the
comma or brace after a number), so the model decides where a value ends with the same
tokens it would use in free JSON. The result is the same JSON text the whole-reply grammar
would produce, at a fraction of the decode steps.

Schemas outside the plan (arrays, unions, patterns, free-form objects) return no plan and
the caller keeps the whole-reply grammar.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import re
from collections.abc import Callable, Generator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import top_first

# A JSON string's characters, escapes included (the same rule llama.cpp's schema converter uses).
_CHAR_RULE = r'char ::= [^"\\\x7F\x00-\x1F] | [\\] (["\\bfnrt] | "u" [0-9a-fA-F]{4})'
_NUMBER = r'"-"? ([0-9] | [1-9] [0-9]{0,8}) ("." [0-9]{1,4})?'
_INTEGER = r'"-"? ([0-9] | [1-9] [0-9]{0,8})'


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Field:
    """One value the model writes. `grammar` is a GBNF root; `finish` takes the text written so
    far and returns the field's final text once it is a whole value (so decoding stops without
    spending a step on end-of-sequence), else None."""

    grammar: str
    finish: Callable[[str], str | None]
    max_tokens: int
    consumes: str = ""  # the first character of the next literal, which this field writes


Step = Literal | Field


def _gbnf(body: str, *rules: str) -> str:
    return "\n".join((f"root ::= {body}", *rules))


# A sentence ends at . ! or ? (a closing quote or bracket may follow) before white space;
# "134.4" or "e.g." inside a word does not end it.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?(?=\s)")


def _closed_json_string(text: str) -> bool:
    s = text.lstrip()
    if len(s) < 2 or not s.endswith('"'):
        return False
    try:
        json.loads(s)
    except ValueError:
        return False
    return True


# The same 3-40 characters three times at the end: a small model caught in a loop
# ("100 Mbps, 100 Mbps, 100 Mbps, ...") would otherwise decode to the length limit.
_LOOP = re.compile(r"\b(.{3,40}?)\1\1$", re.DOTALL)


def _string_finish(one_sentence: bool, lo: int) -> Callable[[str], str | None]:
    def finish(text: str) -> str | None:
        if _closed_json_string(text):
            return text
        if one_sentence:
            opening = text.find('"')
            end = _SENTENCE_END.search(text, opening + 1 + max(lo - 1, 0))
            if opening >= 0 and end is not None:
                # The model began a second sentence: keep the first, close the string.
                return text[: end.end()] + '"'
            loop = _LOOP.search(text, opening + 1) if opening >= 0 else None
            if loop is not None:  # keep the first round of the loop
                kept = text[: loop.start() + len(loop.group(1))].rstrip(" ,;")
                if len(kept) > opening + lo:
                    return kept + '"'
        return None

    return finish


def _string_field(node: dict[str, Any], one_sentence: bool) -> Field | None:
    if "pattern" in node or "format" in node:
        return None
    lo = int(node.get("minLength", 0))
    hi = node.get("maxLength")
    if hi is None:
        return None  # an unbounded string can run to the token limit: keep the full grammar
    hi = int(hi)
    body = f'" "? "\\"" char{{{lo},{hi}}} "\\""'
    return Field(_gbnf(body, _CHAR_RULE), _string_finish(one_sentence, lo), hi + 4)


def _enum_field(values: Sequence[Any]) -> Field | None:
    if not values or not all(isinstance(v, str | int | float | bool) for v in values):
        return None
    encoded = [json.dumps(v) for v in values]
    alternatives = " | ".join(json.dumps(e) for e in encoded)
    allowed = set(encoded)

    def finish(text: str) -> str | None:
        s = text.strip()
        # A value that is a prefix of a longer one is not finished yet.
        whole = s in allowed and not any(e != s and e.startswith(s) for e in encoded)
        return text if whole else None

    return Field(_gbnf(f'" "? ({alternatives})'), finish, 4 + max(len(e) for e in encoded))


def _boolean_finish(text: str) -> str | None:
    return text if text.strip() in ("true", "false") else None


def _number_field(integer: bool, terminator: str) -> Field:
    """A number ends at the character JSON puts after it, which the grammar requires."""
    body = f'" "? ({_INTEGER if integer else _NUMBER}) {json.dumps(terminator)}'
    # The whole value, not only its last character: when the terminator is a space (a number
    # before " }"), the optional leading space alone would otherwise end an empty number.
    whole = re.compile(r" ?-?[0-9]+(\.[0-9]+)?" + re.escape(terminator))

    def finish(text: str) -> str | None:
        return text if whole.fullmatch(text) else None

    return Field(_gbnf(body), finish, 16, consumes=terminator)


def _value_steps(node: dict[str, Any], after: str, one_sentence: bool) -> list[Step] | None:
    """Steps for one value; `after` is the literal that follows it (a number needs it)."""
    if "const" in node:
        return [Literal(" " + json.dumps(node["const"]))]
    if "enum" in node:
        field = _enum_field(node["enum"])
        return [field] if field else None
    kind = node.get("type")
    if kind == "object":
        return _object_steps(node, one_sentence)
    if kind == "string":
        string = _string_field(node, one_sentence)
        return [string] if string else None
    if kind == "boolean":
        field = Field(_gbnf('" "? ("true" | "false")'), _boolean_finish, 3)
        return [field]
    if kind in ("number", "integer") and after:
        return [_number_field(kind == "integer", after[0])]
    return None


def _object_steps(node: dict[str, Any], one_sentence: bool) -> list[Step] | None:
    props: dict[str, Any] = node.get("properties") or {}
    required = set(node.get("required") or ())
    if not props or set(props) != required or node.get("additionalProperties", False):
        return None  # optional or extra keys are the model's choice: not a fixed plan
    # Spaced as the model writes JSON itself under a grammar: with `{"value":` it followed
    # the recommended value less often (16 of 20 replies against 20 of 20).
    steps: list[Step] = [Literal("{ ")]
    names = list(props)
    for i, name in enumerate(names):
        steps.append(Literal(("" if i == 0 else ", ") + json.dumps(name) + ":"))
        follows = ", " if i + 1 < len(names) else " }"
        value = _value_steps(props[name], follows, one_sentence)
        if value is None:
            return None
        steps.extend(value)
    steps.append(Literal(" }"))
    return steps


def plan(schema: dict[str, Any] | None, one_sentence: bool = False) -> list[Step] | None:
    """The reply as literals and fields, or None when the schema is outside the plan.

    With `one_sentence`, a string ends where the model starts a second sentence (our prompts
    ask for one short sentence per string; a small model otherwise runs on to the length
    limit, which costs a decode step per token)."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return None
    steps = _object_steps(schema, one_sentence)
    if steps is None:
        return None
    return _merge(_consume_terminators(steps))


def _consume_terminators(steps: list[Step]) -> list[Step]:
    """A number's grammar writes the first character of the literal after it: drop it there."""
    out: list[Step] = []
    for i, step in enumerate(steps):
        prev = steps[i - 1] if i else None
        if isinstance(step, Literal) and isinstance(prev, Field) and prev.consumes:
            rest = step.text[len(prev.consumes) :]
            if rest:
                out.append(Literal(rest))
            continue
        out.append(step)
    return out


def _merge(steps: list[Step]) -> list[Step]:
    out: list[Step] = []
    for step in steps:
        if isinstance(step, Literal) and out and isinstance(out[-1], Literal):
            out[-1] = Literal(out[-1].text + step.text)
        else:
            out.append(step)
    return out


@dataclass
class FillResult:
    text: str
    generated_tokens: int  # sampled by the model
    forced_tokens: int  # literal tokens evaluated in batches
    finished: bool  # every field ended as JSON ends it


def fill(
    llama: Any,
    prompt_tokens: list[int],
    steps: list[Step],
    grammar: Callable[[str], Any],
    sample: dict[str, Any],
    max_tokens: int,
    prefill: Callable[[], AbstractContextManager[Any]] | None = None,
    seed: int | None = None,
) -> FillResult:
    """Run the plan on `llama` (a `llama_cpp.Llama`); `grammar` makes a LlamaGrammar.

    `prefill()` is the context each chunk of evaluated tokens (the prompt, then the literals
    between fields) runs in: the caller sets its threads to the cores free at that moment."""
    tokens = list(prompt_tokens)
    text, generated, forced = "", 0, 0
    draws = None if seed is None else np.random.default_rng(seed)  # one stream per reply
    for step in steps:
        if isinstance(step, Literal):
            ids = llama.tokenize(step.text.encode("utf-8"), add_bos=False, special=False)
            tokens.extend(ids)
            forced += len(ids)
            text += step.text
            continue
        budget = min(step.max_tokens, max_tokens - generated)
        value, ids = _field(
            llama, tokens, step, grammar(step.grammar), sample, budget, prefill, draws
        )
        generated += len(ids)
        final = step.finish(value)
        if final is None:
            return FillResult(text + value, generated, forced, finished=False)
        kept = _tokens_within(llama, ids, final)
        tokens.extend(kept)
        rest = final[len(_decode(llama, kept)) :]
        if rest:  # what the framework wrote to end the field (a closing quote)
            tail = llama.tokenize(rest.encode("utf-8"), add_bos=False, special=False)
            tokens.extend(tail)
            forced += len(tail)
        text += final
    return FillResult(text, generated, forced, finished=True)


def _decode(llama: Any, ids: list[int]) -> str:
    # Decoded whole: a multi-byte character can span tokens.
    return str(llama.detokenize(ids).decode("utf-8", errors="ignore"))


def _tokens_within(llama: Any, ids: list[int], final: str) -> list[int]:
    """The longest run of generated tokens whose text is a prefix of the field's final text."""
    for n in range(len(ids), 0, -1):
        if final.startswith(_decode(llama, ids[:n])):
            return ids[:n]
    return []


def _field(
    llama: Any,
    tokens: list[int],
    step: Field,
    grammar: Any,
    sample: dict[str, Any],
    budget: int,
    prefill: Callable[[], AbstractContextManager[Any]] | None,
    draws: np.random.Generator | None,
) -> tuple[str, list[int]]:
    value, ids = "", []
    stream: Generator[int, Any, None]
    if top_first.supported(llama):  # evaluates the prompt chunk by chunk inside `prefill()`
        stream = top_first.generate(llama, tokens, grammar, sample, draws, prefill)
        first_guard: AbstractContextManager[Any] = contextlib.nullcontext()
    else:
        stream = llama.generate(tokens, grammar=grammar, **sample)
        first_guard = prefill() if prefill else contextlib.nullcontext()
    eos = llama.token_eos()
    with first_guard:
        first = next(stream, None)  # the prompt is evaluated before the first token
    for token in itertools.chain([] if first is None else [first], stream):
        if token == eos or budget <= 0:
            break
        ids.append(token)
        budget -= 1
        value = _decode(llama, ids)
        if step.finish(value) is not None or budget <= 0:  # never evaluate a token unused
            break
    stream.close()
    return value, ids


def _named_formatters() -> dict[str, Any]:
    from llama_cpp import llama_chat_format as fmt

    return {
        "chatml": fmt.format_chatml,
        "gemma": fmt.format_gemma,
        "llama-3": fmt.format_llama3,
        "mistral-instruct": fmt.format_mistral_instruct,
    }


@functools.lru_cache(maxsize=8)
def _jinja(template: str, eos: str, bos: str) -> Any:
    from llama_cpp import llama_chat_format as fmt

    return fmt.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)


def prompt_tokens(llama: Any, messages: list[dict[str, str]]) -> list[int] | None:
    """The chat prompt as `create_chat_completion` would tokenize it, or None for a chat
    format we do not render ourselves (the caller then keeps the whole-reply grammar)."""

    name = llama.chat_format
    if name == "chat_template.default":
        template = llama.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        eos, bos = llama.token_eos(), llama.token_bos()
        formatter = _jinja(
            template,
            llama.detokenize([eos], special=True).decode("utf-8") if eos >= 0 else "",
            llama.detokenize([bos], special=True).decode("utf-8") if bos >= 0 else "",
        )
    else:
        formatter = _named_formatters().get(name)
        if formatter is None:
            return None
    result = formatter(messages=messages)
    ids: list[int] = llama.tokenize(
        result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
    )
    return ids
