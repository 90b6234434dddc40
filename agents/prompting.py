"""Prompt templates: text files in the `maestro.prompts` package, filled with string.Template.

Templates use `$name` placeholders so JSON examples need no brace escaping. A missing value is
an error (never a silently empty prompt).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

from maestro.agents.domain import Personality


@cache
def template(name: str) -> Template:
    text = resources.files("maestro.prompts").joinpath(name).read_text(encoding="utf-8")
    return Template(text.strip())


def render(name: str, **values: object) -> str:
    return template(name).substitute({k: str(v) for k, v in values.items()})


def personality_text(personality: Personality) -> str:
    return template(f"personalities/{personality.value}.txt").template


def fmt(value: float | None) -> str:
    """Numbers as a person would write them in a prompt (no 55.00000001)."""
    if value is None:
        return "none"
    return f"{value:.6g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
