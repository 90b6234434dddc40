"""The administrative domain: its edges, repositories and settings, kept in `domain.yaml`.

`init_domain` makes a working domain from nothing: a blueprint repository seeded with the
shipped catalogue and one deployment repository per edge, all bare git repositories in the
domain folder. Repository locations may be edited to any git URL afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .blueprints import shipped_blueprints
from .errors import DomainError
from .gitrepo import WorkClone, git, init_bare, is_url
from .intent import Name, Scalar
from .quantity import cpu_millis, memory_bytes

CONFIG_FILE = "domain.yaml"


class EdgeResources(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu: str | float = "0"
    memory: str | int = "0"

    @property
    def millicpu(self) -> int:
        return cpu_millis(self.cpu)

    @property
    def bytes(self) -> int:
        return memory_bytes(self.memory)


class EdgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Name
    repo: str = Field(description="deployment repository: git URL, or a path from the domain")
    address: str = Field(default="127.0.0.1", description="where the edge's services answer")
    capacity: EdgeResources = Field(default_factory=lambda: EdgeResources(cpu="4", memory="8Gi"))
    reserved: EdgeResources = Field(default_factory=EdgeResources)
    values: dict[str, Scalar] = Field(
        default_factory=dict, description="setter values for every package on this edge"
    )
    status_file: str | None = Field(default=None, description="where its reconciler reports")


class Monitoring(BaseModel):
    """Where admission reads what the edges use; `$edge` in a query is the edge id."""

    model_config = ConfigDict(extra="forbid")
    prometheus_url: str | None = None
    cpu_query: str = 'sum(rate(process_cpu_seconds_total{edge="$edge"}[1m]))'
    memory_query: str = 'sum(process_resident_memory_bytes{edge="$edge"})'


class PortRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first: int = Field(default=20000, ge=1024, le=65535)
    last: int = Field(default=29999, ge=1024, le=65535)


class DomainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = "domain"
    blueprints: str = "repos/blueprints.git"
    edges: list[EdgeConfig] = Field(min_length=1)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    ports: PortRange = Field(default_factory=PortRange)

    def edge(self, edge_id: str) -> EdgeConfig | None:
        return next((e for e in self.edges if e.id == edge_id), None)


def resolve(root: Path, location: str) -> str:
    """A repository location as git should see it: URLs as given, paths from the domain."""
    return location if is_url(location) else str((root / location).resolve())


def status_path(root: Path, edge: EdgeConfig) -> Path:
    return root / (edge.status_file or f"edges/{edge.id}/status.json")


def load_domain(root: Path) -> DomainConfig:
    path = root / CONFIG_FILE
    if not path.is_file():
        raise DomainError(
            f"no domain at {root} ({CONFIG_FILE} missing); create one with "
            "'maestro orchestrator init DIR'"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return DomainConfig.model_validate(data)
    except yaml.YAMLError as exc:
        raise DomainError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise DomainError(f"{path}: {loc}: {first.get('msg')}") from exc


def _seed(url: str, work: Path, files: dict[str, str], message: str) -> None:
    clone = WorkClone(url, work, "seed")
    git("clone", "-q", url, str(work))
    git("checkout", "-q", "-B", "main", cwd=work)
    for rel, text in files.items():
        dest = work / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    clone.commit(message)
    clone.push()


def init_domain(
    root: Path,
    *,
    name: str = "domain",
    edges: int = 2,
    cpu: str = "4",
    memory: str = "8Gi",
    reserved_cpu: str = "250m",
    reserved_memory: str = "256Mi",
) -> DomainConfig:
    """Create a domain folder: blueprint repository, `edges` deployment repositories, config."""
    root = Path(root)
    if (root / CONFIG_FILE).exists():
        raise DomainError(f"{root} already holds a domain ({CONFIG_FILE} exists)")
    if not 1 <= edges <= 64:
        raise DomainError(f"edges: must be 1..64, got {edges}")
    root.mkdir(parents=True, exist_ok=True)
    config = DomainConfig(
        name=name,
        edges=[
            EdgeConfig(
                id=f"edge-{i}",
                repo=f"repos/edge-{i}.git",
                capacity=EdgeResources(cpu=cpu, memory=memory),
                reserved=EdgeResources(cpu=reserved_cpu, memory=reserved_memory),
            )
            for i in range(1, edges + 1)
        ],
    )
    seeds = root / "work" / ".seed"
    blueprint_files = {
        f"{pkg}/{rel}": text
        for pkg, files in shipped_blueprints().items()
        for rel, text in files.items()
    }
    init_bare(Path(resolve(root, config.blueprints)))
    _seed(
        resolve(root, config.blueprints),
        seeds / "blueprints",
        blueprint_files,
        "blueprints: the shipped catalogue",
    )
    for edge in config.edges:
        url = resolve(root, edge.repo)
        init_bare(Path(url))
        readme = (
            f"# Deployment repository of {edge.id}\n\nHydrated kpt packages, one folder per "
            "intent, written by the domain manager. Its reconciler (or Config Sync) makes the "
            "edge match this repository.\n"
        )
        _seed(
            url, seeds / edge.id, {"README.md": readme}, f"{edge.id}: empty deployment repository"
        )
    _rmtree(seeds)
    data: dict[str, Any] = config.model_dump(mode="json", exclude_none=True)
    text = (
        "# Administrative domain of the maestro orchestrator. Repositories may be any git URL;\n"
        "# paths are relative to this folder. Capacities are what admission control counts.\n"
        + yaml.safe_dump(data, sort_keys=False)
    )
    (root / CONFIG_FILE).write_text(text, encoding="utf-8")
    for edge in config.edges:
        status_path(root, edge).parent.mkdir(parents=True, exist_ok=True)
    return config


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
