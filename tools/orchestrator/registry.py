"""Registration and deletion of the domain's repositories (CAMINO §III-D/F), for admins.

A deployment repository comes with its edge (one repository per edge); registering one adds
the edge to `domain.yaml`, deleting one removes it once nothing deployed runs there. The
blueprint repository can be pointed elsewhere. A local path must stay inside the domain
folder (a missing one becomes a new bare repository with a first commit); anything else
must be a git URL the domain manager can reach now.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .domain import CONFIG_FILE, EdgeConfig, EdgeResources, load_domain, resolve
from .gate import ApiError
from .gitrepo import git, init_bare, is_url, remote_head
from .intent import NAME
from .manager import DomainManager

_SCHEMES = ("https://", "http://", "ssh://", "git://")


class EdgeRepository(BaseModel):
    """A new edge and its deployment repository."""

    model_config = ConfigDict(extra="forbid")
    edge: str = Field(pattern=NAME)
    url: str = Field(min_length=1, max_length=500, description="git URL, or a path in the domain")
    address: str = Field(default="127.0.0.1", max_length=253)
    capacity: EdgeResources = Field(default_factory=lambda: EdgeResources(cpu="4", memory="8Gi"))
    reserved: EdgeResources = Field(default_factory=EdgeResources)


class BlueprintRepository(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=500)


def _location(root: Path, url: str) -> str:
    """The location as written in domain.yaml; 422 for a path leaving the domain folder."""
    if is_url(url):
        if not url.startswith(_SCHEMES) and "@" not in url.split(":", 1)[0]:
            raise ApiError(422, f"url: only {', '.join(_SCHEMES)} or user@host: git URLs")
        return url
    path = Path(url)
    if path.is_absolute() or ".." in path.parts or any(c in url for c in "\0\n\r"):
        raise ApiError(422, "url: a local repository must be a relative path inside the domain")
    if (root / path).resolve().is_relative_to(root.resolve()) is False:
        raise ApiError(422, "url: a local repository must stay inside the domain folder")
    return url


def _reachable(root: Path, location: str, seed_if_missing: bool) -> str | None:
    target = resolve(root, location)
    if not is_url(location) and not Path(target).exists():
        if not seed_if_missing:
            raise ApiError(422, f"url: no repository at {location}")
        init_bare(Path(target))
    try:
        head = remote_head(target, timeout=15)
    except Exception as exc:  # RepositoryError: say which, not how git put it
        raise ApiError(422, f"url: {location} is not a reachable git repository") from exc
    if head is None and seed_if_missing:
        _first_commit(target)
    return head


def _first_commit(url: str) -> None:
    """An empty repository gets a README on `main`, so edges and clones can follow it."""
    with tempfile.TemporaryDirectory(prefix="seed-") as tmp:
        work = Path(tmp) / "w"
        git("clone", "-q", url, str(work))
        git("checkout", "-q", "-B", "main", cwd=work)
        (work / "README.md").write_text("# Deployment repository\n", encoding="utf-8")
        git("add", "-A", cwd=work)
        git(
            "-c",
            "user.name=maestro",
            "-c",
            "user.email=maestro@localhost",
            "commit",
            "-q",
            "-m",
            "empty deployment repository",
            cwd=work,
        )
        git("push", "-q", "origin", "main", cwd=work)


def _save(manager: DomainManager) -> None:
    data: dict[str, Any] = manager.config.model_dump(mode="json", exclude_none=True)
    text = (
        "# Administrative domain of the maestro orchestrator (repositories registered through\n"
        "# the domain manager's API are written here too).\n"
        + yaml.safe_dump(data, sort_keys=False)
    )
    path = manager.root / CONFIG_FILE
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    manager.config = load_domain(manager.root)


def repositories(manager: DomainManager) -> dict[str, Any]:
    cfg = manager.config
    return {
        "blueprints": {"url": cfg.blueprints},
        "deployment": [{"edge": e.id, "url": e.repo, "address": e.address} for e in cfg.edges],
    }


def register_edge(manager: DomainManager, body: EdgeRepository) -> dict[str, Any]:
    if manager.config.edge(body.edge) is not None:
        raise ApiError(409, f"edge {body.edge!r}: already registered")
    location = _location(manager.root, body.url)
    _reachable(manager.root, location, seed_if_missing=True)
    edge = EdgeConfig(
        id=body.edge,
        repo=location,
        address=body.address,
        capacity=body.capacity,
        reserved=body.reserved,
    )
    manager.config = manager.config.model_copy(update={"edges": [*manager.config.edges, edge]})
    _save(manager)
    return {"edge": body.edge, "url": location, "registered": True}


def deregister_edge(manager: DomainManager, edge_id: str) -> dict[str, Any]:
    if manager.config.edge(edge_id) is None:
        raise ApiError(404, f"edge {edge_id!r}: not registered")
    users = sorted(
        name
        for name, record in manager.records().items()
        if any(s.edge == edge_id for s in record.services.values())
    )
    if users:
        raise ApiError(409, f"edge {edge_id!r}: still runs intent(s) {', '.join(users)}")
    if len(manager.config.edges) == 1:
        raise ApiError(409, f"edge {edge_id!r}: the domain's last edge")
    gone = manager.config.edge(edge_id)
    assert gone is not None
    edges = [e for e in manager.config.edges if e.id != edge_id]
    manager.config = manager.config.model_copy(update={"edges": edges})
    _save(manager)
    # The manager's work clone follows the old remote; a later edge of that name re-clones.
    shutil.rmtree(manager._edge_clone(gone).path, ignore_errors=True)
    return {"edge": edge_id, "registered": False}


def set_blueprints(manager: DomainManager, body: BlueprintRepository) -> dict[str, Any]:
    location = _location(manager.root, body.url)
    if _reachable(manager.root, location, seed_if_missing=False) is None:
        raise ApiError(422, f"url: {location} has no commit on main (no blueprints)")
    previous = manager.config
    old_clone = manager._blueprint_clone().path
    manager.config = previous.model_copy(update={"blueprints": location})
    staged = old_clone.with_name(old_clone.name + ".previous")
    shutil.rmtree(staged, ignore_errors=True)
    if old_clone.exists():
        old_clone.rename(staged)  # the work clone follows its remote: clone the new one
    manager._catalogue = None
    try:
        count = len(manager.catalogue())
    except Exception as exc:
        manager.config = previous
        manager._catalogue = None
        shutil.rmtree(old_clone, ignore_errors=True)
        if staged.exists():
            staged.rename(old_clone)
        raise ApiError(422, f"url: {location} does not hold valid blueprint packages") from exc
    shutil.rmtree(staged, ignore_errors=True)
    _save(manager)
    return {"blueprints": location, "packages": count}


__all__ = [
    "BlueprintRepository",
    "EdgeRepository",
    "deregister_edge",
    "register_edge",
    "repositories",
    "set_blueprints",
]
