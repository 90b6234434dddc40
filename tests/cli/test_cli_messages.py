"""Command-line rough edges: an unwritable `--json` is refused before the run, and user text
with square brackets (a scenario name, a drift target's `[lo, hi]`) is printed as written,
never read as rich markup."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from maestro.cli import main
from tests.conftest import BASE_SCENARIO, EXAMPLE


@pytest.mark.parametrize("where", ["missing-folder/run.json", "a-folder"])
def test_an_unwritable_json_path_is_refused_before_the_run(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-folder").mkdir()
    dest = str(tmp_path / where)
    code = main(["negotiate", str(EXAMPLE), "-m", "scripted:optimizer", "--json", dest])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot write JSON to {dest}" in err
    assert "negotiation" not in err and "round" not in err  # nothing ran
    assert len(err.strip().splitlines()) == 1


def test_a_scenario_name_with_brackets_is_printed_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copy.deepcopy(BASE_SCENARIO)
    data["name"] = "[/bold] trial [red]x"
    data["topic"]["unit"] = "[b]"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    code = main(["negotiate", str(path), "--json", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert code == 0 and "[/bold] trial [red]x" in err and "[b]" in err
    assert json.loads((tmp_path / "r.json").read_text())["agreed"]


def test_drift_messages_keep_their_brackets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    targets = tmp_path / "t.json"
    targets.write_text(json.dumps({"kpis": {"cpu": {"unit": "%"}}}), encoding="utf-8")
    observed = tmp_path / "o.json"
    observed.write_text(json.dumps({"cpu": 5}), encoding="utf-8")
    assert main(["drift", str(targets), str(observed)]) == 2
    err = capsys.readouterr().err
    assert "{range: [lo, hi]}" in err and "or [lo, hi]" in err, err
    dest = str(tmp_path / "none" / "d.json")
    assert main(["drift", str(targets), str(observed), "--json", dest]) == 2
    assert f"cannot write JSON to {dest}" in capsys.readouterr().err


def test_a_usage_error_from_any_command_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import maestro

    def refuse(*args: object, **kwargs: object) -> None:
        raise maestro.UsageError("range [lo, hi] is inverted")

    monkeypatch.setattr("maestro.cli.drift.read_data_file", refuse)
    assert main(["drift", str(tmp_path / "t.json"), str(tmp_path / "o.json")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: range [lo, hi] is inverted"
