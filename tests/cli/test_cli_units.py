"""The units on the command line: trust in the live progress, regulation in the summary,
the examples, and scenario-section mistakes as one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maestro.cli import main
from maestro.cli.negotiate import _show_event
from tests.conftest import ROOT

EXAMPLES = [
    ROOT / "examples" / name
    for name in ("two-operators.yaml", "toxic-operator.yaml", "regulated-cell.yaml")
]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "validate", str(path)]) == 0, capsys.readouterr()


def test_toxic_example_shows_trust(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "run.json"
    example = ROOT / "examples" / "toxic-operator.yaml"
    code = main(["negotiate", str(example), "-m", "scripted:optimizer", "--json", str(target)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "trust: cost 1.00, grabber 1.00, qos 1.00" in " ".join((out + err).split())
    record = json.loads(target.read_text())
    assert set(record["trust"]) == {"cost", "qos", "grabber"}
    assert all(r["arbitral"]["verdicts"] for r in record["rounds"])


def test_progress_marks_an_excluded_operator(capsys: pytest.CaptureFixture[str]) -> None:
    _show_event(
        {
            "event": "round",
            "round": 4,
            "spread": 30.0,
            "mediator_value": 80.0,
            "trust": {"cost": 1.0, "toxic": 0.05},
            "excluded": ["toxic"],
        }
    )
    captured = capsys.readouterr()  # progress goes to stderr
    text = " ".join((captured.out + captured.err).split())
    assert "trust: cost 1.00, toxic 0.05 excluded" in text


def test_regulation_in_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "examples" / "regulated-cell.yaml").read_text(encoding="utf-8")
    path = tmp_path / "regulated.yaml"
    path.write_text(text.replace("k: 2 ", "k: 0 "), encoding="utf-8")  # no index in this test
    code = main(["negotiate", str(path), "-m", "scripted:stubborn", "--rounds", "1"])
    out, err = capsys.readouterr()
    flat = " ".join((out + err).split())
    assert code == 0, flat
    assert "regulation" in flat and "ts38306-peak-rate" in flat and "retrieval off" in flat


def test_a_missing_regulation_document_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "examples" / "regulated-cell.yaml").read_text(encoding="utf-8")
    path = tmp_path / "regulated.yaml"
    path.write_text(text.replace("documents: []", "documents: [nowhere.md]"), encoding="utf-8")
    code = main(["negotiate", str(path), "-m", "scripted:optimizer"])
    out, err = capsys.readouterr()
    assert code == 2
    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert len(lines) == 1 and "nowhere.md" in lines[0] and "regulation.documents" in lines[0]
