"""A run directory: one JSON line per finished game, the configuration that wrote them.

Layout of RUN_DIR:
- `config.json`  the suite's configuration and its hash (games, pairs, model, seed, ...);
- `games.jsonl`  one line per finished game: suite, config hash, model, seed, index, key,
                 variant, the suite's extracted result and the full negotiation record;
- `summary.json`, `summary.md`, `*.png`  rebuilt from the lines by `maestro eval report`.

Why lines: a killed run keeps every game it finished (each line is flushed and synced
before the next game is counted), a resumed run skips the keys it finds, and a line cut
short by a crash or edited by hand is skipped with a warning instead of losing the file.
"""

from __future__ import annotations

import errno
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maestro.evals.config import EvalConfig, EvalError

GAMES = "games.jsonl"
CONFIG = "config.json"
REQUIRED = ("suite", "config", "key", "index", "variant", "result")

Warn = Callable[[str], None]


@dataclass
class Loaded:
    """The usable lines of a run directory and what was wrong with the others."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def keys(self) -> set[str]:
        return {line["key"] for line in self.lines}


class RunDir:
    """The run directory of one configuration; refuses to mix configurations."""

    def __init__(self, path: Path, config: EvalConfig) -> None:
        self.path = path
        self.config = config
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path, config: EvalConfig) -> RunDir:
        """Create the folder (or reuse it for the same configuration) and write config.json."""
        folder = Path(path)
        if folder.exists() and not folder.is_dir():
            raise EvalError(f"run directory {folder} exists and is not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EvalError(
                f"cannot create run directory {folder}: {exc.strerror or exc}"
            ) from None
        existing = read_config(folder)
        if existing is not None and existing.get("hash") != config.hash:
            theirs = existing.get("config") or {}
            diff = ", ".join(
                f"{k} {theirs.get(k)!r} there, {v!r} now"
                for k, v in config.identity().items()
                if theirs.get(k) != v
            )
            raise EvalError(
                f"run directory {folder} holds games of another configuration ({diff or 'other'}); "
                "use another --out, or the same options to resume it"
            )
        if existing is None and (folder / GAMES).exists():
            raise EvalError(
                f"run directory {folder} has {GAMES} but no {CONFIG}: cannot tell which "
                "configuration wrote it; use another --out"
            )
        run = cls(folder, config)
        if existing is None:
            run._write_text(CONFIG, json.dumps(config.to_json(), indent=2) + "\n")
        return run

    # -- reading -----------------------------------------------------------------------------
    def load(self, warn: Warn | None = None) -> Loaded:
        return load_lines(self.path, self.config.hash, warn)

    # -- writing -----------------------------------------------------------------------------
    def append(self, line: dict[str, Any]) -> None:
        """Write one finished game; on a full disk nothing already written is touched."""
        text = json.dumps(line, allow_nan=False, default=str) + "\n"
        target = self.path / GAMES
        with self._lock:
            try:
                with target.open("ab") as handle:
                    start = handle.tell()
                    if start and not _ends_with_newline(target):
                        handle.write(b"\n")  # a line cut short by a crash stays on its own
                        start = handle.tell()
                    try:
                        _write(handle, text.encode("utf-8"))
                    except OSError:
                        # Leave no half line behind: the next resume would warn about it.
                        handle.truncate(start)
                        raise
            except OSError as exc:
                raise _disk_error(exc, target) from None

    def clear(self) -> None:
        """Drop the lines (for suites that recompute everything in an instant)."""
        with self._lock:
            (self.path / GAMES).unlink(missing_ok=True)

    def _write_text(self, name: str, text: str) -> None:
        target = self.path / name
        tmp = target.with_suffix(target.suffix + ".tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _disk_error(exc, target) from None

    def write_text(self, name: str, text: str) -> None:
        """Write a summary file atomically (a full disk leaves the old one in place)."""
        self._write_text(name, text)


def _write(handle: Any, data: bytes) -> None:
    """Write, flush and sync one line: a game counts as finished once it is on disk."""
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _disk_error(exc: OSError, target: Path) -> EvalError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return EvalError(
            f"disk full while writing {target}: the games already written are kept; free "
            "some space and run the same command again to resume"
        )
    return EvalError(f"cannot write {target}: {exc.strerror or exc}")


def read_config(folder: Path) -> dict[str, Any] | None:
    path = folder / CONFIG
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvalError(f"{path}: not a readable run configuration ({exc})") from None
    if not isinstance(data, dict) or "hash" not in data or "config" not in data:
        raise EvalError(f"{path}: not a run configuration written by maestro eval")
    return data


def load_lines(folder: Path, config_hash: str, warn: Warn | None = None) -> Loaded:
    """Every usable line; a broken or foreign line is skipped with a warning naming it."""
    out = Loaded()
    path = folder / GAMES
    if not path.exists():
        return out
    seen: set[str] = set()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EvalError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        if not chunk.strip():
            continue
        problem = None
        try:
            line = json.loads(chunk.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            problem = "not valid JSON (cut short?)"
        else:
            if not isinstance(line, dict) or any(k not in line for k in REQUIRED):
                problem = "not a game line (keys missing)"
            elif line["config"] != config_hash:
                problem = "written by another configuration"
            elif line["key"] in seen:
                problem = f"game {line['key']} repeated"
        if problem is not None:
            message = f"{path}:{number}: skipped: {problem}"
            out.skipped.append(message)
            if warn is not None:
                warn(message)
            continue
        seen.add(line["key"])
        out.lines.append(line)
    return out
