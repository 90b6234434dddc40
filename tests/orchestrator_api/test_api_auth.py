"""Who may call what: every route without a token, with a wrong one, with another tenant's."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.orchestrator_api.helpers import (
    ADMIN,
    ALL_TOKENS,
    OBSERVER,
    TENANT_A,
    TENANT_B,
    auth,
    chain,
)

OPEN = {"/livez", "/openapi.json"}


def routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) the OpenAPI document lists, with a concrete intent name."""
    doc = client.get("/openapi.json").json()
    out = []
    for path, ops in doc["paths"].items():
        for method in ops:
            out.append((method.upper(), path.replace("{name}", "chain-a")))
    return out


def call(client: TestClient, method: str, path: str, **kw: Any) -> Any:
    if path == "/monitoring/query":
        kw.setdefault("params", {"query": "up"})
    if method in ("POST", "PUT"):
        kw.setdefault("json", chain("chain-a"))
    return client.request(method, path, **kw)


@pytest.fixture(scope="module")
def owned(client: TestClient) -> str:
    """chain-a, created by tenant A."""
    res = client.post("/intents", json=chain("chain-a"), headers=auth(TENANT_A))
    assert res.status_code == 201, res.text
    return "chain-a"


def test_openapi_lists_the_routes_and_the_bearer_scheme(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert {"/catalogue", "/intents", "/intents/{name}", "/health"} <= set(doc["paths"])
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    body = doc["paths"]["/intents"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/DeploymentIntent"}
    assert "ServiceSpec" in doc["components"]["schemas"]


def test_every_route_but_livez_needs_a_token(client: TestClient) -> None:
    checked = 0
    for method, path in routes(client):
        if path in OPEN:
            continue
        for headers in ({}, auth("not-a-known-token-at-all"), {"Authorization": f"Basic {ADMIN}"}):
            res = call(client, method, path, headers=headers)
            assert res.status_code == 401, (method, path, headers, res.text)
            assert res.headers["www-authenticate"].startswith("Bearer")
            assert set(res.json()) == {"error"}
        checked += 1
    assert checked >= 10


def test_livez_says_nothing_but_ok(client: TestClient) -> None:
    assert client.get("/livez").json() == {"ok": True}


def test_another_tenants_intent_is_invisible(client: TestClient, owned: str) -> None:
    for path in (f"/intents/{owned}", f"/intents/{owned}/status", f"/intents/{owned}/network"):
        assert client.get(path, headers=auth(TENANT_A)).status_code == 200
        other = client.get(path, headers=auth(TENANT_B))
        absent = client.get(path.replace(owned, "no-such-intent"), headers=auth(TENANT_B))
        assert (other.status_code, absent.status_code) == (404, 404)
        assert other.json()["error"] == f"intent '{owned}': not found"
    assert client.delete(f"/intents/{owned}", headers=auth(TENANT_B)).status_code == 404
    listed = client.get("/intents", headers=auth(TENANT_B)).json()["intents"]
    assert owned not in [i["name"] for i in listed]
    listed_a = client.get("/intents", headers=auth(TENANT_A)).json()["intents"]
    assert {"name": owned, "owner": "op-a"} in listed_a
    # the admin sees it
    assert client.get(f"/intents/{owned}", headers=auth(ADMIN)).status_code == 200


def test_another_tenant_cannot_take_over_the_name(client: TestClient, owned: str) -> None:
    res = client.put(f"/intents/{owned}", json=chain(owned), headers=auth(TENANT_B))
    assert res.status_code == 409
    assert "taken" in res.json()["error"]
    # still tenant A's, unchanged
    assert client.get(f"/intents/{owned}", headers=auth(TENANT_A)).status_code == 200


def test_a_tenant_cannot_refer_to_another_tenants_services(client: TestClient, owned: str) -> None:
    intent = chain(
        "sneaky",
        services={
            "spy": {
                "package": "chain-frontend",
                "edge": "edge-1",
                "params": {"upstream": f"${{{owned}/backend.url}}"},
            }
        },
    )
    res = client.post("/intents?dry_run=true", json=intent, headers=auth(TENANT_B))
    assert res.status_code == 422
    assert "not yours" in res.json()["error"]
    mine = client.post("/intents?dry_run=true", json=intent, headers=auth(TENANT_A))
    assert mine.status_code == 200, mine.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/intents"),
        ("POST", "/intents"),
        ("PUT", "/intents/chain-a"),
        ("GET", "/intents/chain-a"),
        ("GET", "/intents/chain-a/status"),
        ("DELETE", "/intents/chain-a"),
        ("GET", "/edges"),
    ],
)
def test_observer_gets_no_intent_or_edge_level_data(
    client: TestClient, owned: str, method: str, path: str
) -> None:
    res = call(client, method, path, headers=auth(OBSERVER))
    assert res.status_code == 403, res.text
    assert "observer" in res.json()["error"]


def test_observer_gets_catalogue_aggregates_and_health_totals(client: TestClient) -> None:
    cat = client.get("/catalogue", headers=auth(OBSERVER))
    assert cat.status_code == 200
    names = {p["name"] for p in cat.json()["packages"]}
    assert {"ran-emulator", "chain-backend"} <= names
    assert set(cat.json()["resources"]) == {"capacity", "reserved", "free"}
    agg = client.get("/monitoring/aggregate", headers=auth(OBSERVER)).json()
    assert agg["edges"] == 2 and "utilisation" in agg
    health = client.get("/health", headers=auth(OBSERVER)).json()
    assert set(health) == {"domain", "status", "edges_total", "edges_ready"}
    full = client.get("/health", headers=auth(TENANT_A)).json()
    assert [e["id"] for e in full["edges"]] == ["edge-1", "edge-2"]


def test_tokens_never_appear_in_responses_or_logs(
    client: TestClient, owned: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen = []
    for token in ALL_TOKENS:
        for method, path in routes(client):
            if method == "GET":  # the changes are exercised elsewhere; these are cheap
                res = call(client, method, path, headers=auth(token))
                seen.append(res.text + str(dict(res.headers)))
        res = client.post("/intents", content=b"{bad json", headers=auth(token))
        seen.append(res.text + str(dict(res.headers)))
        seen.append(client.get("/catalogue", params={"token": token}).text)
        seen.append(client.get("/catalogue", params={"q": token}).text)
    # the server's own log lines (the test client logs its URLs itself)
    seen.extend(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    for token in ALL_TOKENS:
        assert not any(token in text for text in seen)
