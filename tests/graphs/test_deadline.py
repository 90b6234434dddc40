"""A run's deadline bounds it whatever the endpoint does: past it the run ends with status
`error`, its record, nothing enforced, exit code 3. Bad time settings are refused up front.

The endpoint below accepts connections and never answers. With MAESTRO_TIMEOUT at an hour,
only the deadline can end these runs; a watchdog (far beyond the deadline) turns a run that
the deadline did not stop into a failure instead of a hung test session.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

import maestro
from maestro.agents.providers import ScriptedChatModel
from maestro.agents.providers.scripted import follow_optimizer
from maestro.cli import main
from tests.conftest import BASE_SCENARIO, deps_with

T = TypeVar("T")
WATCHDOG_S = 120.0  # the endpoint would hold a run for hours; the deadline is 2 s


class SilentEndpoint:
    """A TCP server on loopback that accepts every connection and never sends a byte."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/v1"
        self.held: list[socket.socket] = []
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:  # closed
                return
            self.accepted += 1
            self.held.append(conn)

    def close(self) -> None:
        self.server.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent(monkeypatch: pytest.MonkeyPatch) -> Iterator[SilentEndpoint]:
    endpoint = SilentEndpoint()
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint.url)
    monkeypatch.setenv("MAESTRO_TIMEOUT", "3600")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("MAESTRO_MODEL", raising=False)
    monkeypatch.delenv("MAESTRO_DEADLINE", raising=False)
    yield endpoint
    endpoint.close()


def within_watchdog(call: Callable[[], T]) -> T:
    """Run `call` in a thread; fail the test if it is still running after the watchdog."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = call()
        except BaseException as exc:
            out["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(WATCHDOG_S)
    assert not worker.is_alive(), "the deadline did not end the run"
    if "error" in out:
        raise out["error"]
    value: T = out["value"]
    return value


def network_scenario() -> dict[str, Any]:
    data = copy.deepcopy(BASE_SCENARIO)
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15}
    return data


def test_a_silent_endpoint_ends_the_run_at_the_deadline(silent: SilentEndpoint) -> None:
    result = within_watchdog(
        lambda: maestro.negotiate(network_scenario(), model="openai:x", deadline=2)
    )
    assert silent.accepted >= 1  # the calls did reach the endpoint and hung there
    assert result.status == "error" and result.agreed is False and result.consensus is None
    assert "deadline of 2 s passed" in result.reason and "model call in round 1" in result.reason
    assert result.enforcement is None and result.rounds == []
    assert [f["code"] for f in result.flags] == ["deadline_exceeded"]
    assert result.settings["deadline_s"] == 2


def test_the_deadline_setting_applies_to_the_async_api(
    silent: SilentEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setenv("MAESTRO_DEADLINE", "1.5")
    result = within_watchdog(
        lambda: asyncio.run(maestro.anegotiate(network_scenario(), model="openai:x"))
    )
    assert result.status == "error" and "deadline of 1.5 s passed" in result.reason
    assert result.enforcement is None


def test_the_cli_writes_the_record_and_exits_3(
    silent: SilentEndpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(network_scenario()), encoding="utf-8")
    out = tmp_path / "run.json"
    argv = ["negotiate", str(scenario), "-m", "openai:x", "--deadline", "2", "--json", str(out)]
    code = within_watchdog(lambda: main(argv))
    err = capsys.readouterr().err
    assert code == 3 and "Traceback" not in err and "deadline" in err
    record = json.loads(out.read_text())
    assert record["status"] == "error" and record["enforcement"] is None


def test_the_deadline_is_checked_between_turns(scenario_dict: dict[str, Any]) -> None:
    """A model that answers, slowly: the run stops between turns once the deadline passed,
    keeps the rounds it finished, and enforces nothing although the agents would agree."""

    def slow(messages: Any, facts: Any) -> str:
        time.sleep(0.2)
        return follow_optimizer(messages, facts)

    scenario_dict |= {"model": "scripted:custom", "rounds": 50, "epsilon": 1e-3}
    scenario_dict["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15}
    for op in scenario_dict["operators"]:
        op["utility"]["weight"] = 1e-3  # slow convergence: many rounds
    deps = deps_with(ScriptedChatModel(script=slow))
    result = within_watchdog(lambda: maestro.negotiate(scenario_dict, deps=deps, deadline=0.5))
    assert result.status == "error" and "deadline of 0.5 s passed" in result.reason
    assert result.enforcement is None and len(result.rounds) < 50


@pytest.mark.parametrize("variable", ["MAESTRO_TIMEOUT", "MAESTRO_DEADLINE"])
@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "1e308"])
def test_unusable_time_settings_are_refused_with_one_line(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, value)
    from tests.conftest import EXAMPLE

    code = main(["negotiate", str(EXAMPLE), "-m", "scripted:optimizer", "-q"])
    err = capsys.readouterr().err
    assert code == 2 and variable in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0"])
def test_an_unusable_deadline_option_is_refused(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import EXAMPLE

    code = main(["negotiate", str(EXAMPLE), "-m", "scripted:optimizer", "--deadline", value])
    err = capsys.readouterr().err
    assert code == 2 and "deadline" in err and len(err.strip().splitlines()) == 1, err


def test_a_served_run_ends_at_the_deadline_a_client_may_only_shorten(
    silent: SilentEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.graphs.test_langgraph_entry import served_graph

    monkeypatch.setenv("MAESTRO_DEADLINE", "1.5")
    monkeypatch.setenv("MAESTRO_ALLOWED_MODELS", "openai:x")
    graph = served_graph()
    context = {"model": "openai:x", "deadline": 86_400}
    out = within_watchdog(lambda: graph.invoke({"scenario": network_scenario()}, context=context))
    record = out["record"]
    assert record["status"] == "error" and "deadline of 1.5 s passed" in record["reason"]
    assert record["settings"]["deadline_s"] == 1.5 and record["enforcement"] is None
    context["deadline"] = 1
    record = within_watchdog(
        lambda: graph.invoke({"scenario": network_scenario()}, context=context)
    )["record"]
    assert record["settings"]["deadline_s"] == 1 and "deadline of 1 s" in record["reason"]
