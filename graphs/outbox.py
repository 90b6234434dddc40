"""What may leave an operator's branch: its decision and notes, with its private text removed.

The framework never hands an operator's `business_intent` to anyone else, but the operator's
own model may repeat it in its reasoning (or in a reply whose rejection a flag describes).
Every text the branch returns — it becomes the others' inbox, the mediator's prompt, the
events, the state and the record — is checked against that operator's private fields
(`maestro.agents.privacy`); exact and near-verbatim quotes are replaced by "[redacted]" and a
`private_text_redacted` flag says which field was cut, without repeating it.
"""

from __future__ import annotations

from typing import Any

from maestro.agents.privacy import private_texts_of, redact_private, redaction_flag


def _scrub(value: Any, private: list[str]) -> tuple[Any, bool]:
    """Strings redacted wherever they sit in the value (dicts and lists walked)."""
    if isinstance(value, str):
        return redact_private(value, private)
    if isinstance(value, dict):
        found = False
        out = {}
        for key, item in value.items():
            out[key], hit = _scrub(item, private)
            found = found or hit
        return out, found
    if isinstance(value, list | tuple):
        pairs = [_scrub(item, private) for item in value]
        return [item for item, _ in pairs], any(hit for _, hit in pairs)
    return value, False


def outgoing(
    decision: dict[str, Any], flags: list[dict[str, Any]], spec: dict[str, Any], round_: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The decision and flags as they may leave the operator's branch, plus one flag per
    field that quoted the operator's own private text."""
    private = private_texts_of(spec)
    if not private:
        return decision, flags
    agent = str(spec.get("id", "operator"))
    clean: dict[str, Any] = {}
    notes: list[dict[str, Any]] = []
    for key, value in decision.items():
        clean[key], hit = _scrub(value, private)
        if hit:
            notes.append(redaction_flag(agent, round_, key))
    kept = []
    for note in flags:
        message, hit = redact_private(str(note.get("message", "")), private)
        kept.append({**note, "message": message})
        if hit:
            notes.append(redaction_flag(agent, round_, f"{note.get('code', 'flag')} note"))
    return clean, kept + notes


__all__ = ["outgoing"]
