"""Which tenant owns which intent, and what each role may read of the domain's numbers.

The deployment repositories hold what runs, not who asked for it; the API keeps the owner
of each intent it admitted in a small JSON file next to the domain (written atomically), so
that a restarted server still knows. An intent applied behind the API's back (from the
command line on the domain's host) has no owner: only an admin sees it.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any


class OwnerBook:
    """intent name -> tenant, persisted to `path` (in memory only when path is None)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._owners: dict[str, str] = {}
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(f"owner file {path}: unreadable ({exc})") from None
            if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()
            ):
                raise ValueError(f"owner file {path}: expected a mapping of intent -> tenant")
            self._owners = dict(data)

    def owner(self, intent: str) -> str | None:
        with self._lock:
            return self._owners.get(intent)

    def owned_by(self, tenant: str) -> set[str]:
        with self._lock:
            return {name for name, who in self._owners.items() if who == tenant}

    def claim(self, intent: str, tenant: str) -> None:
        with self._lock:
            if self._owners.get(intent) == tenant:
                return
            self._owners[intent] = tenant
            self._save()

    def release(self, intent: str) -> None:
        with self._lock:
            if self._owners.pop(intent, None) is not None:
                self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".owners-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(self._owners, out, indent=2, sort_keys=True)
        os.replace(tmp, self.path)


def only_aggregates(result: Any) -> bool:
    """True when a Prometheus query result carries no per-series labels: a scalar, or
    vectors/matrices whose every series has an empty label set (e.g. `sum(...)` without
    `by`). That is what an observer or a tenant may read; admins get everything."""
    if not isinstance(result, dict):
        return False
    kind = result.get("resultType")
    if kind in ("scalar", "string"):
        return True
    series = result.get("result")
    if kind not in ("vector", "matrix") or not isinstance(series, list):
        return False
    return all(isinstance(s, dict) and not s.get("metric") for s in series)


__all__ = ["OwnerBook", "only_aggregates"]
