"""`maestro eval` in a terminal (tmux): the live progress bar, a SIGKILL mid-run, and the
same command resuming without replaying a finished game."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
MAESTRO = Path(sys.executable).with_name("maestro")
ROOT = Path(__file__).resolve().parents[2]


class Pane:
    def __init__(self, name: str) -> None:
        self.name = name

    def text(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-J", "-S", "-300", "-t", self.name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def send(self, line: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", line], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def kill_child(self) -> None:
        shell = subprocess.run(
            ["tmux", "list-panes", "-t", self.name, "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[0]
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", shell], capture_output=True, text=True
        ).stdout.split()
        assert children, "nothing runs in the pane"
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)

    def wait(self, needle: str, timeout: float = 120) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = self.text()
            if needle in text:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} never appeared; pane:\n{self.text()[-2000:]}")


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[Pane]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (CI installs it)")
    name = f"maestro-eval-{uuid.uuid4().hex[:8]}"
    env = {
        "PATH": f"{MAESTRO.parent}:{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
    }
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "40", "-c", str(ROOT)]
        + ["env", "-i", *[f"{k}={v}" for k, v in env.items()], "bash", "--norc", "--noprofile"],
        check=True,
    )
    p = Pane(name)
    p.send("PS1='$ '")
    try:
        yield p
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def _keys(path: Path) -> list[str]:
    keys = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(ValueError):  # a line the kill cut short
            keys.append(json.loads(line)["key"])
    return keys


def test_killed_run_resumes_without_repeats(pane: Pane, tmp_path: Path) -> None:
    out = tmp_path / "run"
    games = out / "games.jsonl"
    cmd = (
        f"maestro eval personality --model scripted:concede --games 30 --pairs N-N "
        f"--rounds 2 --out {shlex.quote(str(out))}"
    )
    pane.send(cmd)
    pane.wait("ETA")
    end = time.monotonic() + 120
    while time.monotonic() < end and len(_keys(games) if games.exists() else []) < 3:
        time.sleep(0.1)
    pane.kill_child()
    before = _keys(games)
    assert 3 <= len(before) < 31, "the run was not killed mid-way"
    pane.send(cmd)
    text = pane.wait("already done")
    assert f"{31 - len(before)} game(s) played, {len(before)} already done" in text
    after = _keys(games)
    assert len(after) == len(set(after)) == 31  # every game once, none replayed
    assert after[: len(before)] == before
    assert "agreed" in text and "| N-N | 30 |" in text
