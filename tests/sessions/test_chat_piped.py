"""`maestro chat` with its lines piped in, typed ahead of the questions they answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE, ROOT

MAESTRO = Path(sys.executable).with_name("maestro")


def test_lines_typed_ahead_answer_the_next_questions(tmp_path: Path) -> None:
    lines = "what does the optimizer recommend?\n45 because our video tier needs it\n60\n/approve\n"
    out = subprocess.run(
        [str(MAESTRO), "chat", str(EXAMPLE), "--as", "cost", "--mode", "manual"]
        + ["--approve-enforcement", "-m", "scripted:optimizer", "--json", str(tmp_path / "r.json")],
        input=lines,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "MAESTRO_DATA_DIR": str(tmp_path / "data")},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["status"] == "consensus" and record["consensus"] == 60.0
    assert record["decisions"]["person"] == 2
    assert record["enforcement"]["applied"] is True
    assert "theoretical consensus is 60" in out.stderr
    assert "2 of the decisions were yours" in out.stderr
    assert record["timings"]["wall_s"] > 0


def test_end_of_input_leaves_the_session_resumable(tmp_path: Path) -> None:
    env = {**os.environ, "MAESTRO_DATA_DIR": str(tmp_path / "data")}
    base = [str(MAESTRO), "chat", str(EXAMPLE), "--as", "cost", "--mode", "manual"]
    first = subprocess.run(
        [*base, "-m", "scripted:optimizer", "--session", "s1"],
        input="45\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert first.returncode == 0 and "maestro sessions resume s1" in first.stderr
    again = subprocess.run(
        [str(MAESTRO), "sessions", "resume", "s1", "--json", "-"],
        input="60\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    record = json.loads(again.stdout)
    assert [r["proposals"]["cost"]["value"] for r in record["rounds"]] == [45.0, 60.0]
