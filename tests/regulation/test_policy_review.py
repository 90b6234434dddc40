"""The slice rules on every path a policy takes: the seat's review, the run's flags, the CLI.

The network operator approves the policy enforcement will really send (after the rules),
not the one-slice policy the agreement alone would make; a policy the rules adjusted or
refused is a run-level flag citing the document and clause, in the record, the JSON and
the command line's summary.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from maestro.cli import main
from maestro.graphs.checkpoints import open_store
from maestro.graphs.context import prepare_run
from maestro.graphs.seat_node import planned_policy
from maestro.graphs.session import SessionRunner, build_session_graph, session_context
from maestro.graphs.slice_rules import rule_flags
from maestro.tools.ran import CellConfig, RanEmulator
from maestro.tools.ran.slices import SlicePolicy, SliceRatio
from tests.conftest import BASE_SCENARIO

CELL = CellConfig.oai_band78()
SHARE_DOC, SHARE_CLAUSE = "maestro-priority-slice-policy", "MAESTRO project policy (default)"
FLOOR_DOC, FLOOR_CLAUSE = "test-shared-slice-floor", "Test notice 1 clause 2"
# A user's own rule: every SST 1 slice (the agreed one included) keeps 95 % of the PRBs, so
# any agreement well below the cell's capacity breaks it at enforcement.
FLOOR_RULE = f"""---
id: {FLOOR_DOC}
title: Test rule - the shared slice keeps 95 percent of the PRBs
source: {FLOOR_CLAUSE}
jurisdiction: global
topics: [slicing, min_share]
constraints:
  - {{kind: min_share, slice_sst: 1, value: 0.95}}
---
# Floor

The shared eMBB slice keeps at least 95 percent of the cell's PRBs as its minimum ratio.
"""


def _ambulance_cell() -> RanEmulator:
    """A cell already carrying a priority slice (SST 2) below the 10 % its rule demands."""
    cell = RanEmulator(cell=CELL, cqi=15)
    low = SliceRatio(slice_id="ambulance", sst=2, min_ratio=5, max_ratio=100)
    assert cell.apply_policy(SlicePolicy(slices=[low])).ok
    return cell


def _scenario(**regulation: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE_SCENARIO)
    data["network"] = {"bandwidth_mhz": 40, "scs_khz": 30, "cqi": 15}
    data["regulation"] = {"jurisdiction": "DE", "k": 0} | regulation
    return data


@pytest.mark.parametrize("enforce", [True, False])
def test_the_review_shows_the_policy_after_the_rules(enforce: bool) -> None:
    run = prepare_run(
        _scenario(enforce=enforce), model="scripted:optimizer", driver=_ambulance_cell()
    )
    try:
        plan = planned_policy(run, 40.0)
    finally:
        run.close()
    regulation = plan["regulation"]
    if enforce:  # what enforcement will send: the ambulance slice raised to its share
        slices = {s["slice_id"]: s for s in plan["policy"]["slices"]}
        assert slices["ambulance"]["rRMPolicyMinRatio"] == 10 and "sla" in slices
        assert regulation["action"] == "adjusted"
        assert regulation["adjustments"][0]["document"] == SHARE_DOC
    else:  # refused: nothing would be sent, and the review says which rule
        assert plan["policy"] is None and regulation["action"] == "refused"
        assert SHARE_DOC in plan["refused"]


def _session(tmp_path: Path, data: dict[str, Any], driver: RanEmulator) -> SessionRunner:
    store = open_store(f"sqlite:///{tmp_path / 'sessions.db'}")
    run = prepare_run(data, model="scripted:optimizer", driver=driver)
    return SessionRunner(
        build_session_graph(store.saver, search=None),
        session_context(run, {"cost": "auto"}, True),
        "review",
    )


def test_the_approved_adjustment_is_enforced_and_flagged(tmp_path: Path) -> None:
    cell = _ambulance_cell()
    seat = _session(tmp_path, _scenario(), cell)
    step = seat.advance()
    prompt = step.prompts[0]
    assert prompt["kind"] == "enforcement", step.values.get("reason")
    assert "The rules adjust the policy" in prompt["question"]
    assert SHARE_DOC in prompt["question"]
    shown = {s["slice_id"]: s["rRMPolicyMinRatio"] for s in prompt["plan"]["policy"]["slices"]}
    assert shown["ambulance"] == 10
    step = seat.advance("/approve")
    assert step.finished and step.record is not None
    record = step.record
    applied = cell.cell_state().policy
    assert applied is not None
    # The cell runs exactly what the person approved.
    assert {s.slice_id: s.min_ratio for s in applied.slices} == shown
    assert (
        record.enforcement is not None and record.enforcement["regulation"]["action"] == "adjusted"
    )
    flags = [f for f in record.flags if f["code"] == "policy_adjusted_by_rule"]
    assert len(flags) == 1 and flags[0]["agent"] == "enforcement"
    assert f"{SHARE_DOC} ({SHARE_CLAUSE}" in flags[0]["message"]
    assert "ambulance min_ratio 5 -> 10" in flags[0]["message"]


def test_rule_flags_cite_each_document_once() -> None:
    record = {
        "message": "refused",
        "regulation": {
            "action": "refused",
            "violations": [
                {"document": "a", "source": "A 1", "message": "x"},
                {"document": "a", "source": "A 1", "message": "y"},
                {"document": "b", "source": "B 2", "message": "z"},
            ],
        },
    }
    flags = rule_flags(record, 3)
    assert [f["code"] for f in flags] == ["policy_refused_by_rule"] * 2
    assert flags[0]["message"] == "a (A 1): refused: x; y" and flags[0]["round"] == 3
    assert rule_flags({"regulation": {"action": "none"}}, 1) == []
    assert rule_flags(None, 1) == []


def _floor_scenario(tmp_path: Path, enforce: bool) -> Path:
    (tmp_path / "floor.md").write_text(FLOOR_RULE, encoding="utf-8")
    data = _scenario(jurisdiction=None, enforce=enforce, documents=["floor.md"])
    data["model"] = "scripted:optimizer"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("enforce", "code", "exit_code"), [
    (True, "policy_adjusted_by_rule", 0),
    (False, "policy_refused_by_rule", 3),
])  # fmt: skip
def test_the_cli_summary_and_json_show_the_rule_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], enforce: bool, code: str, exit_code: int
) -> None:
    scenario = _floor_scenario(tmp_path, enforce)
    out = tmp_path / "r.json"
    assert main(["negotiate", str(scenario), "--json", str(out)]) == exit_code
    err = capsys.readouterr().err
    assert "slice rules" in err and code in err
    record = json.loads(out.read_text())
    flags = [f for f in record["flags"] if f["code"] == code]
    assert len(flags) == 1 and flags[0]["message"].startswith(f"{FLOOR_DOC} ({FLOOR_CLAUSE})")
    enforcement = record["enforcement"]
    assert enforcement["regulation"]["action"] == ("adjusted" if enforce else "refused")
    sla = {s["slice_id"]: s for s in (enforcement.get("policy") or {}).get("slices", [])}
    assert (sla["sla"]["rRMPolicyMinRatio"] == 95) if enforce else not sla
