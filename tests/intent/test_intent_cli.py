"""`maestro intent import|export|formalize` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maestro.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "intents" / "netflow-west.yaml"


@pytest.mark.parametrize("fmt", ["28312", "tmf921"])
def test_export_then_import_round_trip(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"intent.{fmt}.json"
    assert main(["intent", "export", str(EXAMPLE), "--format", fmt, "-o", str(out)]) == 0
    assert main(["intent", "import", str(out), "--format", fmt, "--json", "-"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["kpi_vector"] == {"availability": 0.9999}
    assert got["formal"]["Data Type"] == "Netflow"
    # and exporting the imported document again gives the same file
    again = tmp_path / "again.json"
    assert main(["intent", "export", str(out), "--format", fmt, "-o", str(again)]) == 0
    assert json.loads(again.read_text()) == json.loads(out.read_text())


def test_wrong_format_and_bad_files_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.json"
    main(["intent", "export", str(EXAMPLE), "--format", "tmf921", "-o", str(out)])
    capsys.readouterr()
    assert main(["intent", "import", str(out), "--format", "28312"]) == 2
    err = capsys.readouterr().err
    assert "TMF921 intent, not --format 28312 (use --format tmf921)" in err
    assert main(["intent", "import", str(out), "--format", "yang"]) == 2
    assert "--format must be 28312 or tmf921" in capsys.readouterr().err
    assert main(["intent", "import", str(tmp_path / "missing.json")]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("kpis: [{name: zorp, value: [1]}]\n")
    assert main(["intent", "export", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown KPI 'zorp'" in err and "Traceback" not in err


def test_formalize_with_the_scripted_model(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "intent",
            "formalize",
            "Deploy a web service in Domain North with latency under 15 ms",
            "--model",
            "scripted:intent",
            "--json",
            "-",
        ]
    )
    assert code == 0
    got = json.loads(capsys.readouterr().out)
    assert got["intent_type"] == "deploy_service"
    assert got["kpis"] == [{"name": "DlLatency", "condition": "IS_LESS_THAN", "value": [15.0]}]
    assert got["llm_calls"] == 1


def test_formalize_unknown_model_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intent", "formalize", "x", "--model", "scripted:nope"]) == 2
    assert "scripted:assurance" in capsys.readouterr().err
