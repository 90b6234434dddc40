"""`maestro ran capacity` and `maestro ran serve`, in-process and as a real process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from maestro.cli import main
from maestro.tools.ran import TOKEN_ENV, CellConfig, throughput_mbps

TOKEN = "cli-test-token-0123456789"


def capacity_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code = main(["ran", "capacity", *args, "--json", "-"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


@pytest.mark.parametrize(("cqi", "mbps"), [(7, 36.06), (10, 67.23), (12, 95.09), (15, 134.36)])
def test_capacity_of_the_paper_cell(capsys, cqi: int, mbps: float) -> None:
    record = capacity_json(capsys, "--bandwidth", "40", "--scs", "30", "--cqi", str(cqi))
    assert record["mbps"] == pytest.approx(mbps, abs=0.01)
    assert record["prbs"] == 106 == record["n_prb"]


def test_capacity_over_half_the_prbs(capsys) -> None:
    record = capacity_json(capsys, "--cqi", "15", "--prbs", "53")
    assert record["mbps"] == pytest.approx(67.23, abs=0.01) and record["prbs"] == 53


def test_prbs_for_a_target_throughput(capsys) -> None:
    record = capacity_json(capsys, "--cqi", "15", "--mbps", "50")
    prbs = record["prbs"]
    cell = CellConfig.oai_band78()
    assert record["mbps"] >= 50 > throughput_mbps(cell, 15, prbs - 1)
    assert record["target_mbps"] == 50


def test_capacity_human_line(capsys) -> None:
    assert main(["ran", "capacity", "--cqi", "12"]) == 0
    out = capsys.readouterr().out
    assert "95.09 Mbps over 106 of 106 PRBs" in out


def test_capacity_json_to_a_file(tmp_path: Path, capsys) -> None:
    dest = tmp_path / "cap.json"
    assert main(["ran", "capacity", "--cqi", "15", "--json", str(dest)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(dest.read_text())["mbps"] == pytest.approx(134.36, abs=0.01)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--bandwidth", "42"], "bandwidth"),
        (["--layers", "9"], "--layers"),
        (["--mcs-table", "3"], "--mcs-table"),
        (["--prbs", "-1"], "--prbs"),
        (["--scs", "25"], "scs"),
        (["--prbs", "200"], "--prbs"),
        (["--prbs", "10", "--mbps", "5"], "--prbs and --mbps"),
        (["--mbps", "-4"], "--mbps"),
        (["--cqi", "15", "--mbps", "500"], "--mbps"),
    ],
)
def test_capacity_user_errors_are_one_line(capsys, args: list[str], needle: str) -> None:
    code = main(["ran", "capacity", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err and "Traceback" not in err


def test_cqi_out_of_range_is_refused(capsys) -> None:
    assert main(["ran", "capacity", "--cqi", "16"]) == 2
    assert "--cqi" in capsys.readouterr().err


def test_serve_refuses_a_missing_trace(tmp_path: Path, capsys) -> None:
    code = main(["ran", "serve", "--trace", str(tmp_path / "none.csv")])
    assert code == 2 and "--trace: file not found" in capsys.readouterr().err


def test_serve_refuses_a_malformed_trace(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("this,is,not\na,trace,file\n", encoding="utf-8")
    code = main(["ran", "serve", "--trace", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "--trace" in err and "Traceback" not in err


def test_serve_refuses_a_busy_port(capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code = main(["ran", "serve", "--cqi", "12", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}" in err


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Replace the blocking `serve` with a recorder: what would have been served, and how."""
    calls: list[dict] = []

    def fake_serve(driver, sock=None, **kwargs) -> None:  # noqa: ANN001
        calls.append({"driver": driver, "address": sock.getsockname(), **kwargs})
        sock.close()

    monkeypatch.setattr("maestro.tools.ran.serve", fake_serve)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "ran.example.org"])
def test_serve_refuses_a_public_address_without_a_token(
    capsys: pytest.CaptureFixture[str], served: list[dict], host: str
) -> None:
    code = main(["ran", "serve", "--cqi", "12", "--speed", "0", "--host", host, "--port", "0"])
    err = capsys.readouterr().err
    assert code == 2 and served == []
    assert f"--host {host}: serving beyond loopback needs a token" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_serve_on_a_public_address_with_a_token(
    capsys: pytest.CaptureFixture[str], served: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    code = main(["ran", "serve", "--cqi", "12", "--speed", "0", "--host", "0.0.0.0", "--port", "0"])
    assert code == 0, capsys.readouterr().err
    assert served[0]["token"] == TOKEN and served[0]["address"][0] == "0.0.0.0"
    assert TOKEN not in capsys.readouterr().err  # a token set by the user is not echoed


def test_serve_on_loopback_without_a_token_prints_a_fresh_one(
    capsys: pytest.CaptureFixture[str], served: list[dict]
) -> None:
    assert main(["ran", "serve", "--cqi", "12", "--speed", "0", "--port", "0"]) == 0
    token = served[0]["token"]
    assert len(token) >= 16
    captured = capsys.readouterr()
    assert f"export {TOKEN_ENV}={token}" in captured.err and captured.out == ""
    assert main(["ran", "serve", "--cqi", "12", "--speed", "0", "--port", "0"]) == 0
    assert served[1]["token"] != token  # one per run


def test_serve_reads_the_token_from_the_named_variable(
    capsys: pytest.CaptureFixture[str], served: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_RAN_SECRET", TOKEN)
    args = ["ran", "serve", "--cqi", "12", "--speed", "0", "--port", "0"]
    assert main([*args, "--token-env", "MY_RAN_SECRET"]) == 0
    assert served[0]["token"] == TOKEN


@pytest.mark.parametrize(
    ("env", "extra", "needle"),
    [
        ({}, ["--token-env", "NOT_SET_ANYWHERE"], "--token-env: NOT_SET_ANYWHERE is not set"),
        ({}, ["--token-env", "no-such name"], "--token-env: not an environment variable name"),
        ({TOKEN_ENV: "short"}, [], f"{TOKEN_ENV}: must be at least 16 characters"),
        ({TOKEN_ENV: "has spaces in the token"}, [], f"{TOKEN_ENV}: use visible ASCII"),
    ],
)
def test_serve_token_mistakes_are_one_line(
    capsys: pytest.CaptureFixture[str],
    served: list[dict],
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    extra: list[str],
    needle: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = main(["ran", "serve", "--cqi", "12", "--speed", "0", "--port", "0", *extra])
    err = capsys.readouterr().err
    assert code == 2 and served == []
    assert needle in err and len(err.strip().splitlines()) == 1


@pytest.mark.integration
def test_serve_runs_as_a_process(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "maestro.cli",
            "ran",
            "serve",
            "--cqi",
            "12",
            "--speed",
            "0",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", TOKEN_ENV: TOKEN},
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                state = httpx.get(f"{url}/state", timeout=1).json()
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        assert state["capacity_mbps"] == pytest.approx(95.09, abs=0.01)
        assert state["t_s"] == 0  # manual clock
        refused = httpx.post(f"{url}/advance", json={"seconds": 5})
        assert refused.status_code == 401 and "authorization" in refused.json()["error"]
        moved = httpx.post(f"{url}/advance", json={"seconds": 5}, headers=auth).json()
        assert moved["t_s"] == 5
        assert "maestro_ran_cqi 12.0" in httpx.get(f"{url}/metrics").text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.stdout is not None and proc.stdout.read() == b""  # stdout left clean
