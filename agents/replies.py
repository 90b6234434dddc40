"""The reply contract: one pydantic model per role and turn.

The same model gives the JSON schema the grammar enforces (`reply_schema`), the validation
of the reply text (`parse_reply`, through `model_validate_json`) and the words that send the
LLM back when a reply fails (`ReplyError`). Nothing else checks a reply by hand, so the
schema and the checks cannot drift apart.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)

from maestro.agents.domain import REASONING_MAX, Topic
from maestro.agents.turn import AgentTurn

SENTENCE_MAX = 80  # the mediator's summary and each feedback sentence
_ERRORS_SHOWN = 3


def _without_cut_word(limit: int) -> AfterValidator:
    """A text that fills its whole length was most likely cut by the grammar mid-word, and a
    cut number says something else ("capacity of 134" ends as "capacity of 13", which the
    arbitral unit rightly reads as a false claim): drop the unfinished last word."""

    def trim(text: str) -> str:
        if len(text) < limit or " " not in text:
            return text
        return text.rsplit(" ", 1)[0].rstrip(" ,;:-")

    return AfterValidator(trim)


Reasoning = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=REASONING_MAX),
    _without_cut_word(REASONING_MAX),
]
Sentence = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=SENTENCE_MAX),
    _without_cut_word(SENTENCE_MAX),
]


class ReplyError(ValueError):
    """Why an LLM reply was rejected; the text goes back to the LLM on retry."""


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


@cache
def operator_reply_model(unit: str, lower: float, upper: float) -> type[BaseModel]:
    """An operator's service intent: a finite number inside the (capacity-capped) bounds."""
    unit_type: Any = Literal[unit]  # one literal per topic unit
    return create_model(
        "OperatorReply",
        __base__=_Reply,
        value=(float, Field(ge=lower, le=upper, allow_inf_nan=False, strict=True)),
        unit=(unit_type, ...),
        reasoning=(Reasoning, ...),
    )


@cache
def mediator_reply_model(operator_ids: tuple[str, ...]) -> type[BaseModel]:
    """A summary and one feedback sentence for each operator, none missing, none extra."""
    # Aliases carry the ids: an id may be no Python name ("op-1") or clash with BaseModel's.
    fields: dict[str, Any] = {
        f"op_{i}": (Sentence, Field(alias=op)) for i, op in enumerate(operator_ids)
    }
    feedback = create_model("MediatorFeedback", __base__=_Reply, **fields)
    return create_model(
        "MediatorReply", __base__=_Reply, summary=(Sentence, ...), feedback=(feedback, ...)
    )


def reply_model(turn: AgentTurn) -> type[BaseModel]:
    """The reply contract of this turn: the grammar's schema and the validation both use it."""
    if turn["role"] == "mediator":
        return mediator_reply_model(tuple(sorted(turn["inbox"]["proposals"])))
    topic = Topic.model_validate(turn["topic"])
    return operator_reply_model(topic.unit, topic.lower, topic.upper)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k not in ("$defs", "title")}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


@cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True)
    inlined: dict[str, Any] = _inline(raw, raw.get("$defs", {}))
    return inlined


def reply_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with references inlined, as grammar compilers want it."""
    return _schema(model)


def describe(exc: ValidationError) -> str:
    """A short account of what is wrong, for the LLM's next attempt and for the flags."""
    parts = []
    for err in exc.errors(include_url=False)[:_ERRORS_SHOWN]:
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else str(err["msg"]))
    more = exc.error_count() - _ERRORS_SHOWN
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parse_reply(model: type[BaseModel], text: str | None) -> BaseModel:
    """Validate the reply text against the model, or raise ReplyError saying what is wrong."""
    if text is None or not text.strip():
        raise ReplyError("the reply was empty; reply with one JSON object")
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise ReplyError(describe(exc)) from exc


__all__ = [
    "REASONING_MAX",
    "SENTENCE_MAX",
    "ReplyError",
    "describe",
    "mediator_reply_model",
    "operator_reply_model",
    "parse_reply",
    "reply_model",
    "reply_schema",
]
