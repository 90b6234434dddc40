"""A person in an operator's seat: what they typed, read as a command, a question or an intent.

A seat has a mode: `auto` (the agent negotiates; the person watches and may interject),
`approve` (the agent drafts each proposal; the person approves, edits or rejects it) or
`manual` (the person proposes). Whatever the person proposes goes through the same reply
contract as an agent's reply (`agents.replies`: a finite number inside the round's bounds,
the topic's unit, a short reasoning) and comes out as the same service intent, with source
`person`; a proposal that fails is explained with the contract's own words and asked again.

Reading is deterministic (no model): a number the person wrote is theirs, not a model's guess.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from maestro.agents.domain import REASONING_MAX, ServiceIntent, Topic
from maestro.agents.replies import ReplyError, operator_reply_model, parse_reply

MODES = ("auto", "approve", "manual")
MAX_MESSAGE_CHARS = 2000
PERSON_SOURCE = "person"
COMMANDS = ("/help", "/status", "/approve", "/reject", "/quit")
HELP_TEXT = (
    "Type a proposal ('we can go to 45 Mbps because our video tier needs it'), a business "
    "intent ('we need 30 Mbps for premium users'), or a question ('why did the mediator point "
    "to 60?', 'what does the optimizer recommend?', 'what does the regulation say about "
    "slices?'). Commands: /status, /approve, /reject, /help, /quit (the session stays "
    "resumable)."
)

Kind = Literal[
    "empty",
    "too_long",
    "binary",
    "command",
    "unknown_command",
    "question",
    "intent",
    "proposal",
    "unclear",
]
_QUESTION_WORDS = {
    "why",
    "what",
    "how",
    "when",
    "which",
    "who",
    "where",
    "can",
    "could",
    "is",
    "are",
    "does",
    "do",
    "should",
    "explain",
    "tell",
    "show",
}
_INTENT = re.compile(
    r"\b(we need|we require|we must|must have|our (users|customers|premium|basic)|"
    r"business intent|until \d)",
    re.IGNORECASE,
)
# A number that is not part of a clock time ("18:00") or a date.
_NUMBER = re.compile(r"(?<![\d:.,])[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?(?![\d:])")


@dataclass(frozen=True)
class Reading:
    kind: Kind
    text: str
    value: float | None = None
    command: str | None = None
    problem: str | None = None


def _binary(text: str) -> bool:
    return any(
        unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\t\r" for ch in text
    )


def first_number(text: str) -> float | None:
    match = _NUMBER.search(text)
    if match is None:
        return None
    return float(match.group(0).replace(",", "."))


def read_message(raw: Any) -> Reading:
    """What the person meant, or why it cannot be read (empty, enormous, binary)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Reading("binary", "", problem="the message is not text")
    if not isinstance(raw, str):
        return Reading("binary", "", problem="the message is not text")
    text = raw.strip()
    if not text:
        return Reading("empty", "", problem="the message is empty")
    if len(text) > MAX_MESSAGE_CHARS:
        return Reading(
            "too_long",
            text[:80],
            problem=f"the message is {len(text)} characters long; "
            f"keep it under {MAX_MESSAGE_CHARS}",
        )
    if _binary(text):
        return Reading("binary", "", problem="the message holds control or binary characters")
    if text.startswith("/"):
        word = text.split()[0].lower()
        if word in COMMANDS:
            return Reading("command", text, command=word)
        return Reading(
            "unknown_command",
            text,
            problem=f"unknown command {word[:40]!r} (known: {', '.join(COMMANDS)})",
        )
    words = re.findall(r"[^\W\d_]+", text.lower())
    value = first_number(text)
    if text.endswith("?") or (words and words[0] in _QUESTION_WORDS and value is None):
        return Reading("question", text)
    if _INTENT.search(text):
        return Reading("intent", text, value=value)
    if value is not None:
        return Reading("proposal", text, value=value)
    if words and words[0] in _QUESTION_WORDS:
        return Reading("question", text)
    return Reading(
        "unclear",
        text,
        problem="I found no number to propose and no question; write the value in the "
        "topic's unit (e.g. '45') or ask a question ending with '?'",
    )


def person_decision(value: float, text: str, topic: dict[str, Any]) -> dict[str, Any]:
    """The person's proposal as a service intent, through the agents' reply contract.

    Raises ReplyError with the contract's explanation (out of bounds, not finite).
    """
    bounds = Topic.model_validate(topic)
    reasoning = " ".join(text.split())[:REASONING_MAX] or "Proposed by the operator's person."
    reply = json.dumps({"value": value, "unit": bounds.unit, "reasoning": reasoning})
    model = operator_reply_model(bounds.unit, float(bounds.lower), float(bounds.upper))
    checked = parse_reply(model, reply)
    intent = ServiceIntent.model_validate(checked.model_dump())
    return {**intent.model_dump(), "source": PERSON_SOURCE}


def explain_invalid(value: float, exc: ReplyError, topic: dict[str, Any]) -> str:
    unit = topic.get("unit", "")
    return (
        f"{value:g} {unit} cannot be proposed: {exc}. This round accepts "
        f"{topic.get('lower'):g} to {topic.get('upper'):g} {unit}; please propose again."
    )


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown seat mode {mode!r} (use one of {', '.join(MODES)})")
    return mode


__all__ = [
    "COMMANDS",
    "HELP_TEXT",
    "MAX_MESSAGE_CHARS",
    "MODES",
    "PERSON_SOURCE",
    "Reading",
    "ReplyError",
    "check_mode",
    "explain_invalid",
    "first_number",
    "person_decision",
    "read_message",
]
