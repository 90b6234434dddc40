"""`maestro models`: the table on a terminal, JSON with --json, and never the API key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maestro.agents.providers.catalog import SMOLLM2_FILE
from maestro.cli import main


@pytest.fixture(autouse=True)
def endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-print-me")


def test_json_to_stdout_lists_every_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json", "-"]) == 0
    out = capsys.readouterr().out
    entries = {entry["id"]: entry for entry in json.loads(out)}
    assert {"local", "local:gemma-3-270m", "openai:<model>", "scripted:optimizer"} <= set(entries)
    assert entries["local:smollm2-135m-q8"]["available"] is True  # made on first use
    local = entries["local"]
    assert local["provider"] == "local" and local["available"] is True
    assert Path(local["path"]).name == SMOLLM2_FILE and Path(local["path"]).is_file()
    openai = entries["openai:<model>"]
    assert openai["path"] is None
    assert "http://127.0.0.1:8080/v1" in openai["detail"] and "key set: yes" in openai["detail"]
    assert "sk-do-not-print-me" not in out
    assert set(local) == {"id", "provider", "path", "available", "detail"}


def test_json_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "models.json"
    assert main(["models", "--json", str(dest)]) == 0
    assert capsys.readouterr().out == ""
    ids = [entry["id"] for entry in json.loads(dest.read_text())]
    assert ids[0] == "local" and "scripted:hostile" in ids


def test_table_shows_ids_and_paths(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # one row per line, so paths are not folded
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for text in ("local:gemma-3-270m", "openai:<model>", "scripted:stubborn", SMOLLM2_FILE):
        assert text in out
    assert "sk-do-not-print-me" not in out


def test_unwritable_destination_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["models", "--json", str(tmp_path / "missing-dir" / "m.json")])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot write JSON" in err and "Traceback" not in err
