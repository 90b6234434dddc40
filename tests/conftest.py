"""Shared fixtures: scenarios built in code, scripted models that record their prompts.

Tests that run the real embedded model in this process carry the `llm` mark. Before the
first of them, the shipped models are probed in a child process (`maestro doctor`'s check):
a llama.cpp build that crashes on this CPU then fails those tests with one clear line
instead of killing the whole run. Every other test is guarded: reaching llama.cpp is a
failure, so a unit test can never depend on a real model by accident.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from maestro.agents.model_pool import ModelPool
from maestro.agents.providers import ModelOptions, ScriptedChatModel
from maestro.agents.providers import local as local_provider
from maestro.graphs import NegotiationDeps

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "two-operators.yaml"

BASE_SCENARIO: dict[str, Any] = {
    "version": 1,
    "name": "unit-test",
    "topic": {"name": "cell_throughput", "unit": "Mbps", "lower": 0, "upper": 134},
    "operators": [
        {
            "id": "cost",
            "display_name": "Cost Co",
            "objective": "Keep throughput low.",
            "business_intent": "SECRET-COST-PLAN: we must cut energy by 30 percent",
            "utility": {"kind": "quadratic", "target": 20, "weight": 1.0},
            "guidance": "none",
        },
        {
            "id": "qos",
            "display_name": "QoS Co",
            "objective": "Keep throughput high.",
            "business_intent": "SECRET-QOS-PLAN: premium launch in March",
            "utility": {"kind": "quadratic", "target": 100, "weight": 1.0},
            "guidance": "none",
        },
    ],
    "mediator": {"guidance": "none"},
    "model": "scripted:optimizer",
    "seed": 1,
    "rounds": 5,
    "epsilon": 1.0,
}


@pytest.fixture
def scenario_dict() -> dict[str, Any]:
    return copy.deepcopy(BASE_SCENARIO)


def deps_with(model: ScriptedChatModel, model_id: str = "scripted:custom") -> NegotiationDeps:
    return NegotiationDeps(pool=ModelPool(ModelOptions(), models={model_id: model}))


_probe: dict[str, Any] = {}


def _model_check() -> str | None:
    """None when the shipped models run here, else the one-line reason (probed once)."""
    if "failure" not in _probe:
        from maestro.agents.providers.health import SHIPPED_MODELS, probe

        verdicts = [probe(model_id) for model_id in SHIPPED_MODELS]
        _probe["verdicts"] = verdicts
        bad = [v for v in verdicts if not v.ok]
        _probe["failure"] = (
            "; ".join(f"{v.model} {v.verdict}" for v in bad)
            + " in a child process on this CPU: run `.venv/bin/maestro doctor` for the report"
            if bad
            else None
        )
    return _probe["failure"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if any(item.get_closest_marker("llm") for item in items):
        failure = _model_check()
        line = failure or ", ".join(
            f"{v.model} runs ({v.load_s} s load)" for v in _probe["verdicts"]
        )
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"embedded model check: {line}")


@pytest.fixture(autouse=True)
def _real_model_only_when_marked(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.get_closest_marker("llm"):
        failure = _model_check()
        if failure:
            pytest.fail(f"embedded model check failed: {failure}", pytrace=False)
        return

    original = local_provider._llama_class

    def refuse() -> Any:
        original()  # a missing llama-cpp-python still reports itself as it would
        raise AssertionError(
            f"{request.node.nodeid} loads the real embedded model: mark it @pytest.mark.llm "
            "or use a scripted model"
        )

    monkeypatch.setattr(local_provider, "_llama_class", refuse)


# CI installs these servers and tools (.ci/run); there a test that skips for want of one is a
# broken install step, not a missing extra, so MAESTRO_STRICT_SKIPS=1 turns such skips into
# failures. On a user's machine without them the tests skip with the reason.
SERVER_SKIPS = (
    "prometheus binary not installed",
    "PostgreSQL binaries",
    "chromium is not installed",
    "tmux is not installed",
    "langgraph-cli[inmem] is not installed",
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or os.environ.get("MAESTRO_STRICT_SKIPS") != "1":
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
    if any(marker in reason for marker in SERVER_SKIPS):
        report.outcome = "failed"
        report.longrepr = f"MAESTRO_STRICT_SKIPS: {reason} (.ci/run should have installed it)"
