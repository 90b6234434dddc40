"""`maestro chat` driven as a person would: in tmux, with send-keys and capture-pane.

A manual seat asks a question, mistypes a command, proposes out of bounds, proposes, quits
mid-session, resumes with `maestro sessions resume`, reaches an agreement and approves its
enforcement after seeing the slice policy. The pane is saved in the test's output folder.
"""

from __future__ import annotations

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

from tests.conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.integration
MAESTRO = Path(sys.executable).with_name("maestro")


class Pane:
    def __init__(self, name: str, log: Path) -> None:
        self.name, self.log = name, log

    def text(self) -> str:
        out = subprocess.run(
            ["tmux", "capture-pane", "-p", "-J", "-S", "-500", "-t", self.name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.log.write_text(out)
        return out

    def send(self, line: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", line], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.name, "Enter"], check=True)

    def kill_child(self) -> None:
        """SIGKILL the command running in the pane's shell."""
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

    def wait(self, needle: str, count: int = 1, timeout: float = 90) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            text = self.text()
            if text.count(needle) >= count:
                return text
            time.sleep(0.3)
        raise AssertionError(f"{needle!r} (x{count}) never appeared; pane:\n{self.text()[-3000:]}")


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[Pane]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    name = f"maestro-{uuid.uuid4().hex[:8]}"
    env = {
        "MAESTRO_DATA_DIR": str(tmp_path / "data"),
        "PATH": f"{MAESTRO.parent}:{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "200", "-y", "50", "-c", str(ROOT)]
        + ["env", "-i", *[f"{k}={v}" for k, v in env.items()], "bash", "--norc", "--noprofile"],
        check=True,
    )
    pane = Pane(name, tmp_path / "pane.txt")
    pane.send(f"export {exports}; PS1='$ '")
    try:
        yield pane
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def test_chat_in_tmux_quit_resume_and_approve(pane: Pane) -> None:
    pane.send(
        f"maestro chat {EXAMPLE} --as cost --mode manual --approve-enforcement "
        "-m scripted:optimizer --session demo; echo EXIT=$?"
    )
    pane.wait("Round 1: your proposal for cost")
    pane.send("why did the mediator point to 60?")
    pane.wait("has not spoken yet")
    pane.send("/frobnicate")
    pane.wait("Unknown command '/frobnicate'")
    pane.send("we can go to 500")
    pane.wait("500 Mbps cannot be proposed")
    pane.send("45 because our video tier needs it")
    pane.wait("Round 2: your proposal for cost")
    text = pane.text()
    assert "cost: 45 (person)" in text and "mediator points to 60" in text
    pane.send("/quit")
    pane.wait("EXIT=0")
    assert "maestro sessions resume demo" in pane.text()

    pane.send("maestro sessions resume demo; echo EXIT=$?")
    pane.wait("Round 2: your proposal for cost", count=2)
    # SIGKILL while it waits: nothing is lost, the next resume asks the same question.
    pane.kill_child()
    pane.wait("EXIT=137")
    pane.send("maestro sessions resume demo; echo EXIT=$?")
    pane.wait("Round 2: your proposal for cost", count=3)
    pane.send("/status")
    pane.wait("Round 2 of 5")
    pane.send("60")
    pane.wait("Enforce 60 Mbps on the cell?")
    assert "policy to be applied" in pane.text() and "rRMPolicy" not in pane.text()
    assert "min 45% / max 100% of PRBs" in pane.text()
    pane.send("maybe")
    pane.wait("answer /approve or /reject")
    pane.send("/approve")
    text = pane.wait("EXIT=0", count=2)
    assert "Accepted: 60 Mbps" in text
    assert "enforced: policy applied" in text
    assert "consensus" in text
    shown = subprocess.run(
        [str(MAESTRO), "sessions", "list", "--json", "-"],
        capture_output=True,
        text=True,
        env={**os.environ, "MAESTRO_DATA_DIR": str(pane.log.parent / "data")},
    )
    assert '"status": "consensus"' in shown.stdout
