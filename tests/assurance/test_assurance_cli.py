"""`maestro assure` as a user runs it: fault injection, record, exit codes, bad input."""

from __future__ import annotations

import json
import socket
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
        (["Delete the test VMs in Domain Lab"], "names no measurable KPI"),
        ([str(EXAMPLE), "--checkpoint", "/nonexistent/x.sqlite"], "does not exist"),
    ],
)
def test_user_mistakes_are_one_line_exit_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    model = [] if "--model" in args else ["--model", "scripted:assurance"]
    assert main(["assure", *args, *model]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_serve_on_a_port_in_use_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(
            [
                "assure",
                str(EXAMPLE),
                "--model",
                "scripted:assurance",
                "--periods",
                "1",
                "--period",
                "0.05",
                "--serve",
                str(port),
                "-q",
            ]
        )
    err = capsys.readouterr().err
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}" in err
    assert "Traceback" not in err


def test_a_checkpoint_that_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "x.sqlite"
    bad.write_text("hello")
    code = main(
        [
            "assure",
            str(EXAMPLE),
            "--model",
            "scripted:assurance",
            "--periods",
            "1",
            "--period",
            "0.05",
            "--checkpoint",
            str(bad),
            "-q",
        ]
    )
    assert code == 2 and "file is not a database" in capsys.readouterr().err
