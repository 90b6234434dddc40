"""The assurance evals in tiny form: the labelled set is valid and both suites run."""

from __future__ import annotations

from pathlib import Path

from maestro.evals.assurance_loop import formalisation_eval, load_labelled, loop_eval, main
from maestro.tools.intent import INTENT_TYPES, KpiTargetSpec


def test_labelled_set_has_30_valid_intents() -> None:
    items = load_labelled()
    assert len(items) >= 30
    assert len({i["text"] for i in items}) == len(items)
    for item in items:
        assert item["intent_type"] in INTENT_TYPES
        for k in item["kpis"]:
            KpiTargetSpec.model_validate(k)  # catalogue names, units and ranges
    assert {i["intent_type"] for i in items} == set(INTENT_TYPES)  # every type labelled
    # the few-shot prompt's examples are marked, so the held-out rate excludes them
    prompt = Path(__file__).resolve().parents[2] / "prompts" / "intent_formalize_system.txt"
    shown = {
        line.removeprefix("Intent: ")
        for line in prompt.read_text().splitlines()
        if line.startswith("Intent: ")
    }
    assert {i["text"] for i in items if i.get("in_prompt")} == shown


def test_formalisation_scores_exact_matches_and_misses() -> None:
    items = load_labelled()[:3]
    wrong = {
        **items[0],
        "in_prompt": False,
        "kpis": [{"name": "availability", "condition": "IS_GREATER_THAN", "value": [0.5]}],
    }
    s = formalisation_eval("scripted:intent", [*items, wrong])
    assert s["intents"] == 4
    assert s["kpi_exact_match"] == 0.75  # the mislabelled copy is a miss
    assert s["rows"][3]["kpis_match"] is False and s["rows"][0]["kpis_match"] is True
    # held out: item 1 (a match) and the mislabelled copy (a miss)
    assert s["held_out"] == 2 and s["kpi_exact_match_held_out"] == 0.5


def test_loop_eval_reports_table_iv_and_corrections() -> None:
    s = loop_eval("scripted:assurance-faulty", trials=1, periods=4, period_s=0.05)
    assert s["outcomes"] == {"assured": 1} and s["corrected"] == [2]
    f = s["table_iv"]["fulfil"]
    assert f["policies"] == 7 and f["generated"] == 9  # two generated policies were refused
    assert f["paper"]["total_s"] == 393 and s["table_iv"]["assure"]["paper_minutes"] == 1.5


def test_cli_writes_summaries(tmp_path: Path) -> None:
    assert main(["formalise", "--model", "scripted:intent", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "summary.json").exists()
    assert "KPI vector exact match" in (tmp_path / "summary.md").read_text()
    assert main(["formalise", "--model", "scripted:nope"]) == 2
