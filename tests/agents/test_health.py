"""The model probe judges a child process by how it ended: a native crash is a verdict."""

from __future__ import annotations

import sys

import pytest

from maestro.agents.providers import health


def test_a_segfaulting_child_is_reported_as_a_crash_with_the_signal() -> None:
    crash = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    verdict = health.probe("local", command=crash)
    assert not verdict.ok and verdict.verdict == "crashed (SIGSEGV)"


def test_a_failing_child_reports_its_last_error_line() -> None:
    fail = [sys.executable, "-c", "import sys; sys.exit('llama.cpp could not load the file')"]
    verdict = health.probe("local", command=fail)
    assert not verdict.ok and verdict.verdict == "failed: llama.cpp could not load the file"


def test_a_hanging_child_times_out() -> None:
    hang = [sys.executable, "-c", "import time; time.sleep(30)"]
    verdict = health.probe("local", timeout_s=1, command=hang)
    assert not verdict.ok and verdict.verdict.startswith("timed out")


def test_amx_in_the_system_info_is_recognised() -> None:
    assert health.amx_compiled("CPU : AVX2 = 1 | AMX_INT8 = 1 | REPACK = 1 |")
    assert not health.amx_compiled("CPU : SSE3 = 1 | AVX2 = 1 | REPACK = 1 |")
    assert not health.amx_compiled(None)


def test_cpu_report_lists_the_features_ggml_cares_about() -> None:
    report = health.cpu_report()
    assert set(report["features"]) == set(health.CPU_FLAGS) and report["name"]


@pytest.mark.llm
def test_the_real_child_loads_the_model_and_answers() -> None:
    verdict = health.probe("local")
    assert verdict.ok and verdict.tokens and verdict.tokens > 0
    assert verdict.system_info and "AVX" in verdict.system_info
