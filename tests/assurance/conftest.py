"""Shared pieces of the assurance-loop tests: the paper's intent, an executor, fast settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from maestro.graphs.assurance import AssureSettings
from maestro.graphs.executor import InProcessExecutor
from maestro.tools.intent import IntentSpec, load_intent

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "intents" / "netflow-west.yaml"


@pytest.fixture
def paper_intent() -> IntentSpec:
    return load_intent(yaml.safe_load(EXAMPLE.read_text()))


@pytest.fixture
def executor() -> Iterator[InProcessExecutor]:
    ex = InProcessExecutor()
    yield ex
    ex.close()


@pytest.fixture
def fast() -> Callable[..., AssureSettings]:
    """Settings with short periods: the tests assert behaviour, never timing."""

    def make(**kw: Any) -> AssureSettings:
        return AssureSettings(**{"periods": 4, "period_s": 0.05, **kw})

    return make
