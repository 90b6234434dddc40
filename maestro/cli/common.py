"""Shared plumbing for the subcommands: user errors, data files, JSON output."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

# Progress and messages go to stderr so that `--json -` leaves stdout to the record alone.
console = Console(stderr=True, emoji=False)  # ":x" in "openai:x:" is no emoji


class UserError(Exception):
    """A mistake the user can fix: shown as one line on stderr, exit code 2, no traceback."""


def read_data_file(path: str | Path, what: str = "file") -> Any:
    """Load a YAML or JSON document, turning every failure into a UserError naming the file."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"{what} not found: {p}")
    if p.is_dir():
        raise UserError(f"{what} is a directory, not a file: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {what} {p}: {exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{p}:{where}: not valid YAML/JSON: {problem}") from exc


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _finite(obj: Any) -> Any:
    """JSON has no NaN/Infinity: write them as null rather than emit invalid JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def to_json_text(obj: Any) -> str:
    plain = json.loads(json.dumps(obj, default=_json_default))
    return json.dumps(_finite(plain), indent=2, allow_nan=False)


def check_writable(dest: str) -> None:
    """Refuse a JSON destination that cannot be written before the work starts, so that a
    long run does not end by losing its record."""
    if dest == "-":
        return
    path = Path(dest)
    folder = path.parent
    problem = None
    if path.is_dir():
        problem = "it is a directory"
    elif not folder.is_dir():
        problem = f"folder {folder} does not exist"
    elif path.exists() and not os.access(path, os.W_OK):
        problem = "the file is not writable"
    elif not path.exists() and not os.access(folder, os.W_OK | os.X_OK):
        problem = f"folder {folder} is not writable"
    if problem:
        raise UserError(f"cannot write JSON to {dest}: {problem}")


def write_json(obj: Any, dest: str) -> None:
    """Write `obj` as JSON to a path, or to stdout when dest is '-'."""
    text = to_json_text(obj)
    if dest == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    try:
        Path(dest).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write JSON to {dest}: {exc}") from exc
