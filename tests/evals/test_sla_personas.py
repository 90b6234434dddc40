"""The sla suite's dry run with `scripted:personas`: the toxic operator of Fig. 5 is warned by
the arbitral unit, loses trust, and does not switch the cell off by pushing alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from maestro.evals import EvalConfig, run_suite
from maestro.evals.sla import load_timeline

TIMELINE = Path(__file__).resolve().parents[2] / "examples" / "sla-fig5.yaml"


@pytest.fixture(scope="module")
def personas_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    config = EvalConfig("sla", model="scripted:personas", timeline=load_timeline(TIMELINE))
    folder = tmp_path_factory.mktemp("sla-personas")
    return run_suite(config, folder, workers=2).summary, folder


def test_the_toxic_operator_is_warned_and_its_trust_falls(
    personas_run: tuple[dict[str, Any], Path],
) -> None:
    summary, _ = personas_run
    run = {n["at"]: n for n in summary["runs"]["0"]["negotiations"]}
    # Before 200 s nobody is toxic: no warning, full trust.
    assert not run[0]["warnings"] and run[0]["trust"]["cost"]["score"] == 1.0
    at_200 = run[200]
    assert at_200["warnings"].get("cost", 0) >= 1 and "qos" not in at_200["warnings"]
    assert "suspicious_reasoning" in at_200["arbitral_flags"]
    assert at_200["trust"]["cost"]["score"] < 1.0 == at_200["trust"]["qos"]["score"]
    totals = summary["arbitral"]["0"]
    assert totals["cost"]["warnings"] >= 1 and totals["cost"]["min_trust"] < 1.0
    assert 200 in totals["cost"]["warned_in"] and totals["qos"]["warnings"] == 0
    # After 400 s the cost operator is disagreeable, not toxic: no more warnings.
    assert not run[400]["warnings"]
    # The optimizer-only baseline writes no toxic words, so the same timeline warns nobody.
    assert not any(n["warnings"] for n in summary["baseline"]["negotiations"])


def test_the_toxic_push_alone_does_not_switch_the_cell_off(
    personas_run: tuple[dict[str, Any], Path],
) -> None:
    summary, _ = personas_run
    negotiations = summary["runs"]["0"]["negotiations"]
    warned = [n for n in negotiations if n["warnings"]]
    assert warned and not any(n["off"] for n in warned)
    assert all(n["agreed"] and n["consensus"] > 0 for n in warned)
    assert summary["arbitral"]["0"]["cost"]["off_when_warned"] == []
    # Off only when service is too poor: the network voided the topic.
    off = [n for n in negotiations if n["off"]]
    assert off and all(n["status"] == "halted" and "topic_void" in n["flags"] for n in off)
    seq = {row["at"]: row for row in summary["sequence"]}
    assert seq[300]["llm[0]"] == "off" and seq[400]["llm[0]"] == pytest.approx(55.0)


def test_the_summary_and_plot_show_the_warnings_labelled_as_scripted(
    personas_run: tuple[dict[str, Any], Path],
) -> None:
    summary, folder = personas_run
    seq = {row["at"]: row for row in summary["sequence"]}
    assert "cost warned x" in seq[200]["arbitral[0]"] and "cost trust" in seq[200]["arbitral[0]"]
    assert seq[0]["arbitral[0]"] == "none"
    md = (folder / "summary.md").read_text()
    assert "Scripted dry run, not an LLM result" in md and "scripted run 0" in md
    assert "51 -> 13 -> off -> 55" in md and "none of those negotiations switched" in md
    assert "No negotiation record carries an arbitral flag" not in md
    assert (folder / "sla.png").stat().st_size > 10_000


def test_a_toxic_push_on_a_good_channel_keeps_the_cell_on(tmp_path: Path) -> None:
    data = yaml.safe_load(TIMELINE.read_text())
    data["events"] = [data["events"][0], {**data["events"][1], "cqi_shift": None}]
    data["duration_s"] = 260
    path = tmp_path / "toxic-good-channel.yaml"
    path.write_text(yaml.safe_dump(data))
    config = EvalConfig("sla", model="scripted:personas", timeline=load_timeline(path))
    summary = run_suite(config, tmp_path / "run").summary
    at_200 = next(n for n in summary["runs"]["0"]["negotiations"] if n["at"] == 200)
    assert at_200["warnings"].get("cost", 0) >= 1
    assert not at_200["off"] and at_200["consensus"] > 0
    assert summary["runs"]["0"]["enforced"][250] > 0
