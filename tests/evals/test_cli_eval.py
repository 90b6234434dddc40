"""`maestro eval`: one clear line and exit 2 for every mistake; report rebuilds the outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from maestro.cli import main


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["eval", "fairness"], "No such command"),
        (["eval", "personality", "--pairs", "N-X"], "unknown pair 'N-X'"),
        (["eval", "personality", "--pairs", "N-N,N-N"], "names a pair twice"),
        (["eval", "personality", "--games", "0"], "--games must be"),
        (["eval", "guidance", "--operators", "1"], "--operators: '1'"),
        (["eval", "guidance", "--model", "nosuch:model"], "nosuch"),
        (["eval", "personality", "--workers", "0"], "--workers"),
        (["eval", "sla", "--timeline", "missing.yaml"], "timeline file not found"),
        (["eval", "report", "nowhere"], "run directory not found"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(
        [*argv, "--out", str(tmp_path / "o")]
        if argv[1] != "report" and argv[1] != "fairness"
        else argv
    )
    err = capsys.readouterr().err
    assert code == 2 and needle in err and "Traceback" not in err


def test_run_resume_refuse_and_report(personality_run, capsys, tmp_path: Path) -> None:
    folder, _ = personality_run
    copy = tmp_path / "run"
    shutil.copytree(folder, copy)
    argv = [
        "eval",
        "personality",
        "--model",
        "scripted:concede",
        "--games",
        "2",
        "--pairs",
        "N-N,T-T",
        "--rounds",
        "3",
        "--out",
        str(copy),
        "-q",
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "0 game(s) played, 6 already done" in captured.err
    assert "| N-N | 2 |" in captured.out
    argv[argv.index("--games") + 1] = "3"
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "another configuration" in err and len(err.strip().splitlines()) == 1
    (copy / "summary.md").unlink()
    (copy / "personality.png").unlink()
    with (copy / "games.jsonl").open("a") as handle:
        handle.write("{not json\n")
    assert main(["eval", "report", str(copy)]) == 0
    captured = capsys.readouterr()
    assert "warning:" in captured.err and "skipped" in captured.err
    assert (copy / "summary.md").is_file() and (copy / "personality.png").is_file()
    assert main(["eval", "report", str(tmp_path)]) == 2  # a folder that is no run directory
    assert "no config.json" in capsys.readouterr().err
