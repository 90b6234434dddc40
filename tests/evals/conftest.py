"""Tiny suite runs on the scripted models, shared by the tests of a module."""

from __future__ import annotations

from pathlib import Path

import pytest

from maestro.evals import EvalConfig, run_suite


@pytest.fixture(scope="module")
def personality_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, EvalConfig]:
    config = EvalConfig(
        "personality", model="scripted:concede", games=2, pairs=("N-N", "T-T"), rounds=3
    )
    folder = tmp_path_factory.mktemp("personality")
    run_suite(config, folder, workers=2)
    return folder, config
