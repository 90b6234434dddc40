"""A deadline that passes during an embedded-model call ends the process cleanly, exit 3.

The abandoned call keeps decoding in its thread; freeing its llama.cpp object, or exiting,
under that decode segfaulted (exit 139) before the model's close waited for it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE


@pytest.mark.llm
def test_deadline_during_a_local_call_exits_3_with_a_record() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "maestro.cli", "negotiate", str(EXAMPLE), "--deadline", "1"]
        + ["--json", "-", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3, done.stderr[-500:]
    record = json.loads(done.stdout)
    assert record["status"] == "error" and "deadline" in record["reason"]
    assert record["enforcement"] is None or not record["enforcement"].get("ok")
