"""One built index per test session, in a temporary data directory (building takes seconds)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def kb_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """MAESTRO_DATA_DIR for the whole session, so in-process CLI calls share the warm index."""
    data = tmp_path_factory.mktemp("maestro-data")
    saved = {k: os.environ.get(k) for k in ("MAESTRO_DATA_DIR", "MAESTRO_CHROMA_URL")}
    os.environ["MAESTRO_DATA_DIR"] = str(data)
    os.environ.pop("MAESTRO_CHROMA_URL", None)
    yield data
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def kb(kb_data_dir: Path) -> Any:
    from maestro.knowledge import open_knowledge

    base = open_knowledge(include_user=False)
    base.ensure()
    return base


@pytest.fixture
def own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty data directory for tests that add documents or break the store."""
    data = tmp_path / "data"
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(data))
    monkeypatch.delenv("MAESTRO_CHROMA_URL", raising=False)
    return data
