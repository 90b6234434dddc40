"""A fault inside a run — a unit's bug, a failing callback, an exception anywhere in the
graph — ends the run with status `error`, a one-line reason naming the exception, the record
of what was done, nothing enforced, and exit code 3 on the command line: never a traceback."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import maestro
from maestro.agents.turn import AgentTurn, Unit
from maestro.cli import main
from maestro.graphs import NegotiationDeps
from maestro.graphs.negotiation import default_units
from tests.conftest import BASE_SCENARIO


def with_network() -> dict[str, Any]:
    data = copy.deepcopy(BASE_SCENARIO)
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15}
    data["rounds"] = 8
    return data


def broken_in(agent: str, round_: int, exc: Exception) -> NegotiationDeps:
    """The default units with one more that raises `exc` in one agent's turn of one round."""

    def broken(turn: AgentTurn) -> dict[str, Any]:
        if turn["agent"] == agent and turn["round"] == round_:
            raise exc
        return {}

    def units() -> list[Unit]:
        return [*default_units()[:1], Unit("broken", broken), *default_units()[1:]]

    return NegotiationDeps(operator_units=units, mediator_units=units)


def assert_failed(result: maestro.NegotiationResult, words: str) -> None:
    assert result.status == "error" and result.agreed is False and result.consensus is None
    assert result.reason.startswith("the run failed: ") and words in result.reason
    assert "\n" not in result.reason and result.enforcement is None
    assert [f["code"] for f in result.flags if f["code"] == "run_failed"] == ["run_failed"]


def test_a_unit_that_raises_ends_the_run_with_its_record() -> None:
    data = with_network()
    data["operators"][1]["utility"]["weight"] = 0.01  # no agreement in round 1
    deps = broken_in("qos", 2, RuntimeError("unit bug\nsecond line"))
    result = maestro.negotiate(data, deps=deps)
    assert_failed(result, "RuntimeError: unit bug")
    assert [r.round for r in result.rounds] == [1]  # the round it finished stays recorded


def test_a_mediator_fault_in_the_async_api() -> None:
    deps = broken_in("mediator", 1, KeyError("proposals"))
    data = with_network()
    data["operators"][1]["utility"]["weight"] = 0.01
    result = asyncio.run(maestro.anegotiate(data, deps=deps))
    assert_failed(result, "KeyError: 'proposals'")


def test_a_failing_event_callback_still_gives_the_record() -> None:
    seen: list[str] = []

    def callback(event: dict[str, Any]) -> None:
        seen.append(event["event"])
        if event["event"] == "round":
            raise ValueError("display broke")

    result = maestro.negotiate(with_network(), on_event=callback)
    assert_failed(result, "ValueError: display broke")
    assert "enforced" not in seen


def test_the_cli_reports_a_fault_as_exit_3_with_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr("maestro.graphs.negotiation.theoretical_consensus", bug)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(with_network()), encoding="utf-8")
    out = tmp_path / "run.json"
    code = main(["negotiate", str(scenario), "--json", str(out)])
    err = capsys.readouterr().err
    assert code == 3 and "Traceback" not in err and "ZeroDivisionError" in err
    record = json.loads(out.read_text())
    assert record["status"] == "error" and record["enforcement"] is None
    assert "ZeroDivisionError: float division by zero" in record["reason"]


def test_a_state_the_record_cannot_hold_still_gives_a_record() -> None:
    """A unit after validation that breaks the decision's shape: the run may end, but its
    rounds cannot be written; the record says so rather than raising."""

    def tamper(turn: AgentTurn) -> dict[str, Any]:
        if turn["role"] == "operator" and turn.get("decision"):
            return {"decision": {**turn["decision"], "source": None}}
        return {}

    def units() -> list[Unit]:
        return [*default_units(), Unit("tamper", tamper)]

    result = maestro.negotiate(with_network(), deps=NegotiationDeps(operator_units=units))
    assert_failed(result, "ValidationError")
    assert result.reason.endswith("(while writing the record)") and result.rounds == []
