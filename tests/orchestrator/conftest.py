"""Fixtures for the orchestrator: a fresh two-edge domain of real bare git repositories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from maestro.tools.orchestrator import DomainManager, init_domain


@pytest.fixture(scope="session")
def domain_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "dom"
    init_domain(root, cpu="2", memory="2Gi")
    return root


@pytest.fixture
def domain(tmp_path: Path, domain_template: Path) -> Path:
    """A fresh copy of a new domain (its paths are relative, so a copy is a new domain)."""
    root = tmp_path / "dom"
    shutil.copytree(domain_template, root, symlinks=True)
    return root


@pytest.fixture
def manager(domain: Path) -> DomainManager:
    return DomainManager(domain)
