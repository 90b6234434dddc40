"""Fixtures for the orchestrator: a fresh two-edge domain of real bare git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from maestro.tools.orchestrator import DomainManager, init_domain


@pytest.fixture
def domain(tmp_path: Path) -> Path:
    root = tmp_path / "dom"
    init_domain(root, cpu="2", memory="2Gi")
    return root


@pytest.fixture
def manager(domain: Path) -> DomainManager:
    return DomainManager(domain)
