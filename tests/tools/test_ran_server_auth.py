"""How the token reaches the server: the client's constructor or MAESTRO_RAN_TOKEN, and which
routes stay open where. Also a proxied driver's failure (502) and closing the client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from maestro.tools.ran import (
    MAX_SLICE_MBPS,
    TOKEN_ENV,
    HttpRanDriver,
    RanDriverError,
    RanEmulator,
    RanServer,
    create_app,
)
from maestro.tools.ran.guard import is_loopback

TOKEN = "test-token-0123456789"


@pytest.fixture
def server() -> Iterator[RanServer]:
    with RanServer(RanEmulator(cqi=15), token=TOKEN) as srv:
        yield srv


@pytest.fixture(autouse=True)
def no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)


def test_the_client_reads_the_token_from_the_environment(
    server: RanServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "not-the-server-token-at-all")
    with HttpRanDriver(server.url) as ran, pytest.raises(RanDriverError, match="wrong token"):
        ran.set_cell_on(False)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with HttpRanDriver(server.url) as ran:
        assert ran.set_cell_on(False).on is False
        assert TOKEN not in repr(ran)


def test_a_token_given_to_the_client_wins_over_the_environment(
    server: RanServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    wrong = HttpRanDriver(server.url, token="not-the-server-token-at-all")
    with wrong, pytest.raises(RanDriverError, match="wrong token"):
        wrong.set_demand("a", 5.0)
    monkeypatch.setenv(TOKEN_ENV, "not-the-server-token-at-all")
    with HttpRanDriver(server.url, token=TOKEN) as ran:
        ran.set_demand("a", 5.0)
    assert server.driver.cell_state().slices["a"].demand_mbps == 5.0


def test_without_a_token_the_client_reads_but_cannot_change(server: RanServer) -> None:
    with HttpRanDriver(server.url) as ran:
        assert ran.cell_state().on
        with pytest.raises(RanDriverError, match=rf"401: authorization.*set {TOKEN_ENV}"):
            ran.set_cell_on(False)
    assert server.driver.cell_state().on


def test_a_wrong_token_is_reported(server: RanServer) -> None:
    ran = HttpRanDriver(server.url, token="wrong-token-wrong-token")
    with ran, pytest.raises(RanDriverError, match="401: authorization: wrong token"):
        ran.advance(1.0)


def test_the_client_refuses_a_token_that_cannot_be_a_header() -> None:
    with pytest.raises(ValueError, match="token"):
        HttpRanDriver("http://127.0.0.1:1", token="two words")


def test_the_client_checks_the_server_limits_first() -> None:
    with HttpRanDriver("http://127.0.0.1:1", token=TOKEN) as ran:
        with pytest.raises(ValueError, match="mbps: at most"):
            ran.set_demand("a", MAX_SLICE_MBPS * 2)
        with pytest.raises(ValueError, match="seconds: at most"):
            ran.advance(1e12)


def test_a_closed_client_says_so(server: RanServer) -> None:
    ran = HttpRanDriver(server.url, token=TOKEN)
    assert ran.cell_state().on
    ran.close()
    ran.close()  # idempotent
    with pytest.raises(RanDriverError, match="closed"):
        ran.cell_state()


def test_a_client_passed_in_stays_open(server: RanServer) -> None:
    with httpx.Client(base_url=server.url) as shared:
        HttpRanDriver(server.url, client=shared, token=TOKEN).close()
        assert shared.get("/healthz").status_code == 200


def test_an_upstream_refusal_is_a_502(server: RanServer) -> None:
    upstream = HttpRanDriver(server.url)  # no token: the upstream server says 401
    with RanServer(upstream, log_level="critical") as front:
        r = httpx.post(
            f"{front.url}/cell",
            json={"on": False},
            headers={"Authorization": f"Bearer {front.token}"},
        )
    upstream.close()
    assert r.status_code == 502 and "401" in r.json()["error"]
    assert server.driver.cell_state().on


def test_reads_need_the_token_when_not_on_loopback() -> None:
    app = create_app(RanEmulator(cqi=15), token=TOKEN, open_reads=False)
    with TestClient(app) as client:
        for path in ("/state", "/metrics"):
            r = client.get(path)
            assert r.status_code == 401 and "authorization" in r.json()["error"]
            assert client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).is_success
        assert client.get("/healthz").json() == {"ok": True}  # liveness stays open


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.4", False),
        ("example.org", False),
    ],
)
def test_which_addresses_are_loopback(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback
