"""PromQL through the domain manager: admins get series, everyone else aggregates only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from starlette.testclient import TestClient

from maestro.tools.orchestrator.api import create_app
from maestro.tools.orchestrator.auth import TokenStore
from maestro.tools.orchestrator.domain import init_domain
from maestro.tools.orchestrator.service import DomainService, MeshDomainManager
from tests.orchestrator_api.helpers import ADMIN, OBSERVER, TENANT_A, TOKENS, auth

PER_EDGE = {
    "resultType": "vector",
    "result": [
        {"metric": {"edge": "edge-1", "instance": "10.0.0.1:9100"}, "value": [1, "0.25"]},
        {"metric": {"edge": "edge-2", "instance": "10.0.0.2:9100"}, "value": [1, "0.5"]},
    ],
}
TOTAL = {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.75"]}]}


class FakePrometheus(BaseHTTPRequestHandler):
    """Answers /api/v1/query: `sum(...)` without labels, anything else per edge."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        query = parse_qs(urlsplit(self.path).query).get("query", [""])[0]
        if query == "bad(":
            body = {"status": "error", "errorType": "bad_data", "error": "parse error at char 4"}
            code = 400
        else:
            data = TOTAL if query.startswith("sum(") else PER_EDGE
            body, code = {"status": "success", "data": data}, 200
        raw = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def prometheus() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePrometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def app_for(root: Path, prometheus_url: str | None) -> TestClient:
    init_domain(root)
    if prometheus_url:
        path = root / "domain.yaml"
        config = yaml.safe_load(path.read_text())
        config["monitoring"] = {"prometheus_url": prometheus_url}
        path.write_text(yaml.safe_dump(config))
    service = DomainService(MeshDomainManager(root))
    return TestClient(
        create_app(service, TokenStore.from_data(TOKENS)), raise_server_exceptions=False
    )


@pytest.fixture(scope="module")
def monitored(prometheus: str, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return app_for(tmp_path_factory.mktemp("mon") / "dom", prometheus)


def query(client: TestClient, token: str, promql: str) -> Any:
    return client.get("/monitoring/query", params={"query": promql}, headers=auth(token))


def test_admin_gets_series(monitored: TestClient) -> None:
    res = query(monitored, ADMIN, "rate(node_cpu_seconds_total[1m])")
    assert res.status_code == 200
    assert res.json()["data"] == PER_EDGE


@pytest.mark.parametrize("token", [TENANT_A, OBSERVER])
def test_others_get_aggregates_only(monitored: TestClient, token: str) -> None:
    res = query(monitored, token, "rate(node_cpu_seconds_total[1m])")
    assert res.status_code == 403
    assert "aggregated" in res.json()["error"]
    assert "edge-1" not in res.text and "10.0.0.1" not in res.text
    ok = query(monitored, token, "sum(rate(node_cpu_seconds_total[1m]))")
    assert ok.status_code == 200 and ok.json()["data"] == TOTAL


def test_prometheus_refusal_and_outage(monitored: TestClient, tmp_path: Path) -> None:
    res = query(monitored, ADMIN, "bad(")
    assert res.status_code == 422 and "parse error" in res.json()["error"]
    assert query(monitored, ADMIN, "").status_code == 422
    down = app_for(tmp_path / "down", "http://127.0.0.1:9")
    res = query(down, ADMIN, "up")
    assert res.status_code == 502 and "Traceback" not in res.text
    none = app_for(tmp_path / "none", None)
    assert query(none, ADMIN, "up").status_code == 503


def test_health_of_an_edge_without_its_reconciler(monitored: TestClient) -> None:
    """No reconciler reports: the edges are not ready and the domain says degraded."""
    full = monitored.get("/health", headers=auth(TENANT_A)).json()
    assert full["status"] == "degraded" and full["edges_ready"] == 0
    assert all(not edge["ready"] and edge["reconciler_seen"] is None for edge in full["edges"])
