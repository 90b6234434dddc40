"""Parsing an HTTP request body as JSON under limits, for every server in tools/.

Each server maps BodyError to its own error type; the status and the one-line message are
the same everywhere, so a client sees one behaviour whichever server it talks to.
"""

from __future__ import annotations

import json
from typing import Any


class BodyError(ValueError):
    """A body refused with its HTTP status: 422 empty, 400 not JSON or nested too deep."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_json_body(raw: bytes, max_depth: int) -> Any:
    """The body as JSON; NaN and Infinity are refused, like nesting beyond `max_depth`."""
    if not raw.strip():
        raise BodyError(422, "body: required (a JSON object)")
    too_deep = f"body: nested deeper than the limit of {max_depth} levels"
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BodyError(400, too_deep) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError(400, f"body: not valid JSON ({exc})") from None
    if json_depth(data) > max_depth:
        raise BodyError(400, too_deep)
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_depth(data: Any) -> int:
    """Nesting depth without recursion (the parser already bounded it by the stack)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


__all__ = ["BodyError", "json_depth", "parse_json_body"]
