"""The seat's own agent answering the person's questions.

Answers come from what this seat may see and nothing else: the record so far (every
operator's public proposals and reasoning, the mediator's feedback to this seat), the
optimizer's numbers, and the regulatory corpus (maestro.knowledge, when it is installed and
its index can be opened; otherwise the answer says "regulation unavailable"). The view is
built by the session graph (`graphs.session.seat_view`); other operators' business intents
and notes are never in it.

Answers are composed from the numbers, not generated: a person asking "what does the
optimizer recommend?" gets the optimizer's value, not a model's paraphrase of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Searcher = Callable[[str], list[Any]]

_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("regulation", re.compile(r"regulat|law|legal|rule|licen|spectrum|complian|slice", re.I)),
    ("optimizer", re.compile(r"optimi[sz]|recommend|suggest|best value|optimum", re.I)),
    ("mediator", re.compile(r"mediator|point|why.*(60|feedback|steer)|feedback", re.I)),
    ("others", re.compile(r"other|they|competitor|propos", re.I)),
    ("status", re.compile(r"status|round|where|spread|progress", re.I)),
)


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "none yet"
    return f"{float(value):.4g}{' ' + unit if unit else ''}"


def _last(view: dict[str, Any]) -> dict[str, Any] | None:
    history = view.get("history") or []
    return history[-1] if history else None


def answer_status(view: dict[str, Any]) -> str:
    unit = view["topic"]["unit"]
    last = _last(view)
    head = f"Round {view.get('round', 1)} of {view.get('max_rounds', '?')}, status {view.get('status', 'running')}."
    if last is None:
        return head + " No round has finished yet."
    values = ", ".join(f"{op} {_fmt(p['value'], unit)}" for op, p in last["proposals"].items())
    return head + f" Last round's proposals: {values} (spread {_fmt(last.get('spread'), unit)})."


def answer_mediator(view: dict[str, Any]) -> str:
    unit = view["topic"]["unit"]
    for record in reversed(view.get("history") or []):
        mediator = record.get("mediator")
        if not mediator:
            continue
        point = mediator.get("mediator_value")
        note = (mediator.get("feedback") or {}).get(view["agent"], "")
        text = f"In round {record['round']} the mediator pointed to {_fmt(point, unit)}"
        text += (
            " — the value that minimises the operators' declared costs together (eq. 1), "
            "given every proposal."
        )
        if note:
            text += f" Its feedback to you: {note}"
        return text
    return "The mediator has not spoken yet: it answers once every operator has proposed."


def answer_optimizer(view: dict[str, Any]) -> str:
    unit = view["topic"]["unit"]
    optimizer = view.get("optimizer") or {}
    parts = [
        f"The optimizer's theoretical consensus is {_fmt(optimizer.get('consensus'), unit)}"
        " over all declared utilities and the cell's capacity."
    ]
    if optimizer.get("own_best") is not None:
        parts.append(
            f"For your own utility alone the best value is {_fmt(optimizer['own_best'], unit)}."
        )
    if optimizer.get("mediator_point") is not None:
        parts.append(f"The mediator's latest point is {_fmt(optimizer['mediator_point'], unit)}.")
    return " ".join(parts)


def answer_others(view: dict[str, Any]) -> str:
    last = _last(view)
    if last is None:
        return "Nobody has proposed yet."
    unit = view["topic"]["unit"]
    lines = [
        f"{op}: {_fmt(p['value'], unit)} — {p.get('reasoning', '')}"
        for op, p in last["proposals"].items()
        if op != view["agent"]
    ]
    return f"Round {last['round']}: " + "; ".join(lines) if lines else "No other proposals yet."


def answer_regulation(question: str, search: Searcher | None) -> str:
    if search is None:
        return "regulation unavailable: the regulatory knowledge base is not installed here."
    try:
        passages = search(question)
    except Exception as exc:  # an index that cannot be opened is an answer, not a crash
        line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        return f"regulation unavailable: {line}"
    if not passages:
        return "The regulatory corpus has nothing on that."
    parts = []
    for p in passages[:2]:
        text = " ".join(str(getattr(p, "text", p)).split())[:300]
        cite = p.citation() if hasattr(p, "citation") else ""
        parts.append(f"{text} {cite}".strip())
    return " | ".join(parts)


def default_searcher() -> Searcher | None:
    """maestro.knowledge's search, or None when the package is missing."""
    try:
        from maestro.knowledge import open_knowledge
    except ImportError:
        return None

    def search(question: str) -> list[Any]:
        return list(open_knowledge().search(question, k=2))

    return search


def answer(question: str, view: dict[str, Any], search: Searcher | None = None) -> str:
    """One answer to one question, from the seat's view."""
    for topic, pattern in _TOPICS:
        if pattern.search(question):
            if topic == "regulation":
                return answer_regulation(question, search)
            if topic == "optimizer":
                return answer_optimizer(view)
            if topic == "mediator":
                return answer_mediator(view)
            if topic == "others":
                return answer_others(view)
            return answer_status(view)
    return (
        answer_status(view)
        + " I can explain the mediator's point, the optimizer's recommendation, the other"
        " operators' proposals, or what the regulation says."
    )


__all__ = ["Searcher", "answer", "default_searcher"]
