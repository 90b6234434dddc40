"""`/metrics` in the Prometheus exposition format, and a real Prometheus reading it back.

The integration test starts Debian's `prometheus` on a loopback port with a temporary storage
directory and a 1 s scrape interval, and reads the RAN server's values with PromQL.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from maestro.tools.ran import (
    METRIC_NAMES,
    HttpRanDriver,
    PromQLClient,
    PromQLError,
    RanEmulator,
    RanServer,
    SlicePolicy,
    SliceRatio,
    observe_prometheus,
)

PROMETHEUS = shutil.which("prometheus") or (
    "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
)
T = TypeVar("T")


def policy() -> SlicePolicy:
    return SlicePolicy(
        slices=[
            SliceRatio(slice_id="op1", min_ratio=40, max_ratio=50, dedicated_ratio=0),
            SliceRatio(slice_id="op2", min_ratio=20, max_ratio=100),
        ]
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_exposition_matches_the_state() -> None:
    emulator = RanEmulator(cqi=12)
    emulator.apply_policy(policy())
    emulator.set_demand("op1", 30.0)
    emulator.set_demand("op2", 10.0)
    state = emulator.cell_state()
    with RanServer(emulator) as srv:
        r = httpx.get(f"{srv.url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    got = samples(r.text)
    assert {name for name, _ in got} == set(METRIC_NAMES)
    assert got[("maestro_ran_cell_on", ())] == 1
    assert got[("maestro_ran_cqi", ())] == 12
    assert got[("maestro_ran_capacity_mbps", ())] == pytest.approx(95.09, abs=0.01)
    assert got[("maestro_ran_prbs_total", ())] == 106
    assert got[("maestro_ran_prbs_used", ())] == state.prbs_used > 0
    assert got[("maestro_ran_demand_mbps", ())] == 40.0
    assert got[("maestro_ran_slice_throughput_mbps", (("slice", "op1"),))] == pytest.approx(30.0)
    assert got[("maestro_ran_slice_demand_mbps", (("slice", "op2"),))] == 10.0
    assert got[("maestro_ran_slice_prbs", (("slice", "op1"),))] == state.slices["op1"].prbs
    assert got[("maestro_ran_slice_min_ratio", (("slice", "op1"),))] == 40
    assert got[("maestro_ran_slice_max_ratio", (("slice", "op1"),))] == 50


def test_metrics_follow_the_cell_switching_off() -> None:
    with RanServer(RanEmulator(cqi=15)) as srv, HttpRanDriver(srv.url, token=srv.token) as ran:
        ran.set_cell_on(False)
        got = samples(ran.metrics_text())
    assert got[("maestro_ran_cell_on", ())] == 0
    assert got[("maestro_ran_capacity_mbps", ())] == 0


def test_promql_client_reports_an_unreachable_prometheus() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = PromQLClient(f"http://127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(PromQLError, match="maestro_ran_cqi"):
        client.scalar("maestro_ran_cqi")
    with pytest.raises(ValueError, match="url"):
        PromQLClient("prometheus:9090")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Callable[[str], PromQLClient]]:
    """Start a real Prometheus scraping the given target; stop it afterwards."""
    if PROMETHEUS is None:
        pytest.skip("prometheus binary not installed (apt-get install prometheus)")
    procs: list[subprocess.Popen[bytes]] = []

    def start(target: str) -> PromQLClient:
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: ran\n    static_configs:\n"
            f"      - targets: ['{target}']\n",
            encoding="utf-8",
        )
        port = free_port()
        log = (tmp_path / "prometheus.log").open("wb")
        proc = subprocess.Popen(
            [
                str(PROMETHEUS),
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        client = PromQLClient(f"http://127.0.0.1:{port}", timeout=2.0)

        def ready() -> bool | None:
            if proc.poll() is not None:
                raise AssertionError(
                    f"prometheus exited: {(tmp_path / 'prometheus.log').read_text()[-800:]}"
                )
            return True if client.ready() else None

        wait_for(ready, 30, "prometheus to be ready")
        return client

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.integration
def test_real_prometheus_scrapes_the_ran_server(
    prometheus: Callable[[str], PromQLClient],
) -> None:
    emulator = RanEmulator(cqi=15)
    emulator.apply_policy(policy())
    emulator.set_demand("op1", 45.0)
    emulator.set_demand("op2", 20.0)
    with RanServer(emulator) as srv:
        promql = prometheus(f"127.0.0.1:{srv.port}")
        seen = wait_for(lambda: observe_prometheus(promql, {"job": "ran"}), 30, "first scrape")
        assert seen.on and seen.cqi == 15 and seen.n_prb == 106
        assert seen.capacity_mbps == pytest.approx(134.36, abs=0.01)
        assert seen.demand_mbps == pytest.approx(65.0)
        assert seen.slice_throughput_mbps == {
            "op1": pytest.approx(45.0),
            "op2": pytest.approx(20.0),
        }
        assert seen.void_reason is None
        assert promql.scalar('sum(maestro_ran_slice_demand_mbps{job="ran"})') == 65.0
        labels = {lab["slice"] for lab, _ in promql.query("maestro_ran_slice_prbs")}
        assert labels == {"op1", "op2"}
        with pytest.raises(PromQLError, match="bad_data"):
            promql.query("maestro_ran_cqi{")

        emulator.set_cell_on(False)

        def switched_off() -> bool | None:
            obs = observe_prometheus(promql, {"job": "ran"})
            return True if obs is not None and not obs.on else None

        wait_for(switched_off, 30, "prometheus to see the cell switched off")
        obs = observe_prometheus(promql, {"job": "ran"})
        assert obs is not None and obs.void_reason == "the cell is switched off"
        assert obs.capacity_mbps == 0
