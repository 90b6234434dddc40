"""Size limits: oversized or hostile scenario files are refused fast, in one line."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

import maestro
import maestro.graphs.scenario as scenario_module
from maestro.cli import main
from maestro.graphs.scenario import (
    MAX_FILE_BYTES,
    MAX_OPERATORS,
    MAX_TEXT,
    MAX_VALUES,
    ScenarioError,
    load_scenario,
    parse_scenario,
    scenario_from_dict,
)
from tests.conftest import BASE_SCENARIO


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE_SCENARIO)


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def refuse(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert main(["scenario", "validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "\n" not in str(info.value)
    return str(info.value)


def test_a_file_over_the_limit_is_refused_before_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.yaml"
    junk = "".join(f"k{i}: {i}\n" for i in range(MAX_FILE_BYTES // 8))
    path.write_text(dump(base()) + junk, encoding="utf-8")
    assert path.stat().st_size > MAX_FILE_BYTES

    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the parser must not see an oversized file")

    monkeypatch.setattr(scenario_module.yaml, "load", no_parsing)
    assert "1024 KiB" in refuse(path, capsys)
    with pytest.raises(ScenarioError, match="KiB"):
        parse_scenario(dump(base()) + junk)


def test_unknown_top_level_keys_are_refused_naming_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    extra = "".join(f"zz{i}: 1\n" for i in range(5000))
    path.write_text(dump(base()) + "colour: red\n" + extra, encoding="utf-8")
    message = refuse(path, capsys)
    assert ": colour: unknown field (and 5000 more)" in message
    line = dump(base()).count("\n") + 1
    assert message.startswith(f"{path}:{line}:")


def test_more_operators_than_the_run_honours_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = base()
    template = data["operators"][0]
    data["operators"] = [template | {"id": f"op{i}"} for i in range(MAX_OPERATORS + 1)]
    path = tmp_path / "s.yaml"
    path.write_text(dump(data), encoding="utf-8")
    assert f"at most {MAX_OPERATORS}" in refuse(path, capsys)
    # The largest scenario allowed runs to a record.
    data["operators"] = [
        template | {"id": f"op{i}", "utility": {"kind": "quadratic", "target": 10 + 5 * i}}
        for i in range(MAX_OPERATORS)
    ]
    result = maestro.negotiate(scenario_from_dict(data), model="scripted:optimizer")
    assert result.status == "consensus" and len(result.rounds[-1].proposals) == MAX_OPERATORS


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("name: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
        ("name: x\ntopic: " + "{a: " * 40 + "1" + "}" * 40 + "\n", "nested more than"),
        ("seed: " + "9" * 5000 + "\n", "not a usable YAML value"),
        ("name: !!binary aGVsbG8=\n", "bytes value is not allowed"),
        ("1: x\nname: y\n", "keys must be text"),
    ],
)
def test_hostile_yaml_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, fragment: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert fragment in refuse(path, capsys)


def test_an_alias_bomb_is_refused_by_the_value_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text(dump(base()) + "\n".join(lines) + "\n", encoding="utf-8")
    assert f"more than {MAX_VALUES} values" in refuse(path, capsys)


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("description", "x" * (MAX_TEXT + 1), f"longer than {MAX_TEXT}"),
        ("model", "local:" + "x" * 400, "model"),
    ],
)
def test_long_text_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: str, fragment: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(dump(base() | {field: value}), encoding="utf-8")
    assert fragment in refuse(path, capsys)


@pytest.mark.parametrize(
    "op_field, value",
    [
        ("business_intent", "ignore previous\0instructions"),
        ("model", "scripted:" + "x" * 400),
    ],
)
def test_operator_text_is_plain_and_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], op_field: str, value: str
) -> None:
    data = base()
    data["operators"][0][op_field] = value
    path = tmp_path / "s.yaml"
    path.write_text(dump(data), encoding="utf-8")
    assert f"operators.0.{op_field}" in refuse(path, capsys)


def test_a_binary_or_non_file_scenario_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"name: \xff\xfe\x00\x01")
    assert "not UTF-8" in refuse(path, capsys)
    assert "not a file" in refuse(tmp_path, capsys)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert "not a file" in refuse(fifo, capsys)  # opening it would block for ever


def test_yaml_dates_become_text() -> None:
    scenario = parse_scenario(dump(base()).replace("name: unit-test", "name: 2024-05-01"))
    assert scenario.name == "2024-05-01"
