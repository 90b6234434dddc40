"""The HTTP face of the RAN driver: routes, errors that name the field, client failures, replay.

Hostile requests (tokens, limits, strict numbers) are in test_ran_server_hardening.py.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from maestro.tools.ran import (
    CellConfig,
    HttpRanDriver,
    RadioTrace,
    RanDriverError,
    RanEmulator,
    RanServer,
    SlicePolicy,
    SliceRatio,
    to_nvs,
)

CELL = CellConfig.oai_band78()


@pytest.fixture
def server() -> Iterator[RanServer]:
    with RanServer(RanEmulator(cell=CELL, cqi=15)) as srv:
        yield srv


@pytest.fixture
def http(server: RanServer) -> Iterator[httpx.Client]:
    auth = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, timeout=5, headers=auth) as client:
        yield client


def two_slices() -> SlicePolicy:
    return SlicePolicy(
        slices=[
            SliceRatio(slice_id="a", min_ratio=30, max_ratio=60, dedicated_ratio=10),
            SliceRatio(slice_id="b", min_ratio=20, max_ratio=100),
        ]
    )


def test_state_is_plain_json(http: httpx.Client) -> None:
    r = http.get("/state")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["on"] is True and body["cqi"] == 15 and body["n_prb"] == 106
    assert body["capacity_mbps"] == pytest.approx(134.36, abs=0.01)
    assert body["policy"] is None


def test_policy_in_ts_28541_field_names(http: httpx.Client) -> None:
    body = two_slices().model_dump(mode="json", by_alias=True)
    assert "rRMPolicyMinRatio" in str(body)
    r = http.post("/policy", json=body)
    assert r.status_code == 200 and r.json()["ok"] is True
    assert "rRMPolicyMaxRatio" in str(r.json()["state"]["policy"])


def test_policy_in_flexric_nvs_form(http: httpx.Client) -> None:
    nvs = to_nvs(two_slices(), CELL)
    r = http.post("/policy", json=nvs)
    assert r.status_code == 200, r.text
    applied = r.json()["state"]["policy"]
    assert applied is not None and len(applied["slices"]) == 2


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/demand", {"slice_id": "a"}, "mbps"),
        ("/demand", {"mbps": 3}, "slice_id"),
        ("/demand", {"slice_id": "a", "mbps": -3}, "mbps"),
        ("/demand", ["a", 3], "body"),
        ("/cell", {"on": "yes"}, "on"),
        ("/cell", {}, "on"),
        ("/advance", {"seconds": 0}, "seconds"),
        ("/advance", {"seconds": "soon"}, "seconds"),
        ("/cqi", {"cqi": 16}, "cqi"),
        ("/cqi", {}, "cqi"),
    ],
)
def test_bad_requests_are_422_naming_the_field(
    http: httpx.Client, path: str, body: object, field: str
) -> None:
    r = http.post(path, json=body)
    assert r.status_code == 422
    assert r.json()["error"].startswith(field)


def test_invalid_policy_names_the_bad_field(http: httpx.Client) -> None:
    body = two_slices().model_dump(mode="json", by_alias=True)
    body["slices"][0]["rRMPolicyMinRatio"] = 90  # above its max ratio of 60
    r = http.post("/policy", json=body)
    assert r.status_code == 422
    assert "slices" in r.json()["error"]
    assert http.get("/state").json()["policy"] is None


def test_body_that_is_not_json(http: httpx.Client) -> None:
    r = http.post("/demand", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]


def test_unknown_route_and_wrong_method(http: httpx.Client) -> None:
    assert http.get("/nope").status_code == 404
    assert http.get("/policy").status_code == 405
    assert http.get("/healthz").json() == {"ok": True}


def test_reads_are_open_on_loopback(server: RanServer) -> None:
    assert httpx.get(f"{server.url}/state").status_code == 200
    assert httpx.get(f"{server.url}/metrics").status_code == 200


def test_pinning_the_cqi_over_http(server: RanServer) -> None:
    with HttpRanDriver(server.url, token=server.token) as ran:
        assert ran.set_cqi(12).capacity_mbps == pytest.approx(95.09, abs=0.01)
        with pytest.raises(RanDriverError, match=r"422: cqi"):
            ran.set_cqi(99)


def test_client_reports_an_unreachable_server_clearly() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ran = HttpRanDriver(f"http://127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(RanDriverError, match=rf"127.0.0.1:{port}: GET /state failed"):
        ran.cell_state()


def test_client_rejects_a_url_without_scheme() -> None:
    with pytest.raises(ValueError, match="base_url"):
        HttpRanDriver("localhost:8080")


def test_server_releases_its_port_on_exit() -> None:
    with RanServer(RanEmulator(cqi=10)) as srv:
        url, port = srv.url, srv.port
        assert httpx.get(f"{url}/healthz").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/healthz", timeout=1)
    with socket.socket() as s:  # the port can be bound again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_a_proxy_driver_is_served_through_the_thread_pool(server: RanServer) -> None:
    upstream = HttpRanDriver(server.url, token=server.token)
    with RanServer(upstream) as front, HttpRanDriver(front.url, token=front.token) as ran:
        assert front.token != server.token  # each server its own token
        ran.set_demand("a", 25.0)
        assert upstream.cell_state().slices["a"].mbps == pytest.approx(25.0)
        assert ran.apply_policy(two_slices()).ok
    upstream.close()


def test_200_concurrent_requests_all_answer(server: RanServer) -> None:
    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as c:
            responses = await asyncio.gather(*(c.get("/state") for _ in range(200)))
        return [r.status_code for r in responses]

    assert asyncio.run(burst()) == [200] * 200


def test_accelerated_replay_moves_the_clock_and_stops() -> None:
    trace = RadioTrace(
        t_s=np.arange(100, dtype=np.float64),
        cqi=np.where(np.arange(100) < 20, 15, 7).astype(np.int64),
        dl_mbps=np.zeros(100),
        source="two-level",
    )
    emulator = RanEmulator(cell=CELL, trace=trace)
    with emulator:
        emulator.start(speed=500.0)
        assert emulator.running
        with pytest.raises(RuntimeError, match="already running"):
            emulator.start()
        deadline = time.monotonic() + 10
        while emulator.cell_state().t_s < 30 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert not emulator.running
    state = emulator.cell_state()
    assert state.t_s >= 30 and state.cqi == 7
    time.sleep(0.05)
    assert emulator.cell_state().t_s == state.t_s  # stopped for good


def test_replay_rejects_a_bad_speed() -> None:
    with pytest.raises(ValueError, match="speed"):
        RanEmulator(cqi=15).start(speed=0)
