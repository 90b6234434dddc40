"""Helpers shared by the orchestrator tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "orchestrator"


def heads(root: Path) -> dict[str, str]:
    """The main commit of every repository of the domain (to prove nothing changed)."""
    out = {}
    for repo in sorted((root / "repos").glob("*.git")):
        out[repo.name] = subprocess.run(
            ["git", "--git-dir", str(repo), "rev-parse", "main"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return out


def git_show(root: Path, repo: str, what: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(root / "repos" / repo), *what.split(" ")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def chain(name: str = "demo", **overrides: Any) -> dict[str, Any]:
    """Three services over two edges: backend -> frontend -> probe."""
    services: dict[str, Any] = {
        "backend": {"package": "chain-backend", "edge": "edge-1", "params": {"message": "hello"}},
        "frontend": {
            "package": "chain-frontend",
            "edge": "edge-2",
            "after": ["backend"],
            "params": {"upstream": "${backend.url}"},
        },
        "probe": {
            "package": "traffic-probe",
            "edge": "edge-2",
            "after": ["frontend"],
            "params": {"target": "${frontend.url}/", "interval": 0.2},
        },
    }
    for key, value in overrides.items():
        services[key] = value
    return {"name": name, "services": services}
