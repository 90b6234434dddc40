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
from maestro.tools.ran import CellConfig, throughput_mbps


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


@pytest.mark.integration
def test_serve_runs_as_a_process(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "maestro.cli", "ran", "serve", "--cqi", "12", "--speed", "0",
         "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
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
        moved = httpx.post(f"{url}/advance", json={"seconds": 5}).json()
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
