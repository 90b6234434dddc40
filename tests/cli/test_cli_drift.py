"""`maestro drift TARGETS OPERATIONAL`, in-process, on the shipped examples and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maestro.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "drift"


def run_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> dict:
    code = main(["drift", *map(str, args), "--json", "-"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_table_iii_example(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, EXAMPLES / "collectors-targets.yaml",
                   EXAMPLES / "collectors-failed.yaml")
    assert out["service_health_pct"] == 50
    assert out["availability"]["met"] is True and out["intent_health"] == 1
    assert [a["action"] for a in out["actions"]] == ["restart", "recreate"]
    cpu = out["kpis"]["collector2/cpu"]
    assert (cpu["p9"], cpu["p3"], cpu["delta"], cpu["gradient"]) == (-4, -1, -40, -2)
    assert cpu["drift"] == -40  # from 58 (inside the range) to 0
    graph = out["assurance-graph"]
    assert graph["service"]["health-score"] == 50
    assert graph["subservices"][1]["health-score"] == 0
    assert graph["subservices"][1]["symptoms"][0]["health-score-weight"] == 100


def test_vm_example_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, EXAMPLES / "vm-targets.json", EXAMPLES / "vm-operational.json")
    assert out["kpis"]["cpu"]["gradient"] == pytest.approx(0.571, abs=5e-4)
    assert out["kpis"]["storage"]["gradient"] == pytest.approx(0.286, abs=5e-4)
    assert out["kpis"]["ram"]["gradient"] == 0
    assert out["distance"] == pytest.approx(500 ** 0.5)


def test_human_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["drift", str(EXAMPLES / "collectors-targets.yaml"),
                 str(EXAMPLES / "collectors-failed.yaml")])
    out = capsys.readouterr().out
    assert code == 0
    assert "service health 50.0 %" in out and "1. restart collector2" in out
    # Table III's composite vector: the resources are unhealthy, software and network fine.
    assert "composite health {-1, +0, +0} (resource, software, network) -> -1" in out


def test_policy_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "raw.yaml"
    policy.write_text("gradient: raw\n")
    out = run_json(capsys, EXAMPLES / "vm-targets.json", EXAMPLES / "vm-operational.json",
                   "--policy", policy)
    assert out["kpis"]["cpu"]["gradient"] == 40 and out["policy"] == "raw"


def test_json_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "report.json"
    code = main(["drift", str(EXAMPLES / "vm-targets.json"),
                 str(EXAMPLES / "vm-operational.json"), "--json", str(dest)])
    assert code == 0 and capsys.readouterr().out == ""
    assert json.loads(dest.read_text())["kpis"]["cpu"]["p9"] == 4


@pytest.mark.parametrize(
    ("targets", "operational", "needle"),
    [
        ('{"kpis": {"cpu": {"range": [70, 40]}}}', '{"cpu": 1}', "KPI 'cpu': inverted range"),
        ('{"kpis": {"cpu": {}}}', '{"cpu": 1}', "KPI 'cpu': missing target"),
        ('{"kpis": {"cpu": [40, 70]}}', '{"cpu": 1, "gpu": 2}', "KPI 'gpu': unknown KPI"),
        ('{"kpis": {"cpu": [40, 70]}}', '{"cpu": NaN}', "KPI 'cpu': value is NaN"),
        ('{"kpis": {"cpu": [40, 70]}}', '{"cpu": [1, 2', "not valid YAML/JSON"),
    ],
)
def test_user_mistakes_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], targets: str, operational: str,
    needle: str,
) -> None:
    t, o = tmp_path / "t.json", tmp_path / "o.json"
    t.write_text(targets)
    o.write_text(operational.replace("NaN", ".nan"))
    code = main(["drift", str(t), str(o), "--json", "-"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert needle in captured.err and "Traceback" not in captured.err


def test_missing_files_and_bad_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", str(tmp_path / "none.yaml"), str(tmp_path / "none.yaml")]) == 2
    assert "targets file not found" in capsys.readouterr().err
    bad = tmp_path / "p.yaml"
    bad.write_text("quantization: {above: [3, 2, 1]}\n")
    code = main(["drift", str(EXAMPLES / "vm-targets.json"), str(EXAMPLES / "vm-operational.json"),
                 "--policy", str(bad)])
    assert code == 2 and "quantization.above" in capsys.readouterr().err
