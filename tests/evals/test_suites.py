"""Tiny versions of the guidance, sla and assurance suites on the scripted models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from maestro.evals import EvalConfig, EvalError, guidance, run_suite, sla
from maestro.evals.sla import DATA, load_timeline

TIMELINE = Path(__file__).resolve().parents[2] / "examples" / "sla-fig5.yaml"


@pytest.fixture(scope="module")
def guidance_summary(tmp_path_factory: pytest.TempPathFactory) -> dict:
    config = EvalConfig("guidance", model="scripted:optimizer", negotiations=1, operators=(2, 5))
    return run_suite(config, tmp_path_factory.mktemp("guidance"), workers=3).summary


def test_guidance_measures_against_the_closed_form(guidance_summary: dict) -> None:
    cells = guidance_summary["by_operators"]["5"]
    assert set(cells) == {"llm-none", "llm-soft", "llm-hard", "eq1", "optimizer-only"}
    assert cells["llm-hard"]["mae"]["n"] == 1 and cells["llm-hard"]["mae"]["max"] < 1e-6
    # Eq. 1 round by round, capped at 4 rounds: not yet at the optimum, and O(n) messages.
    assert cells["eq1"]["mae"]["mean"] > 0.01
    assert cells["eq1"]["messages_per_round"]["mean"] == 10
    assert guidance_summary["paper"]["none"] == {"mae_mean": 8.0, "mae_sd": 3.0}


def test_guidance_intents_vary_and_the_reference_is_the_weighted_mean() -> None:
    a, b = guidance.intents(0, 5, 0), guidance.intents(0, 5, 1)
    assert a != b and a == guidance.intents(0, 5, 0)
    t, w = np.array(a["targets"]), np.array(a["weights"])
    assert guidance.reference(a["targets"], a["weights"]) == pytest.approx((t * w).sum() / w.sum())


@pytest.fixture(scope="module")
def sla_summary(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    config = EvalConfig("sla", model="scripted:optimizer", timeline=load_timeline(TIMELINE))
    folder = tmp_path_factory.mktemp("sla")
    return run_suite(config, folder, workers=2).summary, folder


def test_the_trace_ships_with_its_licence() -> None:
    # Not skipped when absent: a fresh clone must carry the data the suite replays.
    folder = DATA / "raca-5g"
    assert (folder / "B_2019.12.16_07.22.43.csv").is_file()
    assert "GNU GENERAL PUBLIC LICENSE" in (folder / "LICENSE-GPL-3.0.txt").read_text()
    assert "Raca" in (folder / "README.md").read_text()


def test_sla_timeline_follows_the_papers_sequence(sla_summary: tuple[dict, Path]) -> None:
    summary, folder = sla_summary
    seq = {row["at"]: row for row in summary["sequence"]}
    assert seq[0]["llm[0]"] == pytest.approx(51.0)  # (20 + 82) / 2
    assert seq[300]["llm[0]"] == "off" and seq[400]["llm[0]"] == pytest.approx(55.0)
    assert 0 < seq[200]["llm[0]"] < seq[0]["llm[0]"]
    run = summary["runs"]["0"]
    assert len(run["t"]) == 500 and len(run["cqi"]) == 500
    # The enforced throughput never exceeds the cell's capacity, and is 0 while off.
    assert all(e <= c + 1e-9 for e, c in zip(run["enforced"], run["capacity"], strict=True))
    assert run["enforced"][350] == 0.0 and run["agreement"][350] is None
    triggers = {n["trigger"] for n in run["negotiations"]}
    assert triggers == {"event", "capacity"}  # renegotiated when the capacity moved
    off = next(n for n in run["negotiations"] if n["at"] == 300)
    assert off["status"] == "halted" and "topic_void" in off["flags"]
    assert (folder / "sla.png").is_file()
    assert "51 -> 13 -> off -> 55" in (folder / "summary.md").read_text()


def test_sla_synthetic_trace_and_timeline_errors(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(TIMELINE.read_text())
    data["trace"] = {"synthetic": {"seed": 3, "mean_cqi": 12}}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    timeline = load_timeline(path)
    cqi, capacity = sla.channel(timeline)
    assert len(cqi) == 500 and capacity.max() > 50
    data["events"][1]["operators"] = {"nobody": {"personality": "toxic"}}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(EvalError, match="unknown operator 'nobody'"):
        load_timeline(path)
    data["trace"] = {"file": "missing.csv"}
    data["events"][1]["operators"] = {}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(EvalError, match="trace 'missing.csv' not found"):
        load_timeline(path)
    data["trace"] = {"synthetic": {"seed": 1}}
    data["operators"][0]["utility"]["target"] = "high"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(EvalError, match="utility"):
        load_timeline(path)


def test_assurance_rows_match_the_paper(tmp_path: Path) -> None:
    summary = run_suite(EvalConfig("assurance", model="none"), tmp_path).summary
    assert summary["failed"] == 0 and summary["errors"] == {}
    items = {(r["example"], r["item"]): r for r in summary["rows"]}
    assert items[("VM drift gradient", "cpu")]["got"] == pytest.approx(0.571)
    assert items[("service health", "two collectors, one down (%)")]["got"] == 50.0
    assert items[("quantization [40, 70]", "P9(85)")]["got"] == 3
    md = (tmp_path / "summary.md").read_text()
    assert "FAIL" not in md and json.loads((tmp_path / "summary.json").read_text())["passed"] > 40


def test_sla_counts_the_arbitral_units_warnings_from_the_record() -> None:
    record = {
        "rounds": [
            {"arbitral": {"warnings": {"cost": "a threat"}}},
            {"arbitral": None},
            {"arbitral": {"warnings": {"cost": "again", "qos": "pressure"}}},
        ]
    }
    assert sla.arbitral_warnings(record) == {"cost": 2, "qos": 1}


def test_the_default_timeline_ships_and_matches_the_example() -> None:
    assert sla.DEFAULT_TIMELINE.read_bytes() == TIMELINE.read_bytes()
    assert load_timeline(None)["name"] == "sla-fig5"


def test_default_sizes_are_the_papers() -> None:
    timeline = load_timeline(None)
    assert len(sla.jobs(EvalConfig("sla", timeline=timeline))) == 12  # one pass, + baseline
    assert EvalConfig("personality").n_games == 50 and EvalConfig("sla").n_games == 1
    personality = __import__("maestro.evals.personality", fromlist=["jobs"])
    assert len(personality.jobs(EvalConfig("personality"))) == 8 * 50 + 8
    assert len(guidance.jobs(EvalConfig("guidance"))) == 3 * 100 * 5
