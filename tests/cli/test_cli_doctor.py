"""`maestro doctor`: a verdict per model, the build and CPU report, exit 3 when one crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maestro.agents.providers import health
from maestro.agents.providers.health import ModelVerdict
from maestro.cli import main


def _fake_probe(crash: set[str]):  # type: ignore[no-untyped-def]
    def probe(model_id: str, timeout_s: float = 0, command: object = None) -> ModelVerdict:
        if model_id in crash:
            return ModelVerdict(model=model_id, ok=False, verdict="crashed (SIGSEGV)")
        return ModelVerdict(
            model=model_id,
            ok=True,
            verdict="runs",
            load_s=0.2,
            tokens=6,
            system_info="CPU : AVX2 = 1 | AMX_INT8 = 1 |",
        )

    return probe


def test_a_crashing_model_fails_the_check_and_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(health, "probe", _fake_probe({"local:gemma-3-270m"}))
    report = tmp_path / "doctor.json"
    assert main(["doctor", "--json", str(report)]) == 3
    err = capsys.readouterr().out
    assert "FAIL local:gemma-3-270m: crashed (SIGSEGV)" in err and "ok local: runs" in err
    assert "./dev env" in err and "AMX" in err  # the advice and the AMX warning
    data = json.loads(report.read_text())
    assert data["ok"] is False and [m["ok"] for m in data["models"]] == [True, False]
    assert "features" in data["cpu"] and "llama_cpp_python" in data["build"]


def test_all_models_running_is_exit_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(health, "probe", _fake_probe(set()))
    assert main(["doctor", "--model", "local"]) == 0
    assert "ok local: runs" in capsys.readouterr().out


def test_a_non_local_model_is_a_user_mistake(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--model", "openai:gpt-4o"]) == 2
    assert "local models only" in capsys.readouterr().err
