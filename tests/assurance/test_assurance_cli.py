"""`maestro assure` as a user runs it: fault injection, record, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maestro.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "intents" / "netflow-west.yaml"


def test_assure_with_a_killed_collector(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rec.json"
    code = main(
        [
            "assure",
            str(EXAMPLE),
            "--model",
            "scripted:assurance",
            "--periods",
            "5",
            "--period",
            "0.05",
            "--kill",
            "collector2@2",
            "--until-recovered",
            "--json",
            str(out),
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    rec = json.loads(out.read_text())
    assert rec["status"] == "assured" and rec["service_health_pct"] == 100
    assert "fault: killing collector2 at period 2" in err
    assert "assured: create_resource intent netflow-west, service health 100 %" in err


def test_assure_failed_run_is_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "assure",
            "Create collectors in Domain West with 99.99% availability",
            "--model",
            "scripted:assurance-broken",
            "--period",
            "0.05",
            "-q",
        ]
    )
    assert code == 3
    assert "failed:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["missing.yaml"], "intent file not found"),
        ([str(EXAMPLE), "--kill", "c2"], "--kill takes NAME@PERIOD"),
        ([str(EXAMPLE), "--resume"], "--resume needs --checkpoint"),
        ([str(EXAMPLE), "--model", "scripted:nope"], "unknown scripted model"),
        (["   "], "the intent text is empty"),
    ],
)
def test_user_mistakes_are_one_line_exit_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    model = [] if "--model" in args else ["--model", "scripted:assurance"]
    assert main(["assure", *args, *model]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
