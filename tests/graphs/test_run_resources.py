"""What a run costs and leaves behind: timings under parallel calls, imports, open clients."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import maestro
from maestro.graphs.runner import covered_seconds
from maestro.tools.ran import HttpRanDriver, RanEmulator, RanServer
from tests.cli.test_cli_model_failures import FakeOpenAI
from tests.conftest import BASE_SCENARIO


def test_covered_seconds_counts_overlapping_spans_once() -> None:
    assert covered_seconds([]) == 0.0
    assert covered_seconds([(0, 1), (0.5, 2), (3, 4)]) == pytest.approx(3.0)
    assert covered_seconds([(0, 4), (1, 2)]) == pytest.approx(4.0)


@pytest.fixture
def slow_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    fake.delay_s = 0.3
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
    yield fake
    fake.close()


def test_parallel_remote_calls_leave_a_framework_share(slow_endpoint: FakeOpenAI) -> None:
    scenario = copy.deepcopy(BASE_SCENARIO)
    scenario["operators"] = [
        {**scenario["operators"][i % 2], "id": f"op{i}", "display_name": f"Op {i}"}
        for i in range(4)
    ]
    result = maestro.negotiate(scenario, model="openai:x", rounds=1)
    timings = result.timings
    # Four calls ran side by side: their summed time exceeds the wall time. The model's
    # share is the time any call ran, so the framework's share is no longer clamped to 0.
    assert result.llm.calls == 4
    assert timings.model_s <= timings.wall_s
    assert timings.framework_s == pytest.approx(timings.wall_s - timings.model_s)
    assert 0 < timings.framework_share < 1


def test_importing_the_api_does_not_import_scipy_signal() -> None:
    code = "import sys, maestro.api; print('scipy.signal' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_driver_the_run_opened_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[str] = []
    original = HttpRanDriver.close

    def close(self: HttpRanDriver) -> None:
        closed.append(self.base_url)
        original(self)

    monkeypatch.setattr(HttpRanDriver, "close", close)
    scenario: dict[str, Any] = copy.deepcopy(BASE_SCENARIO)
    with RanServer(RanEmulator(cqi=15)) as server:
        url = server.url
        scenario["network"] = {"driver_url": url}
        result = maestro.negotiate(scenario)
        assert result.agreed and closed == [url.rstrip("/")]


def test_a_driver_the_caller_passed_stays_open(monkeypatch: pytest.MonkeyPatch) -> None:
    with RanServer(RanEmulator(cqi=15)) as server:
        driver = HttpRanDriver(server.url)
        scenario: dict[str, Any] = copy.deepcopy(BASE_SCENARIO)
        scenario["network"] = {"bandwidth_mhz": 40, "scs_khz": 30}
        maestro.negotiate(scenario, driver=driver)
        assert driver.cell_state().on  # still usable: the caller closes it
        driver.close()
