"""What defines a suite run: the options that change which games are played and how.

The hash of these options is written on every line and in config.json, so that a run
directory never mixes games of two configurations. `--workers` is not part of it: a run
may resume with more or fewer workers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from maestro.agents.errors import UsageError

SUITE_NAMES = ("personality", "guidance", "sla", "assurance")
BASELINE_MODEL = "scripted:optimizer"  # the optimizer-only reference every suite reports
PERSONALITY_LETTERS = {
    "N": "normal",
    "A": "agreeable",
    "D": "disagreeable",
    "V": "vulnerable",
    "T": "toxic",
}
PAPER_PAIRS = ("N-N", "A-D", "V-D", "V-T", "N-T", "D-T", "T-T", "D-D")
GUIDANCE_MODES = ("none", "soft", "hard")
PAPER_OPERATORS = (2, 5, 10)


class EvalError(UsageError):
    """A suite run that cannot go on: one line for the user (exit code 2 at the CLI)."""


@dataclass(frozen=True)
class EvalConfig:
    """One suite's options; defaults are the paper's sizes."""

    suite: str
    model: str = "local"
    seed: int = 0
    # personality: games per pair (paper 50); sla: repetitions of the timeline (1).
    games: int | None = None
    pairs: tuple[str, ...] = PAPER_PAIRS
    negotiations: int = 100  # guidance: negotiations per mode and operator count
    operators: tuple[int, ...] = PAPER_OPERATORS
    rounds: int | None = None  # None: the paper's cap (5 personality, 4 guidance)
    timeline: dict[str, Any] = field(default_factory=dict)  # sla: the parsed timeline file

    def identity(self) -> dict[str, Any]:
        """The options that decide the games, as written in config.json."""
        data = asdict(self)
        data["games"] = self.n_games
        data["pairs"] = list(self.pairs)
        data["operators"] = list(self.operators)
        keep = {
            "personality": ("suite", "model", "seed", "games", "pairs", "rounds"),
            "guidance": ("suite", "model", "seed", "negotiations", "operators", "rounds"),
            "sla": ("suite", "model", "seed", "games", "rounds", "timeline"),
            "assurance": ("suite",),
        }[self.suite]
        return {k: data[k] for k in keep}

    @property
    def n_games(self) -> int:
        if self.games is not None:
            return self.games
        return 1 if self.suite == "sla" else 50

    @property
    def hash(self) -> str:
        text = json.dumps(self.identity(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {"hash": self.hash, "config": self.identity()}


def parse_pairs(text: str | None) -> tuple[str, ...]:
    """`N-N,A-D` -> ('N-N', 'A-D'); an unknown letter or shape is one clear error."""
    if text is None:
        return PAPER_PAIRS
    pairs = tuple(p.strip().upper() for p in text.split(",") if p.strip())
    if not pairs:
        raise EvalError("--pairs is empty; give pairs like N-N,A-D")
    for pair in pairs:
        parts = pair.split("-")
        if len(parts) != 2 or any(p not in PERSONALITY_LETTERS for p in parts):
            known = ", ".join(f"{k}={v}" for k, v in PERSONALITY_LETTERS.items())
            raise EvalError(f"unknown pair {pair!r}: write COST-QOS with one letter each ({known})")
    if len(set(pairs)) != len(pairs):
        raise EvalError(f"--pairs names a pair twice: {text}")
    return pairs


def parse_operators(text: str | None) -> tuple[int, ...]:
    if text is None:
        return PAPER_OPERATORS
    out: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if not part.isdigit() or not 2 <= int(part) <= 16:
            raise EvalError(f"--operators: {part!r} is not a count from 2 to 16")
        out.append(int(part))
    if not out:
        raise EvalError("--operators is empty; give counts like 2,5,10")
    return tuple(dict.fromkeys(out))


def check_suite(name: str) -> str:
    if name not in SUITE_NAMES:
        raise EvalError(f"unknown suite {name!r} (known: {', '.join(SUITE_NAMES)})")
    return name


def check_count(option: str, value: int, lo: int = 1, hi: int = 100_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise EvalError(f"{option} must be a whole number from {lo} to {hi}, got {value!r}")
    return value
