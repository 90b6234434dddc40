"""One real domain (bare git repositories on disk) and its API, built once per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from maestro.tools.orchestrator.api import create_app
from maestro.tools.orchestrator.auth import TokenStore
from maestro.tools.orchestrator.domain import init_domain
from maestro.tools.orchestrator.service import DomainService, MeshDomainManager
from maestro.tools.orchestrator.tenancy import OwnerBook
from tests.orchestrator_api.helpers import TOKENS


@pytest.fixture(scope="module")
def domain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("domain") / "dom"
    init_domain(root, cpu="2", memory="2Gi")
    return root


@pytest.fixture(scope="module")
def service(domain: Path) -> DomainService:
    return DomainService(MeshDomainManager(domain))


@pytest.fixture(scope="module")
def tokens() -> TokenStore:
    return TokenStore.from_data(TOKENS)


@pytest.fixture(scope="module")
def client(service: DomainService, tokens: TokenStore, domain: Path) -> Iterator[TestClient]:
    app = create_app(service, tokens, owners=OwnerBook(domain / "api" / "owners.json"))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
