"""Evaluation suites: MAESTRO's Fig. 3a (personality), Fig. 3b (guidance), Fig. 5 (sla) and
the intent-drift paper's worked examples (assurance), each resumable, with tables and plots.

    from maestro.evals import EvalConfig, run_suite, write_report
    out = run_suite(EvalConfig("personality", model="scripted:optimizer", games=2,
                               pairs=("N-N",)), "runs/p1")
    out.summary["pairs"]["N-N"]["decisions"]["mean"]
"""

from maestro.evals.config import (
    BASELINE_MODEL,
    PAPER_PAIRS,
    SUITE_NAMES,
    EvalConfig,
    EvalError,
    parse_operators,
    parse_pairs,
)
from maestro.evals.runner import Job, RunOutcome, run_suite, write_report

__all__ = [
    "BASELINE_MODEL",
    "PAPER_PAIRS",
    "SUITE_NAMES",
    "EvalConfig",
    "EvalError",
    "Job",
    "RunOutcome",
    "parse_operators",
    "parse_pairs",
    "run_suite",
    "write_report",
]
