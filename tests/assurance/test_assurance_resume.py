"""A loop stopped mid-fulfilment resumes from its SQLite checkpoint without redoing work."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from maestro.agents.assurance_scripts import scripted_models
from maestro.graphs.assurance_run import run_assurance
from maestro.graphs.executor import ExecResult, InProcessExecutor
from maestro.tools.intent import IntentSpec


class PowerCut(RuntimeError):
    pass


class CrashingExecutor(InProcessExecutor):
    """Dies (raises) at its n-th call, once: the process running the loop went away."""

    def __init__(self, crash_at: int) -> None:
        super().__init__()
        self.crash_at = crash_at

    def call(self, api: str, args: dict[str, Any]) -> ExecResult:
        if len(self.calls) + 1 == self.crash_at:
            self.crash_at = -1
            self.calls.append(("<crash>", {}))
            raise PowerCut(f"lost power before {api}")
        return super().call(api, args)


def test_resume_continues_from_the_checkpoint(
    paper_intent: IntentSpec, fast: Callable[..., Any], tmp_path: Path
) -> None:
    db = tmp_path / "assure.sqlite"
    model = scripted_models()["scripted:assurance"]
    ex = CrashingExecutor(crash_at=4)  # get_domain, compliance, avail ran; create crashes
    try:
        with pytest.raises(PowerCut):
            run_assurance(
                paper_intent,
                model,
                "scripted:assurance",
                ex,
                settings=fast(periods=1),
                checkpoint=db,
                thread_id="t1",
            )
        rec = run_assurance(
            paper_intent,
            model,
            "scripted:assurance",
            ex,
            settings=fast(periods=1),
            checkpoint=db,
            thread_id="t1",
            resume=True,
        )
    finally:
        ex.close()
    apis = [api for api, _ in ex.calls]
    # nothing before the crash ran twice; the crashed step ran once after the restart
    assert apis[:4] == ["get_domain", "compliance", "avail", "<crash>"]
    assert apis[4:] == ["create", "validate", "start", "schedule"]
    assert [p["api"] for p in rec["policies"]].count("get_domain") == 1
    assert [e["event"] for e in rec["timeline"]].count("classified") == 1
    assert rec["status"] == "fulfilled" and rec["service_health_pct"] == 100


def test_resume_of_an_unknown_thread_is_refused(
    paper_intent: IntentSpec, executor: InProcessExecutor, tmp_path: Path
) -> None:
    with pytest.raises(LookupError, match="no checkpoint"):
        run_assurance(
            paper_intent,
            scripted_models()["scripted:assurance"],
            "scripted:assurance",
            executor,
            checkpoint=tmp_path / "x.sqlite",
            thread_id="nope",
            resume=True,
        )


class CrashingMonitor(InProcessExecutor):
    """The loop's process dies during its second monitoring period."""

    def __init__(self) -> None:
        super().__init__()
        self.observed = 0

    def observe(self) -> dict[str, Any]:
        self.observed += 1
        if self.observed == 2:
            raise PowerCut("lost power while monitoring")
        return super().observe()


def test_resume_on_a_fresh_runtime_repairs_the_lost_collectors(
    paper_intent: IntentSpec, fast: Callable[..., Any], tmp_path: Path
) -> None:
    db = tmp_path / "assure.sqlite"
    model = scripted_models()["scripted:assurance"]
    first = CrashingMonitor()
    try:
        with pytest.raises(PowerCut):
            run_assurance(
                paper_intent,
                model,
                "scripted:assurance",
                first,
                settings=fast(periods=6),
                checkpoint=db,
                thread_id="t2",
            )
    finally:
        first.close()  # the machine restarted: its collectors are gone
    fresh = InProcessExecutor()  # a new runtime that knows nothing of the old collectors
    try:
        rec = run_assurance(
            paper_intent,
            model,
            "scripted:assurance",
            fresh,
            settings=fast(periods=6, stop_when_recovered=True),
            checkpoint=db,
            thread_id="t2",
            resume=True,
        )
    finally:
        fresh.close()
    # fulfilment was not redone; the loop saw the lost collectors and restarted both
    assert [a for a, _ in fresh.calls if a in ("get_domain", "create")] == []
    restarted = sorted(a["name"] for api, a in fresh.calls if api == "restart")
    assert restarted == ["collector1", "collector2"]
    assert rec["status"] == "assured" and rec["service_health_pct"] == 100
