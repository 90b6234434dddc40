"""Bad input gets the right status, one JSON line, no traceback, and changes nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from maestro.tools.orchestrator.api import create_app
from maestro.tools.orchestrator.auth import TokenStore
from maestro.tools.orchestrator.gate import Limits
from maestro.tools.orchestrator.service import DomainService
from tests.orchestrator_api.helpers import ADMIN, TENANT_A, auth, chain


def heads(domain: Path) -> dict[str, str]:
    """Every edge repository's main commit: what 'nothing changed' is checked against."""
    out = {}
    for repo in sorted((domain / "repos").glob("edge-*.git")):
        out[repo.name] = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "main"], capture_output=True, text=True
        ).stdout.strip()
    return out


def refused(res: Any, status: int, *words: str) -> str:
    assert res.status_code == status, res.text
    body = res.json()
    assert set(body) == {"error"}
    assert "Traceback" not in res.text and 'File "' not in res.text
    for word in words:
        assert word in body["error"], body["error"]
    return str(body["error"])


@pytest.mark.parametrize(
    ("body", "status", "word"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"name": "x", "services": NaN}', 400, "not valid JSON"),
        (b"[" * 100 + b"]" * 100, 400, "nested deeper"),
        (b"", 422, "required"),
        (b'"a string"', 422, "mapping"),
    ],
)
def test_unreadable_bodies(client: TestClient, body: bytes, status: int, word: str) -> None:
    before = len(client.get("/intents", headers=auth(ADMIN)).json()["intents"])
    refused(client.post("/intents", content=body, headers=auth(TENANT_A)), status, word)
    assert len(client.get("/intents", headers=auth(ADMIN)).json()["intents"]) == before


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"colour": "red"}, ("colour", "Extra inputs")),
        ({"name": "../../etc"}, ("name",)),
        ({"name": "UPPER"}, ("name",)),
        ({"services": {}}, ("services",)),
    ],
)
def test_invalid_intents_are_422_naming_the_field(
    client: TestClient, change: dict[str, Any], words: tuple[str, ...]
) -> None:
    refused(
        client.post("/intents", json=chain("bad") | change, headers=auth(TENANT_A)), 422, *words
    )


def test_unknown_field_in_a_service_is_named(client: TestClient) -> None:
    intent = chain("bad")
    intent["services"]["backend"]["replicas"] = 3
    refused(
        client.post("/intents", json=intent, headers=auth(TENANT_A)), 422, "backend", "replicas"
    )


def test_unknown_package_and_wrong_setter_type(client: TestClient, domain: Path) -> None:
    before = heads(domain)
    intent = chain("bad")
    intent["services"]["backend"]["package"] = "no-such-package"
    refused(client.post("/intents", json=intent, headers=auth(TENANT_A)), 422, "no-such-package")
    intent = chain("bad")
    intent["services"]["backend"]["params"] = {"port": "eighty"}
    refused(client.post("/intents", json=intent, headers=auth(TENANT_A)), 422, "port")
    assert heads(domain) == before


@pytest.mark.parametrize(
    "path",
    [
        "/intents/..%2F..%2Fdomain.yaml",
        "/intents/%2e%2e",
        "/intents/..",
        "/intents/a%00b",
        "/intents/UPPER",
        "/intents/" + "a" * 80,
    ],
)
def test_path_traversal_in_names(client: TestClient, path: str) -> None:
    res = client.get(path, headers=auth(ADMIN))
    assert res.status_code in (404, 422), (path, res.status_code)
    refused(res, res.status_code)
    res = client.delete(path, headers=auth(ADMIN))
    assert res.status_code in (404, 405, 422), (path, res.status_code)


@pytest.mark.parametrize(
    "query",
    [
        {"token": "whatever-it-is"},
        {"access_token": "x"},
        {"api_key": "x"},
        {"q": ADMIN},  # a real token under any name
    ],
)
def test_credentials_in_the_url_are_refused(client: TestClient, query: dict[str, str]) -> None:
    # even with a good header: the URL has already leaked it
    error = refused(client.get("/catalogue", params=query, headers=auth(ADMIN)), 400, "URL")
    assert ADMIN not in error


def test_body_limit(service: DomainService, tokens: TokenStore) -> None:
    small = create_app(service, tokens, limits=Limits(max_body_bytes=1024))
    with TestClient(small, raise_server_exceptions=False) as c:
        big = b'{"name": "x", "description": "' + b"a" * 2000 + b'"}'
        refused(c.post("/intents", content=big, headers=auth(TENANT_A)), 413, "1024")

        def chunks() -> Any:  # no Content-Length: the gate counts what arrives
            for _ in range(40):
                yield b" " * 100

        refused(c.post("/intents", content=chunks(), headers=auth(TENANT_A)), 413)
        refused(c.post("/intents", content=b"{}", headers=auth(TENANT_A)), 422)  # under the limit


def test_conflicts_and_absences(client: TestClient, domain: Path) -> None:
    first = client.post("/intents", json=chain("conflicts"), headers=auth(TENANT_A))
    assert first.status_code == 201, first.text
    refused(client.post("/intents", json=chain("conflicts"), headers=auth(TENANT_A)), 409, "exists")
    refused(client.get("/intents/never-made", headers=auth(TENANT_A)), 404)
    refused(client.delete("/intents/never-made", headers=auth(TENANT_A)), 404)
    refused(client.get("/nowhere", headers=auth(TENANT_A)), 404, "no such route")
    refused(client.patch("/intents/conflicts", headers=auth(TENANT_A)), 405)
    # a service of another intent still uses this one's backend: termination refused
    user = {
        "name": "user",
        "services": {
            "front": {
                "package": "chain-frontend",
                "edge": "edge-1",
                "params": {"upstream": "${conflicts/backend.url}"},
            }
        },
    }
    assert client.post("/intents", json=user, headers=auth(TENANT_A)).status_code == 201
    before = heads(domain)
    refused(client.delete("/intents/conflicts", headers=auth(TENANT_A)), 409, "still uses")
    assert heads(domain) == before
    assert client.delete("/intents/user", headers=auth(TENANT_A)).status_code == 200
    assert client.delete("/intents/conflicts", headers=auth(TENANT_A)).status_code == 200


def test_admission_refusal_is_409_and_all_or_nothing(client: TestClient, domain: Path) -> None:
    before = heads(domain)
    intent = chain("too-big")
    intent["services"]["third"] = {
        "package": "traffic-probe",
        "edge": "edge-2",
        "after": ["frontend"],
        "resources": {"cpu": "64", "memory": "64Mi"},
    }
    error = refused(client.post("/intents", json=intent, headers=auth(TENANT_A)), 409, "third")
    assert "edge-2" in error
    assert heads(domain) == before
    refused(client.get("/intents/too-big", headers=auth(TENANT_A)), 404)


def test_dry_run_commits_nothing(client: TestClient, domain: Path) -> None:
    before = heads(domain)
    res = client.post("/intents?dry_run=true", json=chain("dry"), headers=auth(TENANT_A))
    assert res.status_code == 200, res.text
    assert res.json()["dry_run"] is True
    packages = {p for e in res.json()["edges"] for p in e["packages"]}
    assert {"dry/backend", "dry/frontend", "dry/net-allow-frontend-to-backend"} <= packages
    assert heads(domain) == before
    refused(client.get("/intents/dry", headers=auth(TENANT_A)), 404)


def test_a_crashed_edge_repository_is_503_and_nothing_half_applied(
    client: TestClient, domain: Path
) -> None:
    before = heads(domain)
    repo = domain / "repos" / "edge-2.git"
    hidden = repo.with_name("edge-2.git.gone")
    repo.rename(hidden)
    try:
        res = client.post("/intents", json=chain("half"), headers=auth(TENANT_A))
        refused(res, 503)
    finally:
        hidden.rename(repo)
    assert heads(domain) == before
    refused(client.get("/intents/half", headers=auth(TENANT_A)), 404)


def test_an_internal_error_shows_no_traceback(
    service: DomainService, tokens: TokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(service, tokens)

    def broken() -> Any:
        raise RuntimeError("secret detail /srv/domain/state")

    monkeypatch.setattr(service, "catalogue", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        error = refused(c.get("/catalogue", headers=auth(ADMIN)), 500, "internal error")
    assert "secret detail" not in error and "RuntimeError" not in error


def test_repositories_are_for_admins_and_checked(client: TestClient, domain: Path) -> None:
    for token in (TENANT_A,):
        refused(client.get("/repositories", headers=auth(token)), 403, "admin")
        refused(client.post("/repositories", json={}, headers=auth(token)), 403)
    listed = client.get("/repositories", headers=auth(ADMIN)).json()
    assert [r["edge"] for r in listed["deployment"]] == ["edge-1", "edge-2"]
    for url in ("/etc/passwd", "../outside.git", "repos/../../x.git", "file:///etc"):
        body = {"edge": "edge-3", "url": url}
        refused(client.post("/repositories", json=body, headers=auth(ADMIN)), 422, "url")
    refused(client.post("/repositories", content=b"{", headers=auth(ADMIN)), 400)
    body = {"edge": "edge-3", "url": "repos/edge-3.git", "colour": "red"}
    refused(client.post("/repositories", json=body, headers=auth(ADMIN)), 422, "colour")
    refused(
        client.post(
            "/repositories", json={"edge": "edge-1", "url": "repos/x.git"}, headers=auth(ADMIN)
        ),
        409,
        "already",
    )
    made = client.post(
        "/repositories", json={"edge": "edge-3", "url": "repos/edge-3.git"}, headers=auth(ADMIN)
    )
    assert made.status_code == 201, made.text
    assert (domain / "repos" / "edge-3.git").is_dir()
    assert "edge-3" in (domain / "domain.yaml").read_text()
    # the new edge takes intents at once
    intent = chain("on-three")
    intent["services"]["backend"]["edge"] = "edge-3"
    applied = client.post("/intents", json=intent, headers=auth(ADMIN))
    assert applied.status_code == 201, applied.text
    refused(client.delete("/repositories/edge-3", headers=auth(ADMIN)), 409, "on-three")
    assert client.delete("/intents/on-three", headers=auth(ADMIN)).status_code == 200
    assert client.delete("/repositories/edge-3", headers=auth(ADMIN)).status_code == 200
    refused(client.delete("/repositories/edge-3", headers=auth(ADMIN)), 404)
    assert "edge-3" not in (domain / "domain.yaml").read_text()
