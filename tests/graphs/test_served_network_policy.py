"""A served scenario reaches only the trace files and endpoints its server allows
(MAESTRO_SERVED_TRACE_DIR, MAESTRO_SERVED_URLS): any other trace path or URL gives an `error`
record naming the field, with the file never opened and no request sent."""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import maestro
from maestro.agents.errors import UsageError
from maestro.agents.providers.options import SettingsError
from maestro.graphs.served_policy import origin_of, policy_from_env
from tests.conftest import BASE_SCENARIO
from tests.graphs.test_langgraph_entry import served_graph

HEADER = (
    "Timestamp,Longitude,Latitude,Speed,Operatorname,CellID,NetworkMode,RSRP,RSRQ,SNR,CQI,"
    "RSSI,DL_bitrate,UL_bitrate,State,PINGAVG,PINGMIN,PINGMAX,PINGSTDEV,PINGLOSS,CELLHEX,"
    "NODEHEX,LACHEX,RAWCELLID,NRxRSRP,NRxRSRQ"
)
SECRET = "SECRET-4242"


def trace_text(cqi: str = "15") -> str:
    rows = [
        f"2019.12.16_07.00.0{s},-8.38,51.93,30,B,12,5G,-98,-10,3.0,{cqi},-88,90000,53,D,"
        "-,-,-,-,-,C,A81B,9CBA,11016972,-100.0,-15.0"
        for s in range(5)
    ]
    return "\n".join([HEADER, *rows]) + "\n"


@dataclass
class Files:
    allowed: Path  # the folder an operator may allow
    secret: Path  # a file outside it, in the trace format but with a secret in a cell
    opened: list[str] = field(default_factory=list)  # every look at the secret file


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Files:
    allowed = tmp_path / "traces"
    allowed.mkdir()
    (allowed / "drive.csv").write_text(trace_text(), encoding="utf-8")
    found = Files(allowed, tmp_path / "private.csv")
    found.secret.write_text(trace_text(cqi=SECRET), encoding="utf-8")
    for name in ("open", "exists", "is_file", "stat", "read_text", "read_bytes"):
        real = getattr(Path, name)

        def spy(self: Path, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            if self.name == found.secret.name:
                found.opened.append(str(self))
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Path, name, spy)
    real_open = open

    def open_spy(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike) and Path(file).name == found.secret.name:
            found.opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", open_spy)
    for name in ("MAESTRO_SERVED_TRACE_DIR", "MAESTRO_SERVED_URLS", "MAESTRO_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return found


@dataclass
class Endpoint:
    url: str
    requests: list[str]


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    """A loopback HTTP server that counts every request it gets (and fails them all)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Endpoint(f"http://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()


def scenario(**network: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE_SCENARIO)
    data["model"] = "scripted:optimizer"
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15, **network}
    return data


def run(data: dict[str, Any]) -> dict[str, Any]:
    return served_graph().invoke({"scenario": data})["record"]


def assert_refused(record: dict[str, Any], name: str) -> None:
    assert record["status"] == "error" and record["agreed"] is False
    assert record["reason"].startswith(f"scenario refused: network.{name} is not allowed here")
    assert record["enforcement"] is None and record["rounds"] == []
    assert record["llm"]["calls"] == 0
    assert SECRET not in json.dumps(record)


def test_a_trace_path_is_refused_unopened_without_a_folder(files: Files) -> None:
    record = run(scenario(trace=str(files.secret)))
    assert_refused(record, "trace")
    assert files.opened == []
    assert record["scenario"]["network"]["trace"] == str(files.secret)  # what was asked
    assert run(scenario(trace="synthetic"))["status"] != "error"


def test_a_fifo_trace_is_refused_without_blocking(files: Files, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer
    assert_refused(run(scenario(trace=str(fifo))), "trace")


def test_a_trace_in_the_allowed_folder_runs(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAESTRO_SERVED_TRACE_DIR", str(files.allowed))
    inside = files.allowed / "drive.csv"
    for given in ("drive.csv", str(inside), f"{files.allowed}/./sub/../drive.csv"):
        record = run(scenario(trace=given))
        assert record["status"] == "consensus", (given, record["reason"])
        assert record["scenario"]["network"]["trace"] == str(inside.resolve())
        assert record["enforcement"]["ok"]


def test_escapes_from_the_allowed_folder_are_refused(
    files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAESTRO_SERVED_TRACE_DIR", str(files.allowed))
    link = files.allowed / "link.csv"
    link.symlink_to(files.secret)
    (files.allowed / "hop").symlink_to(files.secret.parent)
    for given in (
        str(files.secret),
        f"../{files.secret.name}",
        f"{files.allowed}/../{files.secret.name}",
        "link.csv",
        f"hop/{files.secret.name}",
    ):
        record = run(scenario(trace=given))
        assert_refused(record, "trace")
        assert "outside the folder" in record["reason"]
    assert files.opened == []


@pytest.mark.parametrize("name", ["driver_url", "prometheus_url"])
def test_a_url_is_refused_unless_its_origin_is_allowed(
    files: Files, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    assert_refused(run(scenario(**{name: endpoint.url})), name)
    monkeypatch.setenv("MAESTRO_SERVED_URLS", "http://127.0.0.1:1, https://example.org")
    other_scheme = endpoint.url.replace("http://", "https://")
    for given in (endpoint.url, f"{endpoint.url}/metrics", other_scheme):
        assert_refused(run(scenario(**{name: given})), name)
    assert endpoint.requests == []

    monkeypatch.setenv("MAESTRO_SERVED_URLS", f"http://example.org,{endpoint.url.upper()}/")
    record = run(scenario(**{name: endpoint.url}))
    assert "not allowed" not in record["reason"]
    assert endpoint.requests  # allowed: the server did talk to it


def test_the_first_refusal_wins_and_nothing_else_is_touched(
    files: Files, endpoint: Endpoint
) -> None:
    data = scenario(trace=str(files.secret), driver_url=endpoint.url, prometheus_url=endpoint.url)
    assert_refused(run(data), "trace")
    assert files.opened == [] and endpoint.requests == []


def test_a_scenario_path_is_not_read_by_a_served_run(files: Files) -> None:
    with pytest.raises(UsageError, match="as a mapping, not a path"):
        served_graph().invoke({"scenario": str(files.secret)})
    assert files.opened == []


def test_origins_are_compared_as_scheme_host_and_port() -> None:
    assert origin_of("http://LocalHost/x") == ("http", "localhost", 80)
    assert origin_of("https://h:443/") == origin_of("https://h")
    assert origin_of("http://[::1]:8081/") == ("http", "::1", 8081)
    for odd in ("ftp://h", "http://", "http://u:p@h", "http://h:99999", "http://h\\@evil"):
        assert origin_of(odd) is None, odd


def test_the_server_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="MAESTRO_SERVED_URLS"):
        policy_from_env({"MAESTRO_SERVED_URLS": "http://h:1/path"})
    with pytest.raises(SettingsError, match="MAESTRO_SERVED_TRACE_DIR"):
        policy_from_env({"MAESTRO_SERVED_TRACE_DIR": str(tmp_path / "missing")})
    policy = policy_from_env({"MAESTRO_SERVED_URLS": " http://h:1 , https://g "})
    assert policy.origins == {("http", "h", 1), ("https", "g", 443)}


def test_the_python_api_is_not_restricted(files: Files) -> None:
    outside = files.allowed.parent / "elsewhere.csv"
    outside.write_text(trace_text(), encoding="utf-8")
    data = scenario(trace=str(outside))
    assert maestro.negotiate(data).status == "consensus"
