"""Scenario files: the versioned YAML format, validated into typed models.

A mistake in a file is reported as `file:line: field.path: what is wrong`, with the line of
the offending field found by walking the YAML node tree alongside pydantic's error location.

Validation checks everything a run will need, so that a scenario `maestro scenario validate`
accepts does not fail later: numbers are of the declared type (no `rounds: true` or
`rounds: "3"`), finite and inside the range the consensus solver handles (see
`scenario_limits`), the network is a real NR carrier, URLs are usable, a trace file is a
readable trace. Limits on size (file bytes, operators, nesting, text) are checked before the
expensive steps, so oversized input is refused fast.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator

from maestro.agents.domain import MEDIATOR_ID, Strict, Topic
from maestro.agents.errors import UsageError
from maestro.agents.roles import MediatorSpec, OperatorSpec
from maestro.agents.trust import ArbitralPolicy
from maestro.tools.consensus.utilities import LinearUtility, LogUtility, QuadraticUtility

# -- limits a run can honour (README, "Scenario files") -----------------------------------
MAX_FILE_BYTES = 1 << 20  # 1 MiB: checked before the YAML parser sees a byte
# Every operator is one agent run per round, and the mediator reads every proposal: with 16
# operators its prompt (about 1,200 tokens with full reasoning) still fits the default
# 2,048-token context, and a 5-round run on the embedded model takes minutes, not hours.
MAX_OPERATORS = 16
MAX_ROUNDS = 100
MAX_DEPTH = 12  # nesting of mappings and lists; a scenario needs 4
MAX_VALUES = 20_000  # values in the document, each use of a YAML alias counted again
MAX_TEXT = 4000  # characters in any one string (fields have tighter limits of their own)
MAX_MODEL_ID = 300
MAX_URL = 2000
MAX_MAGNITUDE = 1e9  # |topic bounds|
MAX_OFFSET = 1e10  # |log offset|
MAX_WEIGHT = 1e6  # utility weights, |prices|, the mediator's agreement weight
TARGET_SPANS = 10.0  # a quadratic target may lie this many topic ranges outside the bounds
MIN_RANGE = 1e-3  # upper - lower: proposals are rounded to 1e-6
MIN_LOG_MARGIN = 1e-6  # offset + lower of a log utility: its curvature stays finite

_PATH_WORDS = {"quadratic", "linear", "log"}  # discriminator tags pydantic puts in locations


class ScenarioError(UsageError):
    """A scenario that cannot be used; the message names the file, line and field."""


class FieldProblem(ValueError):
    """A check on a field that a cross-field validator makes; `loc` says which field."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(f"{'.'.join(map(str, loc))}: {message}" if loc else message)
        self.loc = loc
        self.message = message


def http_url(value: str | None) -> str | None:
    """An http(s) URL with a host, as the RAN and Prometheus clients need; else ValueError."""
    if value is None:
        return None
    if len(value) > MAX_URL:
        raise ValueError(f"longer than {MAX_URL} characters")
    if not value.isprintable() or any(ch.isspace() for ch in value):
        raise ValueError("a URL must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8081"
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry credentials: the record repeats the scenario")
    return value


class NetworkSpec(Strict):
    """The shared cell the negotiation is about (see maestro.tools.ran)."""

    bandwidth_mhz: float = Field(40.0, gt=0, allow_inf_nan=False)
    scs_khz: int = 30
    layers: int = Field(1, ge=1, le=8)
    cqi: int = Field(15, ge=0, le=15)
    # A Raca et al. CSV (relative to the scenario file's folder), or "synthetic".
    trace: str | None = Field(None, min_length=1, max_length=4096)
    prometheus_url: str | None = None  # read the cell through PromQL instead of the driver
    driver_url: str | None = None  # a `maestro ran serve` endpoint, not the in-process emulator
    enforce: bool = True
    # Enforce through a CAMINO domain manager (`maestro orchestrator serve`) as a network
    # intent; its token comes from MAESTRO_ORCHESTRATOR_TOKEN, never from the scenario.
    orchestrator_url: str | None = None
    orchestrator_intent: str = Field("maestro-sla", pattern=r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")
    orchestrator_edge: str | None = Field(None, pattern=r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")

    @field_validator("prometheus_url", "driver_url", "orchestrator_url")
    @classmethod
    def _usable_url(cls, value: str | None) -> str | None:
        return http_url(value)

    @field_validator("trace")
    @classmethod
    def _trace_name(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or "\0" in value):
            raise ValueError("trace must be 'synthetic' or the path of a trace CSV file")
        return value

    @model_validator(mode="after")
    def _real_carrier(self) -> NetworkSpec:
        self.cell()
        return self

    def cell(self) -> Any:
        """The CellConfig this section describes (band n78's TDD pattern, as the emulator).

        Raises FieldProblem naming `scs_khz` or `bandwidth_mhz` when the NR tables lack the
        combination, so validation reports it before a run needs the cell.
        """
        from maestro.tools.ran.cell import CellConfig
        from maestro.tools.ran.nr_tables import MAX_NRB, max_nrb

        if self.scs_khz not in MAX_NRB["FR1"]:
            try:
                max_nrb(self.bandwidth_mhz, self.scs_khz, "FR1")
            except ValueError as exc:
                raise FieldProblem(("scs_khz",), str(exc)) from None
        try:
            max_nrb(self.bandwidth_mhz, self.scs_khz, "FR1")
        except ValueError as exc:
            raise FieldProblem(("bandwidth_mhz",), str(exc)) from None
        fields = {
            "bandwidth_mhz": self.bandwidth_mhz,
            "scs_khz": self.scs_khz,
            "layers": self.layers,
        }
        try:
            return CellConfig.model_validate(CellConfig.oai_band78().model_dump() | fields)
        except ValidationError as exc:
            message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise FieldProblem(("scs_khz",), message) from None


MAX_DOCUMENTS = 50  # extra regulatory documents a scenario may name
MAX_PASSAGES = 10  # passages the regulatory unit may put into one prompt


class ReservedSlice(Strict):
    """A slice on the cell that an agreement must leave room for (e.g. public safety, SST 2).

    Enforcement puts it into the cell's slice policy next to the agreed slice; it keeps at
    least `min_share` of the PRBs as its minimum ratio, or more when a rule (`min_share` for
    its SST) demands more."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    sst: int = Field(ge=0, le=255)
    sd: str | None = Field(None, pattern=r"^[0-9A-Fa-f]{6}$")
    min_share: float = Field(0.0, ge=0, le=1)


class RegulationSpec(Strict):
    """The regulatory unit's settings (`regulation:`): which rules apply and how firmly.

    Without this section the unit adds nothing. `k: 0` applies the documents' constraints
    without retrieval, so the run never opens the vector index (nor imports torch).
    """

    jurisdiction: str | None = Field(None, min_length=1, max_length=16)
    # Extra corpus files (Markdown or text with front-matter), relative to the scenario file.
    documents: list[str] = Field(default_factory=list, max_length=MAX_DOCUMENTS)
    enforce: bool = True  # clamp a value outside a constraint; false: flag it only
    k: int = Field(2, ge=0, le=MAX_PASSAGES)
    reserved_slices: list[ReservedSlice] = Field(default_factory=list, max_length=8)

    @field_validator("reserved_slices")
    @classmethod
    def _distinct(cls, value: list[ReservedSlice]) -> list[ReservedSlice]:
        ids = [s.id for s in value]
        if "sla" in ids or len(set(ids)) < len(ids):
            raise ValueError("reserved slice ids must be distinct and not 'sla' (the agreed slice)")
        return value

    @field_validator("documents")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.strip() or "\0" in path or len(path) > 4096:
                raise ValueError("each document must be the path of a Markdown or text file")
        return value


class ArbitralSection(ArbitralPolicy):
    """The arbitral unit's settings (`arbitral:`, `agents.trust.ArbitralPolicy`); every field
    has a default. The classifier's model is written `arbitral_model` (None: each agent's own)."""

    model: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_MODEL_ID,
        validation_alias=AliasChoices("arbitral_model", "model"),
        serialization_alias="arbitral_model",
    )


class Scenario(Strict):
    version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=2000)
    topic: Topic
    operators: list[OperatorSpec] = Field(min_length=1, max_length=MAX_OPERATORS)
    mediator: MediatorSpec = MediatorSpec()
    network: NetworkSpec | None = None
    regulation: RegulationSpec | None = None
    arbitral: ArbitralSection = Field(default_factory=lambda: ArbitralSection())
    model: str = Field("local", min_length=1, max_length=MAX_MODEL_ID)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    rounds: int = Field(5, ge=1, le=MAX_ROUNDS)
    epsilon: float = Field(1.0, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _unique_ids(self) -> Scenario:
        seen: set[str] = set()
        for i, op in enumerate(self.operators):
            if op.id == MEDIATOR_ID:
                raise FieldProblem(
                    ("operators", i, "id"),
                    f"operator id '{MEDIATOR_ID}' is reserved for the mediator",
                )
            if op.id in seen:
                raise FieldProblem(("operators", i, "id"), f"operator id '{op.id}' appears twice")
            seen.add(op.id)
        return self

    @model_validator(mode="after")
    def _solver_ranges(self) -> Scenario:
        for loc, message in range_problems(self):
            raise FieldProblem(loc, message)
        return self

    def operator(self, op_id: str) -> OperatorSpec:
        return next(op for op in self.operators if op.id == op_id)


def range_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Every number the run computes with, checked against what the solver handles.

    Pydantic has already made them finite where it could; these are the ranges inside which
    eq. 1, the exact optimum and the operators' local steps stay finite (a weight of 1e308
    squares to infinity and the step size becomes NaN).
    """
    out: list[tuple[tuple[str | int, ...], str]] = []
    topic = scenario.topic
    for bound in ("lower", "upper"):
        value = getattr(topic, bound)
        if abs(value) > MAX_MAGNITUDE:
            out.append((("topic", bound), f"{value:g} is outside ±{MAX_MAGNITUDE:g}"))
    if out:
        return out
    span = topic.upper - topic.lower
    if span < MIN_RANGE:
        out.append((("topic", "upper"), f"upper - lower must be at least {MIN_RANGE:g}"))
        return out
    if scenario.epsilon >= span:
        out.append(
            (
                ("epsilon",),
                f"{scenario.epsilon:g} is not below the topic's range {span:g}: any two "
                "proposals would count as consensus",
            )
        )
    weight = scenario.mediator.agreement_weight
    if not math.isfinite(weight) or weight > MAX_WEIGHT:
        out.append((("mediator", "agreement_weight"), f"must be finite and at most {MAX_WEIGHT:g}"))
    for i, op in enumerate(scenario.operators):
        out.extend(((("operators", i, *loc), msg) for loc, msg in _utility_problems(op, topic)))
        if op.minimum is not None and op.minimum > topic.upper:
            out.append(
                (
                    ("operators", i, "minimum"),
                    f"{op.minimum:g} is above the topic's upper bound {topic.upper:g}",
                )
            )
    for loc, model in _model_ids(scenario):
        if model is not None and len(model) > MAX_MODEL_ID:
            out.append((loc, f"longer than {MAX_MODEL_ID} characters"))
    return out


def _utility_problems(op: OperatorSpec, topic: Topic) -> list[tuple[tuple[str, ...], str]]:
    u = op.utility
    out: list[tuple[tuple[str, ...], str]] = []
    if isinstance(u, QuadraticUtility | LogUtility) and u.weight > MAX_WEIGHT:
        out.append((("utility", "weight"), f"{u.weight:g} is above {MAX_WEIGHT:g}"))
    if isinstance(u, QuadraticUtility):
        reach = TARGET_SPANS * (topic.upper - topic.lower)
        lo, hi = topic.lower - reach, topic.upper + reach
        if not lo <= u.target <= hi:
            out.append(
                (
                    ("utility", "target"),
                    f"{u.target:g} is outside [{lo:g}, {hi:g}] (the topic's bounds widened by "
                    f"{TARGET_SPANS:g} times its range)",
                )
            )
    elif isinstance(u, LinearUtility) and abs(u.price) > MAX_WEIGHT:
        out.append((("utility", "price"), f"{u.price:g} is outside ±{MAX_WEIGHT:g}"))
    elif isinstance(u, LogUtility):
        if abs(u.offset) > MAX_OFFSET:
            out.append((("utility", "offset"), f"{u.offset:g} is outside ±{MAX_OFFSET:g}"))
        elif u.offset + topic.lower < MIN_LOG_MARGIN:
            out.append(
                (
                    ("utility", "offset"),
                    f"offset + topic lower bound ({u.offset:g} + {topic.lower:g}) must be at "
                    f"least {MIN_LOG_MARGIN:g}: log(offset + x) must be defined on the whole topic",
                )
            )
    return out


def _model_ids(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str | None]]:
    ids: list[tuple[tuple[str | int, ...], str | None]] = [(("model",), scenario.model)]
    ids.append((("mediator", "model"), scenario.mediator.model))
    ids.extend((("operators", i, "model"), op.model) for i, op in enumerate(scenario.operators))
    ids.append((("arbitral", "arbitral_model"), scenario.arbitral.model))
    return ids


# -- reading files ---------------------------------------------------------------------------
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


Root = Callable[[], yaml.Node | None]


def _no_root() -> yaml.Node | None:
    return None


def _where(source: str, root: Root, loc: tuple[Any, ...]) -> str:
    try:
        line = _line_of(root(), loc)
    except (yaml.YAMLError, ValueError, RecursionError):
        line = None
    field = ".".join(str(p) for p in loc) or "(top level)"
    return f"{source}:{line}: {field}" if line else f"{source}: {field}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _describe(exc: ValidationError, source: str, root: Root) -> str:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _PATH_WORDS))
    msg = str(err["msg"]).removeprefix("Value error, ")
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, FieldProblem):
        loc, msg = loc + problem.loc, problem.message
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return _one_line(f"{_where(source, root, loc)}: {msg}{more}")


def _plain(data: Any, source: str, root: Root) -> Any:
    """The document as JSON-ready values, refusing what no scenario holds.

    Checks nesting depth, the number of values (an alias used many times is expanded many
    times downstream), text length and control characters, and value types: YAML dates
    become text, binary and sets are refused.
    """
    budget = [MAX_VALUES]

    def fail(loc: tuple[Any, ...], message: str) -> ScenarioError:
        return ScenarioError(_one_line(f"{_where(source, root, loc)}: {message}"))

    def walk(value: Any, loc: tuple[Any, ...]) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise fail((), f"more than {MAX_VALUES} values (YAML aliases count at each use)")
        if len(loc) > MAX_DEPTH:
            raise fail(loc, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise fail(loc, f"keys must be text, got {type(key).__name__} {key!r:.40}")
                out[key] = walk(item, (*loc, key))
            return out
        if isinstance(value, list | tuple):
            return [walk(item, (*loc, i)) for i, item in enumerate(value)]
        if isinstance(value, dt.date):
            value = value.isoformat()
        if isinstance(value, Path):
            value = str(value)
        if not isinstance(value, bool) and isinstance(value, numbers.Integral):
            value = int(value)  # numpy integers from the Python API
        elif isinstance(value, numbers.Real) and not isinstance(value, bool | int):
            value = float(value)
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise fail(loc, f"text longer than {MAX_TEXT} characters")
            if any(ord(ch) < 32 and ch not in "\t\n\r" or ord(ch) == 127 for ch in value):
                raise fail(loc, "text contains control characters")
            return value
        if value is None or isinstance(value, bool | int | float):
            return value
        raise fail(loc, f"a {type(value).__name__} value is not allowed here")

    return walk(data, ())


def parse_scenario(text: str, source: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    """A scenario from YAML text; `base_dir` is where a relative trace path starts."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise ScenarioError(f"{source}: larger than {MAX_FILE_BYTES >> 10} KiB, the scenario limit")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = _one_line(str(getattr(exc, "problem", None) or exc))
        raise ScenarioError(f"{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise ScenarioError(f"{source}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ScenarioError(f"{source}: not a usable YAML value: {_one_line(str(exc))}") from None
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: a scenario must be a YAML mapping (name, topic, operators, ...)"
        )
    cache: list[yaml.Node | None] = []

    def root() -> yaml.Node | None:  # composed only to place an error on its line
        if not cache:
            cache.append(yaml.compose(text, Loader=loader))  # noqa: S506 - a safe loader
        return cache[0]

    return _validated(data, source, root, base_dir)


def scenario_from_dict(
    data: dict[str, Any],
    source: str = "<scenario>",
    root: yaml.Node | None = None,
    base_dir: Path | None = None,
) -> Scenario:
    """A scenario from plain data (a parsed file, or a dict given to the API)."""
    return _validated(data, source, lambda: root, base_dir)


def _validated(data: Any, source: str, root: Root, base_dir: Path | None) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a mapping (name, topic, operators, ...)")
    plain = _plain(data, source, root)
    unknown = sorted(set(plain) - set(Scenario.model_fields))
    if unknown:  # refused before pydantic builds an error for each
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        raise ScenarioError(
            _one_line(f"{_where(source, root, (unknown[0],))}: unknown field{more}")
        )
    ops = plain.get("operators")
    if isinstance(ops, list) and len(ops) > MAX_OPERATORS:
        raise ScenarioError(
            f"{_where(source, root, ('operators',))}: {len(ops)} operators, at most "
            f"{MAX_OPERATORS} (each one is an agent run per round)"
        )
    try:
        document = json.dumps(plain)
    except ValueError as exc:  # an integer too long to write out
        raise ScenarioError(f"{source}: {_one_line(str(exc))}") from None
    try:
        # Strict: `rounds: true` and `rounds: "3"` are mistakes, not integers. Through JSON,
        # because strict Python validation would also refuse enum names given as text.
        scenario = Scenario.model_validate_json(document, strict=True)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, source, root)) from None
    check_model_ids(scenario, source, root)
    check_documents(scenario, source, root, base_dir)
    return check_trace(scenario, source, root, base_dir)


def check_model_ids(scenario: Scenario, source: str = "<scenario>", root: Root = _no_root) -> None:
    """Every model id the scenario names is well formed (the file is found at run time)."""
    from maestro.agents.providers.base import UnknownModelError
    from maestro.agents.providers.registry import parse_model_id

    for loc, model in _model_ids(scenario):
        if model is None:
            continue
        try:
            parse_model_id(model)
        except UnknownModelError as exc:
            raise ScenarioError(_one_line(f"{_where(source, root, loc)}: {exc}")) from None


def check_documents(
    scenario: Scenario,
    source: str = "<scenario>",
    root: Root = _no_root,
    base_dir: Path | None = None,
) -> Scenario:
    """Read the regulation section's extra documents once, so that a missing file or bad
    front-matter fails validation with the file named; paths are stored resolved."""
    regulation = scenario.regulation
    if regulation is None or not regulation.documents:
        return scenario
    from maestro.knowledge import KnowledgeError, load_documents

    resolved = []
    for i, name in enumerate(regulation.documents):
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        try:
            load_documents([path])
            resolved.append(str(path.resolve()))
        except (KnowledgeError, OSError, ValueError) as exc:
            where = _where(source, root, ("regulation", "documents", i))
            raise ScenarioError(_one_line(f"{where}: {exc}")) from None
    scenario.regulation = regulation.model_copy(update={"documents": resolved})
    return scenario


def check_trace(
    scenario: Scenario,
    source: str = "<scenario>",
    root: Root = _no_root,
    base_dir: Path | None = None,
) -> Scenario:
    """Load the network trace once so that a missing or unreadable file fails validation.

    A relative path is taken from `base_dir` (the scenario file's folder; the working
    directory without one) and stored resolved, so that later steps find the same file.
    """
    network = scenario.network
    if network is None or network.trace in (None, "synthetic"):
        return scenario
    from maestro.tools.ran.traces import TraceFormatError, load_raca_trace

    try:
        path = Path(network.trace).expanduser()
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        load_raca_trace(path)
        resolved = path.resolve()
    except (TraceFormatError, OSError, ValueError, RuntimeError) as exc:
        raise ScenarioError(
            _one_line(f"{_where(source, root, ('network', 'trace'))}: {exc}")
        ) from None
    scenario.network = network.model_copy(update={"trace": str(resolved)})
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; the size is checked before anything is parsed."""
    p = Path(path)
    try:
        if not p.is_file():
            missing = not p.exists()
            raise ScenarioError(
                f"scenario file not found: {p}" if missing else f"scenario is not a file: {p}"
            )
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{p}: {size} bytes, larger than the {MAX_FILE_BYTES >> 10} KiB scenario limit"
            )
        with p.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # the file may grow after stat
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {p}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{p}: larger than the {MAX_FILE_BYTES >> 10} KiB scenario limit")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    return parse_scenario(text, str(p), p.parent)


def coerce_scenario(scenario: Scenario | dict[str, Any] | str | Path) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return scenario_from_dict(scenario)
    return load_scenario(scenario)


def scenario_limits() -> dict[str, float]:
    """The limits above, for documentation and error messages."""
    return {
        "max_file_bytes": MAX_FILE_BYTES,
        "max_operators": MAX_OPERATORS,
        "max_rounds": MAX_ROUNDS,
        "max_depth": MAX_DEPTH,
        "max_values": MAX_VALUES,
        "max_text": MAX_TEXT,
        "max_magnitude": MAX_MAGNITUDE,
        "max_offset": MAX_OFFSET,
        "max_weight": MAX_WEIGHT,
        "target_spans": TARGET_SPANS,
        "min_range": MIN_RANGE,
        "min_log_margin": MIN_LOG_MARGIN,
    }
