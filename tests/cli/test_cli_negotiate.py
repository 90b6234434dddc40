"""`maestro negotiate`, `maestro scenario validate`, `maestro optimize`: exit codes and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from maestro.cli import main
from tests.conftest import BASE_SCENARIO, EXAMPLE


def _write(tmp_path: Path, data: object, name: str = "s.yaml") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_json_dash_prints_only_the_record(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["negotiate", str(EXAMPLE), "--model", "scripted:optimizer", "--json", "-"])
    out, err = capsys.readouterr()
    assert code == 0
    record = json.loads(out)
    assert record["agreed"] is True and record["model"] == "scripted:optimizer"
    assert record["seed"] == 7 and len(record["rounds"]) >= 1
    assert "negotiation" in err  # progress went to stderr


def test_json_to_a_file_and_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "run.json"
    code = main(
        [
            "negotiate",
            str(EXAMPLE),
            "-m",
            "scripted:stubborn",
            "--rounds",
            "2",
            "--seed",
            "3",
            "--json",
            str(target),
            "--quiet",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and out == "" and err == ""
    record = json.loads(target.read_text())
    assert record["consensus"] is None and record["agreed"] is False and len(record["rounds"]) == 2
    assert record["seed"] == 3


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["negotiate", "missing.yaml"], "not found"),
        (["negotiate", str(EXAMPLE), "--model", "gpt4"], "unknown model id"),
        (["negotiate", str(EXAMPLE), "--model", "scripted:nope"], "unknown scripted model"),
        (
            ["negotiate", str(EXAMPLE), "--model", "local:/nowhere/model.gguf"],
            "/nowhere/model.gguf",
        ),
        (["negotiate", str(EXAMPLE), "--rounds", "0"], "--rounds"),
        (["negotiate", str(EXAMPLE), "--rounds", "many"], "--rounds"),
        (["scenario", "validate", "missing.yaml"], "not found"),
        (["optimize", "missing.yaml"], "not found"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert fragment in err and "Traceback" not in err and out == ""


def test_bad_yaml_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "name: x\ntopic: [unclosed\n")
    assert main(["negotiate", path]) == 2
    err = capsys.readouterr().err
    assert "not valid YAML" in err and f"{path}:" in err


def test_bad_field_names_the_field_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(json.dumps(BASE_SCENARIO))
    data["operators"][1]["utility"]["weight"] = -2
    path = _write(tmp_path, data)
    assert main(["scenario", "validate", path]) == 2
    err = capsys.readouterr().err
    line = next(
        i for i, text in enumerate(Path(path).read_text().splitlines(), 1) if "weight: -2" in text
    )
    assert f"{path}:{line}" in err and "operators.1.utility.weight" in err


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: d["topic"].update(lower=200), "lower (200.0) must be below upper"),
        (lambda d: d.update(rounds=0), "rounds"),
        (lambda d: d["operators"][0].update(personality="sneaky"), "personality"),
        (lambda d: d["operators"][1].update(id="cost"), "appears twice"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d["operators"][0].update(colour="red"), "colour"),
    ],
)
def test_scenario_validation_errors(
    tmp_path: Path, mutate, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(BASE_SCENARIO))
    mutate(data)
    assert main(["scenario", "validate", _write(tmp_path, data)]) == 2
    assert fragment in capsys.readouterr().err


def test_validate_accepts_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "validate", str(EXAMPLE)]) == 0
    assert "valid" in capsys.readouterr().err


def test_optimize_prints_the_theoretical_consensus_without_an_llm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["optimize", str(EXAMPLE), "--json", "-"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["consensus"] == pytest.approx(60.0) and report["iterative"]["converged"]
    assert report["iterative"]["trace"][0] == [20.0, 100.0] or report["iterative"]["trace"][0][
        0
    ] == pytest.approx(60.0)


def test_optimize_reports_divergence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(json.dumps(BASE_SCENARIO))
    data["operators"][0]["utility"]["weight"] = 3  # optimum 40, away from the 60 start
    path = _write(tmp_path, data)
    code = main(["optimize", path, "--eta", "5", "--json", "-"])
    report = json.loads(capsys.readouterr().out)
    assert report["iterative"]["diverged"] is True and "eta" in report["iterative"]["reason"]
    assert report["consensus"] == pytest.approx(40.0)  # the exact optimum is still right
    assert code == 0  # JSON mode reports it; the table mode exits 1
    assert main(["optimize", path, "--eta", "5"]) == 1


@pytest.mark.parametrize(
    "variable, value, fragment",
    [
        ("MAESTRO_TIMEOUT", "soon", "valid number"),
        ("MAESTRO_CONTEXTS", "99", "less than or equal to 64"),
        ("MAESTRO_OPENAI_STRUCTURED", "xml", "json_schema"),
        ("MAESTRO_PREFIX_STORE_MB", "-1", "greater than or equal to 0"),
    ],
)
def test_a_bad_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    fragment: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["negotiate", str(EXAMPLE), "--model", "scripted:optimizer"]) == 2
    err = capsys.readouterr().err
    assert f"environment variable {variable}" in err and fragment in err
    assert "Traceback" not in err


def test_quiet_still_says_why_a_run_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["network"]["driver_url"] = "http://127.0.0.1:9"  # nothing listens: enforcement fails
    code = main(["negotiate", _write(tmp_path, data), "-m", "scripted:optimizer", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 3 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "not enforced" in lines[0] and "127.0.0.1:9" in lines[0]


def test_quiet_success_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["negotiate", str(EXAMPLE), "-m", "scripted:optimizer", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == ""
