"""Scenario files: the versioned YAML format, validated into typed models.

A mistake in a file is reported as `file:line: field.path: what is wrong`, with the line of
the offending field found by walking the YAML node tree alongside pydantic's error location.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from maestro.agents.domain import MEDIATOR_ID, Strict, Topic
from maestro.agents.roles import MediatorSpec, OperatorSpec


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file, line and field."""


class NetworkSpec(Strict):
    """The shared cell the negotiation is about (see maestro.tools.ran)."""

    bandwidth_mhz: float = 40.0
    scs_khz: int = 30
    layers: int = Field(1, ge=1, le=8)
    cqi: int = Field(15, ge=0, le=15)
    trace: str | None = None  # a Raca et al. CSV, or "synthetic"
    prometheus_url: str | None = None  # read the cell through PromQL instead of the driver
    driver_url: str | None = (
        None  # a `maestro ran serve` endpoint instead of the in-process emulator
    )
    enforce: bool = True


class Scenario(Strict):
    version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=2000)
    topic: Topic
    operators: list[OperatorSpec] = Field(min_length=1, max_length=10000)
    mediator: MediatorSpec = MediatorSpec()
    network: NetworkSpec | None = None
    model: str = "local"
    seed: int = Field(0, ge=0, le=2**31 - 1)
    rounds: int = Field(5, ge=1, le=100)
    epsilon: float = Field(1.0, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _unique_ids(self) -> Scenario:
        seen: set[str] = set()
        for op in self.operators:
            if op.id == MEDIATOR_ID:
                raise ValueError(f"operator id '{MEDIATOR_ID}' is reserved for the mediator")
            if op.id in seen:
                raise ValueError(f"operator id '{op.id}' appears twice")
            seen.add(op.id)
        return self

    def operator(self, op_id: str) -> OperatorSpec:
        return next(op for op in self.operators if op.id == op_id)


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree; return a 1-based line."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == str(key)), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _describe(exc: ValidationError, source: str, root: yaml.Node | None) -> str:
    err = exc.errors()[0]
    loc = tuple(
        p for p in err["loc"] if not (isinstance(p, str) and p in ("quadratic", "linear", "log"))
    )
    field = ".".join(str(p) for p in loc) or "(top level)"
    line = _line_of(root, loc)
    where = f"{source}:{line}" if line else source
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {field}: {err['msg']}{more}"


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ScenarioError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: a scenario must be a YAML mapping (name, topic, operators, ...)"
        )
    return scenario_from_dict(data, source, root)


def scenario_from_dict(
    data: dict[str, Any], source: str = "<scenario>", root: yaml.Node | None = None
) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, source, root)) from exc


def load_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"scenario file not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario {p}: {exc}") from exc
    return parse_scenario(text, str(p))


def coerce_scenario(scenario: Scenario | dict[str, Any] | str | Path) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return scenario_from_dict(scenario)
    return load_scenario(scenario)
