"""Fixtures for the orchestrator: a fresh two-edge domain of real bare git repositories."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import yaml

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
    # A port range of its own: other test runs on the machine use the default range too, and
    # a workload answering on another run's port would fool the end-to-end checks.
    config = yaml.safe_load((root / "domain.yaml").read_text())
    first = random.SystemRandom().randrange(30000, 60000, 100)
    config["ports"] = {"first": first, "last": first + 99}
    (root / "domain.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


@pytest.fixture
def manager(domain: Path) -> DomainManager:
    return DomainManager(domain)
