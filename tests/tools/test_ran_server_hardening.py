"""Hostile requests against a real RAN server on loopback: tokens, strict numbers, limits.

Each case is one the issue found: the server changed state for anyone, overflowed its totals
to infinity, crashed on deep JSON, took any body size and any number of slices, cleared the
policy on an empty body and read "10" and true as ratios. A refused request changes nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from maestro.tools.ran import (
    MAX_SLICE_MBPS,
    CellConfig,
    CellState,
    Limits,
    RanEmulator,
    RanServer,
    SlicePolicy,
    SliceRatio,
)

CELL = CellConfig.oai_band78()
POLICY = SlicePolicy(
    slices=[SliceRatio(slice_id="a", min_ratio=30, max_ratio=60, dedicated_ratio=10)]
)
WRITES: list[tuple[str, Any]] = [
    ("/policy", {"slices": []}),
    ("/cell", {"on": False}),
    ("/demand", {"slice_id": "a", "mbps": 10}),
    ("/advance", {"seconds": 5}),
    ("/cqi", {"cqi": 3}),
]


@pytest.fixture
def server() -> Iterator[RanServer]:
    emulator = RanEmulator(cell=CELL, cqi=15)
    emulator.apply_policy(POLICY)
    with RanServer(emulator, limits=Limits(max_slices=8)) as srv:
        yield srv


@pytest.fixture
def http(server: RanServer) -> Iterator[httpx.Client]:
    auth = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, timeout=10, headers=auth) as client:
        yield client


def snapshot(server: RanServer) -> dict[str, Any]:
    """The state as served, checked to be plain finite JSON."""
    r = httpx.get(f"{server.url}/state", timeout=5)
    assert r.status_code == 200, r.text
    state = r.json()
    CellState.model_validate(state)
    return state


def refused(r: httpx.Response, status: int, needle: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert needle in r.json()["error"]


# -- tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_changes_need_the_token(server: RanServer, path: str, body: Any) -> None:
    before = snapshot(server)
    for headers in ({}, {"Authorization": "Bearer " + "x" * 32}, {"Authorization": "Basic abc"}):
        r = httpx.post(f"{server.url}{path}", json=body, headers=headers, timeout=5)
        refused(r, 401, "authorization")
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert snapshot(server) == before
    ok = httpx.post(
        f"{server.url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=5,
    )
    assert ok.status_code == 200, ok.text


def test_a_token_is_checked_before_the_body_is_read(server: RanServer) -> None:
    r = httpx.post(f"{server.url}/demand", content=b"[" * 200_000, timeout=5)
    refused(r, 401, "authorization")


def test_a_given_token_is_used_and_a_weak_one_refused() -> None:
    with RanServer(RanEmulator(cqi=15), token="s3cret-s3cret-s3cret") as srv:
        assert srv.token == "s3cret-s3cret-s3cret"
        r = httpx.post(
            f"{srv.url}/cell",
            json={"on": False},
            headers={"Authorization": "Bearer s3cret-s3cret-s3cret"},
        )
        assert r.status_code == 200 and r.json()["on"] is False
    with pytest.raises(ValueError, match="16 characters"):
        RanServer(RanEmulator(cqi=15), token="short")


# -- numbers ---------------------------------------------------------------------------------


def test_huge_demands_cannot_overflow_the_totals(server: RanServer, http: httpx.Client) -> None:
    before = snapshot(server)
    refused(http.post("/demand", json={"slice_id": "a", "mbps": 1e308}), 422, "mbps")
    refused(http.post("/demand", json={"slice_id": "b", "mbps": 1e308}), 422, "mbps")
    assert snapshot(server) == before
    for sid in ("a", "b"):  # the documented maximum is accepted, and the totals stay finite
        assert http.post("/demand", json={"slice_id": sid, "mbps": MAX_SLICE_MBPS}).is_success
    state = snapshot(server)
    assert state["demand_mbps"] == 2 * MAX_SLICE_MBPS and math.isfinite(state["capacity_mbps"])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/demand", {"slice_id": "a", "mbps": "5"}, "mbps"),
        ("/demand", {"slice_id": "a", "mbps": True}, "mbps"),
        ("/demand", {"slice_id": 7, "mbps": 5}, "slice_id"),
        ("/demand", {"slice_id": "   ", "mbps": 5}, "slice_id"),
        ("/demand", {"slice_id": "a\nb", "mbps": 5}, "slice_id"),
        ("/demand", {"slice_id": "x" * 65, "mbps": 5}, "slice_id"),
        ("/demand", {"slice_id": "a", "mbps": 5, "extra": 1}, "extra"),
        ("/cell", {"on": 0}, "on"),
        ("/cell", {"on": "false"}, "on"),
        ("/advance", {"seconds": True}, "seconds"),
        ("/advance", {"seconds": "1"}, "seconds"),
        ("/advance", {"seconds": 1e308}, "seconds"),
        ("/cqi", {"cqi": "7"}, "cqi"),
        ("/cqi", {"cqi": 7.5}, "cqi"),
        ("/cqi", {"cqi": True}, "cqi"),
    ],
)
def test_numbers_and_names_are_strict(
    server: RanServer, http: httpx.Client, path: str, body: Any, field: str
) -> None:
    before = snapshot(server)
    refused(http.post(path, json=body), 422, field)
    assert snapshot(server) == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_refused(server: RanServer, http: httpx.Client, literal: str) -> None:
    before = snapshot(server)
    raw = f'{{"slice_id": "a", "mbps": {literal}}}'.encode()
    refused(http.post("/demand", content=raw), 400, f"{literal} is not a JSON number")
    assert snapshot(server) == before


def test_a_number_beyond_float_range_is_not_finite(server: RanServer, http: httpx.Client) -> None:
    before = snapshot(server)
    raw = b'{"slice_id": "a", "mbps": 1e999}'
    refused(http.post("/demand", content=raw), 422, "mbps: Input should be a finite number")
    assert snapshot(server) == before


@pytest.mark.parametrize(
    "field", ["rRMPolicyMinRatio", "rRMPolicyMaxRatio", "rRMPolicyDedicatedRatio"]
)
@pytest.mark.parametrize("value", ["10", True, 10.5])
def test_ratios_must_be_integers(
    server: RanServer, http: httpx.Client, field: str, value: Any
) -> None:
    before = snapshot(server)
    entry = {"slice_id": "b", "rRMPolicyMinRatio": 10, "rRMPolicyMaxRatio": 50}
    entry[field] = value
    refused(http.post("/policy", json={"slices": [entry]}), 422, field)
    assert snapshot(server) == before


def test_nvs_names_must_be_names(server: RanServer, http: httpx.Client) -> None:
    before = snapshot(server)
    body = [{"label": {"x": 1}, "type": "SLICE_SM_NVS_V0_CAPACITY", "pct_reserved": 0.2}]
    refused(http.post("/policy", json=body), 422, "label")
    body = [{"id": True, "pct_reserved": 0.2}]
    refused(http.post("/policy", json=body), 422, "id")
    body = [{"label": "b", "pct_reserved": "0.2"}]
    refused(http.post("/policy", json=body), 422, "pct_reserved")
    assert snapshot(server) == before


# -- the policy in force -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   ", b"{}"])
def test_an_empty_policy_body_does_not_clear_the_policy(
    server: RanServer, http: httpx.Client, raw: bytes
) -> None:
    r = http.post("/policy", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"].startswith(("body", "slices"))
    assert snapshot(server)["policy"]["slices"][0]["slice_id"] == "a"


def test_clearing_the_policy_is_said_explicitly(server: RanServer, http: httpx.Client) -> None:
    r = http.post("/policy", json={"slices": []})
    assert r.status_code == 200 and r.json()["ok"] is True
    assert snapshot(server)["policy"] == {"slices": [], "resourceType": "PRB_DL"}


# -- sizes -----------------------------------------------------------------------------------


def test_deep_nesting_is_a_json_400_not_a_crash(server: RanServer, http: httpx.Client) -> None:
    before = snapshot(server)
    deep = b"[" * 30_000 + b"]" * 30_000  # would blow the parser's recursion
    r = http.post("/demand", content=deep, headers={"content-type": "application/json"})
    refused(r, 400, "nested deeper")
    medium = json.dumps({"slice_id": "a", "mbps": 1, "x": json.loads("[" * 40 + "]" * 40)})
    r = http.post("/demand", content=medium.encode())
    refused(r, 400, "nested deeper than the limit of 32")
    assert snapshot(server) == before


def test_large_bodies_are_refused(server: RanServer, http: httpx.Client) -> None:
    before = snapshot(server)
    padding = "x" * (Limits().max_body_bytes + 1)
    body = {"slice_id": "a", "mbps": 1, "pad": padding}
    refused(http.post("/demand", json=body), 413, "larger than the limit of 65536 bytes")

    def chunked() -> Iterator[bytes]:  # no content-length: counted while reading
        yield b'{"slice_id": "a", "mbps": 1, "pad": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    refused(http.post("/demand", content=chunked()), 413, "larger than the limit")
    assert snapshot(server) == before


def test_the_number_of_slices_is_limited(server: RanServer, http: httpx.Client) -> None:
    # The fixture's limit is 8 slices and its policy holds one ("a").
    for i in range(7):
        assert http.post("/demand", json={"slice_id": f"s{i}", "mbps": 1}).is_success
    before = snapshot(server)
    assert len(before["slices"]) == 8
    refused(http.post("/demand", json={"slice_id": "one-more", "mbps": 1}), 409, "limit of 8")
    assert snapshot(server) == before
    # Known slices can still change, and removing load makes room again.
    assert http.post("/demand", json={"slice_id": "s0", "mbps": 3}).is_success
    assert http.post("/demand", json={"slice_id": "never-seen", "mbps": 0}).is_success
    assert http.post("/demand", json={"slice_id": "s6", "mbps": 0}).is_success
    assert http.post("/demand", json={"slice_id": "one-more", "mbps": 1}).is_success


def test_a_policy_cannot_exceed_the_slice_limit(server: RanServer, http: httpx.Client) -> None:
    nine = [{"slice_id": f"p{i}", "min_ratio": 1, "max_ratio": 100} for i in range(9)]
    refused(http.post("/policy", json={"slices": nine}), 422, "limit of 8")
    nvs = [{"label": f"p{i}", "pct_reserved": 0.01} for i in range(9)]
    refused(http.post("/policy", json=nvs), 422, "limit of 8")
    # Slices under load count too: 5 loaded outside the policy + 4 new policy slices = 9.
    for i in range(5):
        assert http.post("/demand", json={"slice_id": f"d{i}", "mbps": 1}).is_success
    before = snapshot(server)
    four = nine[:4]
    refused(http.post("/policy", json={"slices": four}), 409, "limit of 8")
    assert snapshot(server) == before


def test_zero_demands_leave_no_trace(server: RanServer, http: httpx.Client) -> None:
    # Many ids set up and down again must not pile up in the emulator.
    for i in range(50):
        assert http.post("/demand", json={"slice_id": f"t{i}", "mbps": 1}).is_success
        assert http.post("/demand", json={"slice_id": f"t{i}", "mbps": 0}).is_success
    emulator = server.driver
    assert isinstance(emulator, RanEmulator)
    assert len(emulator._demands) == 0  # noqa: SLF001  (the leak is internal)


# -- every error is JSON -----------------------------------------------------------------------


def test_routing_errors_are_json(server: RanServer, http: httpx.Client) -> None:
    refused(http.get("/nope"), 404, "GET /nope: no such route")
    r = http.get("/policy")
    refused(r, 405, "allowed: POST")
    assert r.headers["allow"] == "POST"
    refused(http.post("/demand", content=b"{oops"), 400, "not valid JSON")
    refused(http.post("/demand", content=b"\xff\xfe"), 400, "not valid JSON")
    refused(http.post("/demand", json=["a", 1]), 422, "body: expected a JSON object")


class BrokenDriver(RanEmulator):
    """A driver with a bug (500), and one whose state JSON cannot carry (also 500)."""

    def set_cell_on(self, on: bool) -> CellState:
        raise KeyError("bug")

    def advance(self, seconds: float = 1.0) -> CellState:
        state = super().advance(seconds)
        return state.model_copy(update={"demand_mbps": math.inf})


def test_driver_failures_are_json_500() -> None:
    with RanServer(BrokenDriver(cqi=15), log_level="critical") as srv:
        auth = {"Authorization": f"Bearer {srv.token}"}
        r = httpx.post(f"{srv.url}/cell", json={"on": False}, headers=auth)
        refused(r, 500, "internal error in POST /cell: KeyError")
        r = httpx.post(f"{srv.url}/advance", json={"seconds": 1}, headers=auth)
        refused(r, 500, "internal error in POST /advance: ValueError")
