"""`maestro optimize` runs eq. 1 from the preferred values, as the paper, and shows the trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maestro.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two-operators.yaml"


def test_optimize_starts_at_the_preferred_values_and_converges(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["optimize", str(EXAMPLE), "--json", "-"]) == 0
    report = json.loads(capsys.readouterr().out)
    trace = report["iterative"]["trace"]
    assert trace[0] == [20.0, 100.0]  # the operators' own values, not their mean
    assert len(trace) > 10 and report["iterative"]["converged"]
    # The soft collective term (b = 10) leaves them 80 * 1 / 11 apart around the optimum.
    assert report["iterative"]["spread"] == pytest.approx(80 / 11, rel=1e-6)
    assert report["iterative"]["value"] == pytest.approx(60.0)
    assert report["consensus"] == pytest.approx(60.0) and report["method"] == "closed-form"
    assert report["agreement_weight"] == 10.0


def test_optimize_prints_the_first_and_last_rows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimize", str(EXAMPLE), "--show", "3"]) == 0
    err = capsys.readouterr().err
    assert "eq. 1 trace" in err and "..." in err and "86.67" in err
