"""The client and the command line against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from maestro.cli import main
from maestro.tools.orchestrator.apiserver import ApiServer
from maestro.tools.orchestrator.auth import TokenStore
from maestro.tools.orchestrator.client import OrchestratorApiError, OrchestratorClient
from tests.orchestrator_api.helpers import OBSERVER, TENANT_A, TENANT_B, TOKENS, chain


@pytest.fixture(scope="module")
def server(domain: Path, tokens: TokenStore) -> Iterator[ApiServer]:
    with ApiServer(domain, tokens) as srv:
        yield srv


def test_client_round_trip(server: ApiServer) -> None:
    with OrchestratorClient(server.url, TENANT_A) as client:
        created = client.create(chain("via-client"))
        assert created["order"] == ["backend", "frontend"]
        assert client.get("via-client")["intent"]["name"] == "via-client"
        status = client.status("via-client")
        assert set(status["services"]) == {"backend", "frontend"}
        assert {link["scope"] for link in client.network("via-client")["links"]} == {"inter-edge"}
        assert client.delete("via-client")["removed"] == ["backend", "frontend"]


def test_client_errors_carry_status_and_reason(server: ApiServer) -> None:
    with OrchestratorClient(server.url, "wrong-token-but-long-enough") as client:
        with pytest.raises(OrchestratorApiError) as err:
            client.catalogue()
        assert err.value.status == 401
    with OrchestratorClient(server.url, OBSERVER) as client:
        with pytest.raises(OrchestratorApiError) as err:
            client.intents()
        assert err.value.status == 403
    with OrchestratorClient("http://127.0.0.1:9", TENANT_A, timeout=2) as client:
        with pytest.raises(OrchestratorApiError) as err:
            client.health()
        assert err.value.status == 0 and "cannot reach" in err.value.message
    with pytest.raises(ValueError, match="query"):
        OrchestratorClient(server.url + "/?token=x", TENANT_A)
    with OrchestratorClient(server.url, TENANT_A) as client, pytest.raises(ValueError):
        client.get("../domain.yaml")


def test_client_sends_the_token_in_the_header_only(server: ApiServer) -> None:
    seen: list[httpx.Request] = []
    transport = httpx.HTTPTransport()

    class Spy(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return transport.handle_request(request)

    with OrchestratorClient(server.url, TENANT_A, transport=Spy()) as client:
        client.catalogue()
    assert TENANT_A not in str(seen[0].url)
    assert seen[0].headers["authorization"] == f"Bearer {TENANT_A}"


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_with_url(
    server: ApiServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAESTRO_ORCHESTRATOR_TOKEN", TENANT_B)
    intent = tmp_path / "intent.yaml"
    intent.write_text(yaml.safe_dump(chain("via-cli")), encoding="utf-8")
    code, out, err = run_cli(["domain", "apply", str(intent), "--url", server.url], capsys)
    assert code == 0, err
    assert "order: backend -> frontend" in out
    code, out, _ = run_cli(
        ["domain", "status", "via-cli", "--url", server.url, "--json", "-"], capsys
    )
    assert code == 0 and json.loads(out)["intent"] == "via-cli"
    # another tenant: the intent does not exist for them -> the user's mistake, exit 2
    monkeypatch.setenv("MAESTRO_ORCHESTRATOR_TOKEN", TENANT_A)
    code, _, err = run_cli(["domain", "status", "via-cli", "--url", server.url], capsys)
    assert code == 2 and "HTTP 404" in err and "Traceback" not in err
    monkeypatch.setenv("MAESTRO_ORCHESTRATOR_TOKEN", TENANT_B)
    code, out, _ = run_cli(["domain", "delete", "via-cli", "--url", server.url], capsys)
    assert code == 0 and "removed backend, frontend" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["domain", "health"], "--url"),
        (["domain", "status", "../x", "--url", "http://127.0.0.1:9"], "DNS label"),
        (["domain", "apply", "/no/such/file.yaml", "--url", "http://127.0.0.1:9"], "not found"),
        (["domain", "token", "--tenant", "Bad Name"], "--tenant"),
        (["domain", "token", "--tenant", "x", "--role", "root"], "--role"),
    ],
)
def test_cli_mistakes_are_one_line_exit_2(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MAESTRO_ORCHESTRATOR_URL", raising=False)
    monkeypatch.setenv("MAESTRO_ORCHESTRATOR_TOKEN", TENANT_A)
    code, _, err = run_cli(args, capsys)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1


def test_cli_unreachable_server_is_exit_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAESTRO_ORCHESTRATOR_TOKEN", TENANT_A)
    code, _, err = run_cli(["domain", "health", "--url", "http://127.0.0.1:9"], capsys)
    assert code == 3 and "cannot reach" in err


def test_token_command_prints_a_usable_token(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["domain", "token", "--tenant", "op-c", "--role", "observer"], capsys)
    assert code == 0
    line = yaml.safe_load(err.strip())[0]
    store = TokenStore.from_data([line])
    assert store.authenticate(out.strip()).tenant == "op-c"
    assert out.strip() not in err


def test_serve_command(domain: Path, tmp_path: Path) -> None:
    """`maestro orchestrator serve` as a user runs it: a process, a token file, a port."""
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(yaml.safe_dump({"tokens": TOKENS}), encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maestro.cli",
            "orchestrator",
            "serve",
            "-d",
            str(domain),
            "--tokens",
            str(tokens),
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"COLUMNS": "200"},
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url, line
        deadline = time.monotonic() + 20
        while True:
            try:
                res = httpx.get(
                    url.group(0) + "/catalogue", headers={"Authorization": f"Bearer {OBSERVER}"}
                )
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert res.status_code == 200
        assert httpx.get(url.group(0) + "/catalogue").status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    rest = proc.stderr.read() if proc.stderr else ""
    assert all(t["token"] not in line + rest for t in TOKENS)


def test_two_tenants_racing_for_a_new_name(server: ApiServer) -> None:
    """Exactly one gets it; the other is told the name is taken, and changes nothing."""
    from concurrent.futures import ThreadPoolExecutor

    def put(token: str) -> tuple[str, int]:
        with OrchestratorClient(server.url, token) as client:
            try:
                client.apply(chain("raced"))
                return token, 201
            except OrchestratorApiError as exc:
                return token, exc.status

    with ThreadPoolExecutor(2) as pool:
        results = dict(pool.map(put, [TENANT_A, TENANT_B]))
    assert sorted(results.values()) == [201, 409], results
    winner = next(t for t, code in results.items() if code == 201)
    loser = TENANT_B if winner == TENANT_A else TENANT_A
    with OrchestratorClient(server.url, winner) as client:
        assert client.get("raced")["intent"]["name"] == "raced"
        client.delete("raced")
    with OrchestratorClient(server.url, loser) as client, pytest.raises(OrchestratorApiError):
        client.get("raced")
